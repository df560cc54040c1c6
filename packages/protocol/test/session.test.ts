import { describe, expect, it } from 'vitest';
import {
  isProtocolError,
  MAX_FORWARD_JUMPS,
  Session,
  type ProtocolErrorCode,
} from '../src/index.ts';
import {
  availableProviders,
  bundleOf,
  envFor,
  makeParty,
  respondOptions,
  str,
  text,
} from './helpers.ts';

async function expectCode(p: Promise<unknown>, code: ProtocolErrorCode): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isProtocolError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
}

async function established(crypto: Parameters<typeof envFor>[0], withOneTime = true) {
  const aliceEnv = envFor(crypto, 'alice');
  const bobEnv = envFor(crypto, 'bob');
  const alice = await makeParty(aliceEnv);
  const bob = await makeParty(bobEnv);
  const aliceSession = await Session.initiate(aliceEnv, alice.identity, bundleOf(bob, withOneTime));
  const first = await aliceSession.encrypt(text('hello bob'));
  const {
    session: bobSession,
    plaintext,
    usedOneTimePreKeyId,
  } = await Session.respond(bobEnv, respondOptions(bob), first);
  return { alice, bob, aliceEnv, bobEnv, aliceSession, bobSession, plaintext, usedOneTimePreKeyId };
}

describe.each(await availableProviders())('Session ($name)', (crypto) => {
  it('sets up with X3DH and talks both ways', async () => {
    const s = await established(crypto);
    expect(str(s.plaintext)).toBe('hello bob');
    expect(s.usedOneTimePreKeyId).toBe(100);
    const reply = await s.bobSession.encrypt(text('hi alice'));
    expect(str(await s.aliceSession.decrypt(reply))).toBe('hi alice');
    expect(s.aliceSession.awaitingReply).toBe(false);
    const again = await s.aliceSession.encrypt(text('second'));
    expect(str(await s.bobSession.decrypt(again))).toBe('second');
  });

  it('works without a one-time prekey (signed-prekey-only X3DH)', async () => {
    const s = await established(crypto, false);
    expect(str(s.plaintext)).toBe('hello bob');
    expect(s.usedOneTimePreKeyId).toBeUndefined();
  });

  it('repeats the initial message until Bob replies, and Bob decrypts repeats', async () => {
    const s = await established(crypto);
    const second = await s.aliceSession.encrypt(text('still waiting'));
    expect(second[1]).toBe(2); // InitialMessage
    expect(str(await s.bobSession.decrypt(second))).toBe('still waiting');
  });

  it('decrypts out of order and rejects replays', async () => {
    const s = await established(crypto);
    const msgs = [];
    for (let i = 0; i < 5; i++) msgs.push(await s.bobSession.encrypt(text(`m${i}`)));
    expect(str(await s.aliceSession.decrypt(msgs[3]!))).toBe('m3');
    expect(str(await s.aliceSession.decrypt(msgs[0]!))).toBe('m0');
    expect(str(await s.aliceSession.decrypt(msgs[4]!))).toBe('m4');
    await expectCode(s.aliceSession.decrypt(msgs[3]!), 'DUPLICATE_MESSAGE');
    await expectCode(s.aliceSession.decrypt(msgs[4]!), 'DUPLICATE_MESSAGE');
    expect(str(await s.aliceSession.decrypt(msgs[2]!))).toBe('m2');
    expect(str(await s.aliceSession.decrypt(msgs[1]!))).toBe('m1');
    await expectCode(s.aliceSession.decrypt(msgs[1]!), 'DUPLICATE_MESSAGE');
  });

  it('keeps skipped keys across DH ratchet steps', async () => {
    const s = await established(crypto);
    const early = await s.bobSession.encrypt(text('early'));
    const later = await s.bobSession.encrypt(text('later'));
    expect(str(await s.aliceSession.decrypt(later))).toBe('later');
    const a = await s.aliceSession.encrypt(text('turn'));
    expect(str(await s.bobSession.decrypt(a))).toBe('turn');
    const b = await s.bobSession.encrypt(text('new chain'));
    expect(str(await s.aliceSession.decrypt(b))).toBe('new chain');
    expect(str(await s.aliceSession.decrypt(early))).toBe('early');
  });

  it('rejects a message that skips more than MAX_FORWARD_JUMPS keys', async () => {
    const s = await established(crypto);
    const reply = await s.bobSession.encrypt(text('x'));
    // Rewrite N in the header to jump too far; the limit is checked before any AEAD.
    const forged = reply.slice();
    new DataView(forged.buffer).setUint32(39, MAX_FORWARD_JUMPS + 1);
    await expectCode(s.aliceSession.decrypt(forged), 'TOO_MANY_SKIPPED_MESSAGES');
    expect(str(await s.aliceSession.decrypt(reply))).toBe('x');
  });

  it('survives serialise/deserialise on both sides', async () => {
    const s = await established(crypto);
    const alice2 = Session.deserialize(s.aliceEnv, s.aliceSession.serialize());
    const bob2 = Session.deserialize(s.bobEnv, s.bobSession.serialize());
    expect(alice2.awaitingReply).toBe(true);
    const r = await bob2.encrypt(text('after restore'));
    expect(str(await alice2.decrypt(r))).toBe('after restore');
    const alice3 = Session.deserialize(s.aliceEnv, alice2.serialize());
    expect(alice3.awaitingReply).toBe(false);
    expect(str(await bob2.decrypt(await alice3.encrypt(text('ok'))))).toBe('ok');
  });

  it('rejects an unknown prekey id', async () => {
    const aliceEnv = envFor(crypto, 'a2');
    const bobEnv = envFor(crypto, 'b2');
    const alice = await makeParty(aliceEnv);
    const bob = await makeParty(bobEnv);
    const first = await (
      await Session.initiate(aliceEnv, alice.identity, bundleOf(bob))
    ).encrypt(text('x'));
    const noOneTime = { ...respondOptions(bob), oneTimePreKey: () => undefined };
    await expectCode(Session.respond(bobEnv, noOneTime, first), 'UNKNOWN_PREKEY');
    const noSigned = { ...respondOptions(bob), signedPreKey: () => undefined };
    await expectCode(Session.respond(bobEnv, noSigned, first), 'UNKNOWN_PREKEY');
  });

  it('fails with the wrong identity key', async () => {
    const aliceEnv = envFor(crypto, 'a3');
    const bobEnv = envFor(crypto, 'b3');
    const alice = await makeParty(aliceEnv);
    const bob = await makeParty(bobEnv);
    const mallory = await makeParty(envFor(crypto, 'm3'));
    const first = await (
      await Session.initiate(aliceEnv, alice.identity, bundleOf(bob))
    ).encrypt(text('x'));
    const wrong = { ...respondOptions(bob), ourIdentity: mallory.identity };
    await expectCode(Session.respond(bobEnv, wrong, first), 'DECRYPTION_FAILED');
  });
});
