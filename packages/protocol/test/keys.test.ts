import { describe, expect, it } from 'vitest';
import {
  decodePublicKey,
  dh,
  encodePublicKey,
  fromHex,
  generateKeyPair,
  isProtocolError,
  verifySignedPreKey,
  xeddsaSign,
  xeddsaVerify,
} from '../src/index.ts';
import { availableProviders, bitFlips, envFor, makeParty } from './helpers.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isProtocolError(e) ? e.code : `not a ProtocolError: ${String(e)}`;
  }
  return undefined;
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isProtocolError(e) ? e.code : `not a ProtocolError: ${String(e)}`),
  );
}

const le = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const P = (1n << 255n) - 19n;
/** Small-order u-coordinates (RFC 7748 §7 and the libsodium blocklist). */
const LOW_ORDER = [
  0n,
  1n,
  0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0n,
  0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5fn,
  P - 1n,
];

describe('public key encoding', () => {
  it('round-trips Encode(PK) with the 0x05 type byte', () => {
    const pk = fromHex('1bb75966f2e93a3691dfff942bb2a466a1c08b8d78ca3f4d6df8b8bfa2e4ee28');
    const enc = encodePublicKey(pk);
    expect(enc[0]).toBe(5);
    expect(decodePublicKey(enc)).toEqual(pk);
  });

  it('rejects wrong lengths, type bytes, small-order and non-canonical points', () => {
    const good = encodePublicKey(
      fromHex('1bb75966f2e93a3691dfff942bb2a466a1c08b8d78ca3f4d6df8b8bfa2e4ee28'),
    );
    expect(codeOf(() => decodePublicKey(good.subarray(0, 32)))).toBe('INVALID_KEY');
    expect(codeOf(() => decodePublicKey(Uint8Array.of(...good, 0)))).toBe('INVALID_KEY');
    const wrongType = good.slice();
    wrongType[0] = 0x06;
    expect(codeOf(() => decodePublicKey(wrongType))).toBe('INVALID_KEY');
    for (const u of LOW_ORDER)
      expect(codeOf(() => decodePublicKey(encodePublicKey(le(u))))).toBe('LOW_ORDER_POINT');
    for (const u of [P, P + 1n, (1n << 255n) + 9n]) {
      expect(codeOf(() => decodePublicKey(encodePublicKey(le(u))))).toMatch(
        /INVALID_KEY|LOW_ORDER_POINT/,
      );
    }
  });
});

describe.each(await availableProviders())('keys and XEdDSA ($name)', (crypto) => {
  const env = envFor(crypto, `keys-${crypto.name}`);

  it('DH refuses small-order peer keys', async () => {
    const kp = await generateKeyPair(env);
    for (const u of LOW_ORDER)
      expect(await asyncCodeOf(dh(env, kp.privateKey, le(u)))).toBe('LOW_ORDER_POINT');
  });

  it('signs and verifies; every bit flip of the signature fails', async () => {
    const kp = await generateKeyPair(env);
    const msg = new TextEncoder().encode('signed prekey');
    const sig = xeddsaSign(kp.privateKey, msg, env.random(64));
    expect(sig[63]! & 0x80).toBe(0); // spec signer: A's sign bit is always 0
    expect(await xeddsaVerify(crypto, kp.publicKey, msg, sig)).toBe(true);
    for (const flipped of bitFlips(sig))
      expect(await xeddsaVerify(crypto, kp.publicKey, msg, flipped)).toBe(false);
    const other = await generateKeyPair(env);
    expect(await xeddsaVerify(crypto, other.publicKey, msg, sig)).toBe(false);
  });

  it('is deterministic for a given Z and differs for another Z', async () => {
    const kp = await generateKeyPair(env);
    const msg = Uint8Array.of(1, 2, 3);
    const z = new Uint8Array(64).fill(7);
    expect(xeddsaSign(kp.privateKey, msg, z)).toEqual(xeddsaSign(kp.privateKey, msg, z));
    expect(xeddsaSign(kp.privateKey, msg, z)).not.toEqual(
      xeddsaSign(kp.privateKey, msg, new Uint8Array(64)),
    );
  });

  it('rejects malformed keys and signatures with clear codes', async () => {
    const kp = await generateKeyPair(env);
    const msg = Uint8Array.of(1);
    const sig = xeddsaSign(kp.privateKey, msg, env.random(64));
    expect(await asyncCodeOf(xeddsaVerify(crypto, kp.publicKey, msg, sig.subarray(0, 63)))).toBe(
      'INVALID_SIGNATURE',
    );
    expect(await asyncCodeOf(xeddsaVerify(crypto, kp.publicKey.subarray(1), msg, sig))).toBe(
      'INVALID_KEY',
    );
    expect(await asyncCodeOf(xeddsaVerify(crypto, le(P), msg, sig))).toBe('INVALID_KEY');
    // s ≥ 2^253 is rejected (XEdDSA §2.6), as is u = −1, which has no Edwards image.
    const bigS = sig.slice();
    bigS[63]! |= 0x20;
    expect(await xeddsaVerify(crypto, kp.publicKey, msg, bigS)).toBe(false);
    expect(await xeddsaVerify(crypto, le(P - 1n), msg, sig)).toBe(false);
    expect(codeOf(() => xeddsaSign(kp.privateKey.subarray(1), msg, env.random(64)))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('verifies a signed prekey over Encode(SPK)', async () => {
    const party = await makeParty(env, 0);
    const spk = party.signedPreKey;
    expect(
      await verifySignedPreKey(env, party.identity.publicKey, spk.keyPair.publicKey, spk.signature),
    ).toBe(true);
    const stranger = await generateKeyPair(env);
    expect(
      await verifySignedPreKey(env, stranger.publicKey, spk.keyPair.publicKey, spk.signature),
    ).toBe(false);
    // The signature covers the 0x05 type byte: a signature over the raw key must not verify.
    const raw = xeddsaSign(party.identity.privateKey, spk.keyPair.publicKey, env.random(64));
    expect(
      await verifySignedPreKey(env, party.identity.publicKey, spk.keyPair.publicKey, raw),
    ).toBe(false);
  });
});
