/**
 * Negative tests: tampering, truncation and replays must fail with a ProtocolError and must
 * leave the session able to decrypt the genuine message afterwards.
 */
import { describe, expect, it } from 'vitest';
import { decodeInitialMessage, isProtocolError, Session } from '../src/index.ts';
import {
  availableProviders,
  bitFlips,
  bundleOf,
  envFor,
  fastestProvider,
  makeParty,
  respondOptions,
  str,
  text,
} from './helpers.ts';

async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'decrypted',
    (e: unknown) => (isProtocolError(e) ? e.code : `not a ProtocolError: ${String(e)}`),
  );
}

async function pair(crypto: Parameters<typeof envFor>[0], seed: string) {
  const aliceEnv = envFor(crypto, `${seed}-a`);
  const bobEnv = envFor(crypto, `${seed}-b`);
  const alice = await makeParty(aliceEnv);
  const bob = await makeParty(bobEnv);
  const aliceSession = await Session.initiate(aliceEnv, alice.identity, bundleOf(bob));
  const initial = await aliceSession.encrypt(text('first'));
  return { alice, bob, aliceEnv, bobEnv, aliceSession, initial };
}

describe.each(await availableProviders())('tampered ratchet messages ($name)', (crypto) => {
  it('every bit flip of header, ciphertext and tag fails and changes nothing', async () => {
    const { bob, bobEnv, aliceSession, initial } = await pair(crypto, 'flip');
    const { session: bobSession } = await Session.respond(bobEnv, respondOptions(bob), initial);
    // A reply from Bob: its header carries a new ratchet key, so flips exercise the DH ratchet.
    const reply = await bobSession.encrypt(text('sixteen byte msg'));
    const outcomes = new Set<string>();
    for (const flipped of bitFlips(reply)) {
      const outcome = await failure(aliceSession.decrypt(flipped));
      expect(outcome).not.toBe('decrypted');
      outcomes.add(outcome);
    }
    expect([...outcomes].every((c) => !c.startsWith('not a'))).toBe(true);
    expect(str(await aliceSession.decrypt(reply))).toBe('sixteen byte msg');
  });

  it('truncation at every length fails cleanly', async () => {
    const { bob, bobEnv, aliceSession, initial } = await pair(crypto, 'trunc');
    const { session: bobSession } = await Session.respond(bobEnv, respondOptions(bob), initial);
    const reply = await bobSession.encrypt(text('truncate me'));
    for (let len = 0; len < reply.length; len++) {
      const outcome = await failure(aliceSession.decrypt(reply.subarray(0, len)));
      expect(outcome).toMatch(/^(MALFORMED_MESSAGE|DECRYPTION_FAILED)$/);
    }
    expect(str(await aliceSession.decrypt(reply))).toBe('truncate me');
    expect(await failure(aliceSession.decrypt(reply))).toBe('DUPLICATE_MESSAGE');
  });
});

describe('tampered initial messages', async () => {
  const crypto = await fastestProvider();

  it('every bit flip fails to set up a session', async () => {
    const { bob, bobEnv, initial } = await pair(crypto, 'init-flip');
    for (const flipped of bitFlips(initial)) {
      const outcome = await failure(Session.respond(bobEnv, respondOptions(bob), flipped));
      expect(outcome).toMatch(
        /^(MALFORMED_MESSAGE|UNSUPPORTED_VERSION|UNKNOWN_PREKEY|DECRYPTION_FAILED|LOW_ORDER_POINT|TOO_MANY_SKIPPED_MESSAGES)$/,
      );
    }
    const { plaintext } = await Session.respond(bobEnv, respondOptions(bob), initial);
    expect(str(plaintext)).toBe('first');
  });

  it('truncation, trailing bytes, unknown versions, flags and extensions are rejected', async () => {
    const { bob, bobEnv, initial } = await pair(crypto, 'init-shape');
    const opts = respondOptions(bob);
    for (let len = 0; len < initial.length; len++) {
      expect(await failure(Session.respond(bobEnv, opts, initial.subarray(0, len)))).toMatch(
        /^(MALFORMED_MESSAGE|UNSUPPORTED_VERSION)$/,
      );
    }
    expect(await failure(Session.respond(bobEnv, opts, Uint8Array.of(...initial, 0)))).toBe(
      'MALFORMED_MESSAGE',
    );
    const v2 = initial.slice();
    v2[0] = 2;
    expect(await failure(Session.respond(bobEnv, opts, v2))).toBe('UNSUPPORTED_VERSION');
    const wrongType = initial.slice();
    wrongType[1] = 1;
    expect(await failure(Session.respond(bobEnv, opts, wrongType))).toBe('MALFORMED_MESSAGE');
    const flagsAt = 2 + 33 + 33 + 4;
    const badFlags = initial.slice();
    badFlags[flagsAt] = 0x80;
    expect(await failure(Session.respond(bobEnv, opts, badFlags))).toBe('MALFORMED_MESSAGE');
    // A future PQXDH extension is recognised as unsupported rather than misparsed.
    const extAt = flagsAt + 1 + 4;
    const withExtension = initial.slice();
    withExtension[extAt + 1] = 1;
    expect(await failure(Session.respond(bobEnv, opts, withExtension))).toBe('UNSUPPORTED_VERSION');
    expect(decodeInitialMessage(initial).oneTimePreKeyId).toBe(100);
  });

  it('a replayed initial message does not create a second session once the prekey is used', async () => {
    const { bob, bobEnv, initial } = await pair(crypto, 'init-replay');
    const opts = respondOptions(bob);
    const first = await Session.respond(bobEnv, opts, initial);
    bob.oneTimePreKeys.delete(first.usedOneTimePreKeyId!);
    expect(await failure(Session.respond(bobEnv, opts, initial))).toBe('UNKNOWN_PREKEY');
    // The established session recognises it as a repeat and refuses the duplicate.
    expect(await failure(first.session.decrypt(initial))).toBe('DUPLICATE_MESSAGE');
  });

  it('rejects a bundle whose signed prekey signature does not verify, before any DH', async () => {
    const aliceEnv = envFor(crypto, 'sig-a');
    const alice = await makeParty(aliceEnv);
    const bob = await makeParty(envFor(crypto, 'sig-b'));
    const bundle = bundleOf(bob);
    let dhCalls = 0;
    const counting = {
      ...crypto,
      x25519: (k: Uint8Array, u: Uint8Array) => (dhCalls++, crypto.x25519(k, u)),
    };
    const sig = bundle.signedPreKey.signature.slice();
    sig[5]! ^= 0x10;
    const forged = { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: sig } };
    const env = { ...aliceEnv, crypto: counting };
    expect(await failure(Session.initiate(env, alice.identity, forged))).toBe('INVALID_SIGNATURE');
    expect(dhCalls).toBe(0);
    const swapped = { ...bundle, identityKey: alice.identity.publicKey };
    expect(await failure(Session.initiate(env, alice.identity, swapped))).toBe('INVALID_SIGNATURE');
  });

  it('refuses session state that is corrupt, truncated or from the future', async () => {
    const { aliceEnv, aliceSession } = await pair(crypto, 'state');
    const state = aliceSession.serialize();
    for (let len = 0; len < state.length; len += 7) {
      const err: unknown = (() => {
        try {
          Session.deserialize(aliceEnv, state.subarray(0, len));
        } catch (e) {
          return e;
        }
      })();
      expect(isProtocolError(err, 'MALFORMED_SESSION_STATE')).toBe(true);
    }
    const future = state.slice();
    future[1] = 9;
    expect(() => Session.deserialize(aliceEnv, future)).toThrow(/version 9/);
  });
});
