/**
 * Pure-JS provider over the audited @noble/* libraries. It is the reference the other
 * providers are tested against and the fallback where no native primitive exists; it is
 * ~50× slower than node:crypto for X25519, so it is never the default on a server.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoProvider } from '../crypto-provider.ts';
import { ProtocolError } from '../errors.ts';

export const nobleCryptoProvider: CryptoProvider = {
  name: 'noble',
  x25519(privateKey, publicKey) {
    try {
      return Promise.resolve(x25519.getSharedSecret(privateKey, publicKey));
    } catch (cause) {
      // noble refuses an all-zero result (a small-order peer key).
      return Promise.reject(
        new ProtocolError('LOW_ORDER_POINT', 'X25519 output is all zero', { cause }),
      );
    }
  },
  x25519PublicKey(privateKey) {
    return Promise.resolve(x25519.getPublicKey(privateKey));
  },
  ed25519Verify(publicKey, message, signature) {
    try {
      // zip215: false = RFC 8032 strict decoding, matching OpenSSL and WebCrypto.
      return Promise.resolve(ed25519.verify(signature, message, publicKey, { zip215: false }));
    } catch {
      return Promise.resolve(false);
    }
  },
  hmacSha256(key, data) {
    return Promise.resolve(hmac(sha256, key, data));
  },
  hkdfSha256(ikm, salt, info, length) {
    return Promise.resolve(hkdf(sha256, ikm, salt, info, length));
  },
  aesGcmEncrypt(key, nonce, plaintext, aad) {
    return Promise.resolve(gcm(key, nonce, aad).encrypt(plaintext));
  },
  aesGcmDecrypt(key, nonce, sealed, aad) {
    try {
      return Promise.resolve(gcm(key, nonce, aad).decrypt(sealed));
    } catch {
      return Promise.resolve(null);
    }
  },
};
