/**
 * XEdDSA over Curve25519 (signal.org/docs/specifications/xeddsa): Ed25519-compatible
 * signatures made with X25519 key pairs.
 *
 * Signing needs Edwards arithmetic on the Montgomery private scalar (§2.3
 * calculate_key_pair), so it uses @noble/curves' audited point and field operations.
 * Verification is the birational map u → y (§2.4 convert_mont) followed by a plain Ed25519
 * verification, which the crypto provider runs natively where it can.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { assertBytes, concatBytes, wipe } from './bytes.ts';
import { PRIVATE_KEY_LENGTH, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from './constants.ts';
import type { CryptoProvider } from './crypto-provider.ts';
import { ProtocolError } from './errors.ts';

const Point = ed25519.Point;
const Fp = Point.Fp;
const Fn = Point.Fn;

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function numberToBytesLE(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** XEdDSA §2.5 hash_1: SHA-512(2^256 − 1 − 1 ‖ X), i.e. 0xFE then 31 × 0xFF, then X. */
const HASH1_PREFIX = (() => {
  const p = new Uint8Array(32).fill(0xff);
  p[0] = 0xfe;
  return p;
})();

/**
 * xeddsa_sign(k, M, Z) (XEdDSA §2.5). `random64` is Z: 64 fresh random bytes from the
 * caller's RandomSource, which keeps signing deterministic under test.
 */
export function xeddsaSign(
  privateKey: Uint8Array,
  message: Uint8Array,
  random64: Uint8Array,
): Uint8Array {
  assertBytes(privateKey, 'privateKey', PRIVATE_KEY_LENGTH);
  assertBytes(message, 'message');
  assertBytes(random64, 'random', 64);

  // §2.3 calculate_key_pair: E = kB; force A's sign bit to 0 by negating a when E's is 1.
  const k = Fn.create(bytesToNumberLE(privateKey));
  const E = Point.BASE.multiply(k);
  const publicEdwards = E.toBytes();
  const negative = (publicEdwards[31]! & 0x80) !== 0;
  publicEdwards[31]! &= 0x7f;
  const a = negative ? Fn.neg(k) : k;
  const aBytes = numberToBytesLE(a, 32);

  const rHash = sha512(concatBytes(HASH1_PREFIX, aBytes, message, random64));
  const r = Fn.create(bytesToNumberLE(rHash));
  const R = Point.BASE.multiply(r).toBytes();
  const h = Fn.create(bytesToNumberLE(sha512(concatBytes(R, publicEdwards, message))));
  const s = Fn.add(r, Fn.mul(h, a));
  wipe(aBytes, rHash);
  return concatBytes(R, numberToBytesLE(s, 32));
}

/**
 * xeddsa_verify(u, M, (R ‖ s)) (XEdDSA §2.6), also accepting libsignal's variant: its signer
 * keeps E's real sign bit and stores it in the top bit of the signature's last byte (which is
 * otherwise always zero because s < 2^253), so that bit selects the Edwards sign of A.
 *
 * Malformed inputs (wrong lengths, u ≥ p) throw a ProtocolError; a well-formed signature that
 * does not verify returns false.
 */
export async function xeddsaVerify(
  crypto: CryptoProvider,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('INVALID_KEY', `XEdDSA public key must be ${PUBLIC_KEY_LENGTH} bytes`);
  }
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) {
    throw new ProtocolError('INVALID_SIGNATURE', `signature must be ${SIGNATURE_LENGTH} bytes`);
  }
  assertBytes(message, 'message');

  const u = bytesToNumberLE(publicKey);
  if (u >= Fp.ORDER)
    throw new ProtocolError('INVALID_KEY', 'XEdDSA public key is not canonical (u ≥ p)');

  const signBit = signature[63]! & 0x80;
  const edSignature = signature.slice();
  edSignature[63]! &= 0x7f;
  // §2.6: reject s ≥ 2^253 (after removing libsignal's sign bit).
  if ((edSignature[63]! & 0xe0) !== 0) return false;

  // §2.4 convert_mont: y = (u − 1) / (u + 1). u = −1 has no Edwards image (libsignal: invalid).
  const uPlusOne = Fp.add(u, Fp.ONE);
  if (Fp.is0(uPlusOne)) return false;
  const y = Fp.div(Fp.sub(u, Fp.ONE), uPlusOne);
  const edwardsKey = numberToBytesLE(y, 32);
  edwardsKey[31]! |= signBit;
  return crypto.ed25519Verify(edwardsKey, message, edSignature);
}
