/**
 * The small interface every primitive goes through (STYLE: algorithms take their primitives as
 * parameters). Implementations: `providers/node.ts` (node:crypto, fastest on servers and in
 * Lambda), `providers/webcrypto.ts` (browsers) and `providers/noble.ts` (pure JS, audited
 * @noble/* — the reference and the fallback). All are exercised by the same test suite.
 *
 * Everything is async because WebCrypto is; the Node provider resolves immediately.
 * Inputs are raw bytes; implementations must not retain or mutate them.
 */
export interface CryptoProvider {
  readonly name: string;
  /** X25519(k, u) per RFC 7748 §5. Returns the raw 32-byte output, which may be all zero. */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  /** X25519(k, 9): the public key of a (clamped or unclamped) private scalar. */
  x25519PublicKey(privateKey: Uint8Array): Promise<Uint8Array>;
  /** Plain RFC 8032 Ed25519 verification of a 64-byte signature by a 32-byte public key. */
  ed25519Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** RFC 5869 HKDF with SHA-256. */
  hkdfSha256(
    ikm: Uint8Array,
    salt: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;
  /** AES-256-GCM with a 12-byte nonce; returns ciphertext ‖ 16-byte tag. */
  aesGcmEncrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array>;
  /** Inverse of aesGcmEncrypt; returns null when authentication fails. */
  aesGcmDecrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | null>;
}

/** Randomness is a parameter (STYLE §1): returns `length` fresh random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** The platform CSPRNG (WebCrypto `getRandomValues`, present in browsers, Node ≥ 19 and Lambda). */
export const systemRandom: RandomSource = (length) => {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65 536 bytes per call.
  for (let off = 0; off < length; off += 65_536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(length, off + 65_536)));
  }
  return out;
};

/** What protocol operations need from the outside world. */
export interface ProtocolEnv {
  readonly crypto: CryptoProvider;
  readonly random: RandomSource;
}
