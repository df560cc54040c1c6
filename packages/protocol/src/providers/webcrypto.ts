/**
 * WebCrypto provider for browsers (and any runtime with `crypto.subtle` X25519/Ed25519, which
 * includes Node ≥ 20). Keys are imported per call: WebCrypto cannot hold raw private scalars,
 * and caching CryptoKeys would keep secrets alive beyond the caller's control.
 */
import { concatBytes } from '../bytes.ts';
import type { CryptoProvider } from '../crypto-provider.ts';
import { ProtocolError } from '../errors.ts';

/** PKCS#8 header for a raw X25519 private key (RFC 8410 §7). */
const X25519_PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
);

// WebCrypto's typings want ArrayBuffer-backed views; ours always are.
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s)
    throw new ProtocolError('INVALID_ARGUMENT', 'WebCrypto (crypto.subtle) is not available here');
  return s;
}

function importX25519Private(privateKey: Uint8Array, extractable: boolean): Promise<CryptoKey> {
  const pkcs8 = concatBytes(X25519_PKCS8_PREFIX, privateKey);
  return subtle().importKey('pkcs8', buf(pkcs8), { name: 'X25519' }, extractable, ['deriveBits']);
}

function base64UrlToBytes(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export const webCryptoProvider: CryptoProvider = {
  name: 'webcrypto',
  async x25519(privateKey, publicKey) {
    const [priv, pub] = await Promise.all([
      importX25519Private(privateKey, false),
      subtle().importKey('raw', buf(publicKey), { name: 'X25519' }, true, []),
    ]);
    try {
      return new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: pub }, priv, 256));
    } catch (cause) {
      // Secure Curves in WebCrypto: deriveBits throws when the result is all zero.
      throw new ProtocolError('LOW_ORDER_POINT', 'X25519 derivation failed', { cause });
    }
  },
  async x25519PublicKey(privateKey) {
    const jwk = await subtle().exportKey('jwk', await importX25519Private(privateKey, true));
    return base64UrlToBytes(jwk.x!);
  },
  async ed25519Verify(publicKey, message, signature) {
    try {
      const key = await subtle().importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, [
        'verify',
      ]);
      return await subtle().verify({ name: 'Ed25519' }, key, buf(signature), buf(message));
    } catch {
      return false;
    }
  },
  async hmacSha256(key, data) {
    const k = await subtle().importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new Uint8Array(await subtle().sign('HMAC', k, buf(data)));
  },
  async hkdfSha256(ikm, salt, info, length) {
    const k = await subtle().importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
    const params = { name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) };
    return new Uint8Array(await subtle().deriveBits(params, k, length * 8));
  },
  async aesGcmEncrypt(key, nonce, plaintext, aad) {
    const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['encrypt']);
    const params = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 };
    return new Uint8Array(await subtle().encrypt(params, k, buf(plaintext)));
  },
  async aesGcmDecrypt(key, nonce, sealed, aad) {
    const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
    const params = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 };
    try {
      return new Uint8Array(await subtle().decrypt(params, k, buf(sealed)));
    } catch {
      return null;
    }
  },
};
