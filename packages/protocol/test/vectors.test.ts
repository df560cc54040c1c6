/**
 * Known-answer tests against public vectors (sources recorded in each vectors/*.json file),
 * run for every crypto provider available in this runtime.
 */
import { describe, expect, it } from 'vitest';
import {
  decodePublicKey,
  expandMessageKey,
  fromHex,
  isProtocolError,
  kdfChainKey,
  toHex,
  xeddsaSign,
  xeddsaVerify,
} from '../src/index.ts';
import { availableProviders, bitFlips } from './helpers.ts';
import rfc7748 from './vectors/rfc7748-x25519.json' with { type: 'json' };
import rfc5869 from './vectors/rfc5869-hkdf-sha256.json' with { type: 'json' };
import libsignalCurve from './vectors/libsignal-curve25519.json' with { type: 'json' };
import libsignalChain from './vectors/libsignal-chain-key.json' with { type: 'json' };
import protocolC from './vectors/libsignal-protocol-c-xeddsa.json' with { type: 'json' };

type Vector = Record<string, unknown>;
const hex = (v: Vector, field: string): Uint8Array => fromHex(v[field] as string);
const byKind = (vs: Vector[], kind: string) => vs.filter((v) => v.kind === kind);

describe.each(await availableProviders())('known answers ($name)', (crypto) => {
  it('RFC 7748 §5.2 single X25519 calls', async () => {
    for (const v of byKind(rfc7748.vectors, 'single')) {
      // Vector 2's u has its top bit set; X25519 itself must mask it (RFC 7748 §5).
      expect(toHex(await crypto.x25519(hex(v, 'scalar'), hex(v, 'u')))).toBe(v.output);
    }
  });

  it('RFC 7748 §5.2 iterated X25519 (1 and 1 000 iterations)', async () => {
    const iterated = rfc7748.vectors.filter((v: Vector) => v.kind === 'iterated') as Vector[];
    expect(iterated.length).toBeGreaterThan(0);
    const max = Math.max(...iterated.map((v) => v.iterations as number));
    let k: Uint8Array = new Uint8Array(32);
    k[0] = 9;
    let u: Uint8Array = k.slice();
    const results = new Map<number, string>();
    for (let i = 1; i <= max; i++) {
      const next = await crypto.x25519(k, u);
      u = k;
      k = next;
      results.set(i, toHex(k));
    }
    for (const v of iterated) expect(results.get(v.iterations as number)).toBe(v.result);
  });

  it('RFC 7748 §6.1 Diffie-Hellman', async () => {
    for (const v of byKind(rfc7748.vectors, 'diffie-hellman')) {
      expect(toHex(await crypto.x25519PublicKey(hex(v, 'alice_private')))).toBe(v.alice_public);
      expect(toHex(await crypto.x25519PublicKey(hex(v, 'bob_private')))).toBe(v.bob_public);
      expect(toHex(await crypto.x25519(hex(v, 'alice_private'), hex(v, 'bob_public')))).toBe(
        v.shared_secret,
      );
      expect(toHex(await crypto.x25519(hex(v, 'bob_private'), hex(v, 'alice_public')))).toBe(
        v.shared_secret,
      );
    }
  });

  it('RFC 5869 Appendix A HKDF-SHA-256', async () => {
    for (const v of rfc5869.vectors as Vector[]) {
      const okm = await crypto.hkdfSha256(
        hex(v, 'ikm'),
        hex(v, 'salt'),
        hex(v, 'info'),
        v.L as number,
      );
      expect(toHex(okm)).toBe(v.okm);
    }
  });

  it('libsignal test_agreement', async () => {
    const [v] = byKind(libsignalCurve.vectors, 'x25519-agreement');
    expect(v).toBeDefined();
    expect(toHex(await crypto.x25519PublicKey(hex(v!, 'alice_private_raw')))).toBe(
      v!.alice_public_raw,
    );
    expect(toHex(decodePublicKey(hex(v!, 'bob_public_encoded')))).toBe(v!.bob_public_raw);
    expect(
      toHex(await crypto.x25519(hex(v!, 'alice_private_raw'), hex(v!, 'bob_public_raw'))),
    ).toBe(v!.shared_secret);
    expect(
      toHex(await crypto.x25519(hex(v!, 'bob_private_raw'), hex(v!, 'alice_public_raw'))),
    ).toBe(v!.shared_secret);
  });

  it("accepts libsignal's XEdDSA signatures (sign bit in the last byte) and rejects bit flips", async () => {
    const signed = [
      ...byKind(libsignalCurve.vectors, 'xeddsa-verify'),
      ...byKind(libsignalCurve.vectors, 'xeddsa-sign-deterministic'),
    ];
    expect(signed.length).toBeGreaterThanOrEqual(2);
    for (const v of signed) {
      const pub = hex(v, 'identity_public_raw');
      const msg = hex(v, 'message');
      const sig = hex(v, 'signature');
      expect(sig[63]! & 0x80).toBe(0x80);
      expect(await xeddsaVerify(crypto, pub, msg, sig)).toBe(true);
      for (const flipped of bitFlips(sig))
        expect(await xeddsaVerify(crypto, pub, msg, flipped)).toBe(false);
      for (const flipped of bitFlips(msg, 0, 16))
        expect(await xeddsaVerify(crypto, pub, flipped, sig)).toBe(false);
    }
  });

  it('libsignal-protocol-c: reproduces xed25519_sign and verifies curve25519_sign', async () => {
    for (const v of protocolC.vectors.filter(
      (x: Vector) => x.kind === 'xeddsa-sign-deterministic',
    ) as Vector[]) {
      const priv = hex(v, 'private_key');
      const pub = await crypto.x25519PublicKey(priv);
      expect(toHex(pub)).toBe(v.public_key_raw_derived);
      const msg = hex(v, 'message');
      const sig = hex(v, 'signature');
      expect(await xeddsaVerify(crypto, pub, msg, sig)).toBe(true);
      const flipped = sig.slice();
      flipped[0]! ^= 1;
      expect(await xeddsaVerify(crypto, pub, msg, flipped)).toBe(false);
      if (v.name === 'xeddsa_fast_test') {
        // Our signer follows the XEdDSA spec (sign bit forced to 0), as xed25519_sign does.
        expect(toHex(xeddsaSign(priv, msg, hex(v, 'random_z')))).toBe(v.signature);
        const err = await xeddsaVerify(crypto, new Uint8Array(32).fill(0xff), msg, sig).catch(
          (e: unknown) => e,
        );
        expect(isProtocolError(err, 'INVALID_KEY')).toBe(true);
      }
    }
  });

  it('libsignal chain key derivation (ratchet/keys.rs)', async () => {
    const [v] = libsignalChain.vectors as Vector[];
    const { chainKey, messageKey } = await kdfChainKey(crypto, hex(v!, 'chain_key'));
    expect(toHex(chainKey)).toBe(v!.next_chain_key);
    const okm = await expandMessageKey(
      crypto,
      messageKey,
      new TextEncoder().encode(v!.hkdf_info as string),
      v!.hkdf_output_length as number,
    );
    expect(toHex(okm.subarray(0, 32))).toBe(v!.cipher_key);
    expect(toHex(okm.subarray(32, 64))).toBe(v!.mac_key);
  });
});
