/**
 * The Double Ratchet's KDF chains (signal.org/docs/specifications/doubleratchet §5.2).
 * Info strings are parameters so libsignal's own chain-key vectors can be checked.
 */
import { utf8, wipe } from '../bytes.ts';
import {
  AEAD_KEY_LENGTH,
  AEAD_NONCE_LENGTH,
  MESSAGE_KEYS_INFO,
  ROOT_KDF_INFO,
} from '../constants.ts';
import type { CryptoProvider } from '../crypto-provider.ts';

const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);
const ZERO_SALT = new Uint8Array(32);
const ROOT_INFO = utf8(ROOT_KDF_INFO);
const MESSAGE_INFO = utf8(MESSAGE_KEYS_INFO);

/** KDF_RK(rk, dh_out): HKDF with rk as salt → (new root key, new chain key). */
export async function kdfRootKey(
  crypto: CryptoProvider,
  rootKey: Uint8Array,
  dhOutput: Uint8Array,
  info: Uint8Array = ROOT_INFO,
): Promise<{ rootKey: Uint8Array; chainKey: Uint8Array }> {
  const out = await crypto.hkdfSha256(dhOutput, rootKey, info, 64);
  const result = { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
  wipe(out, dhOutput);
  return result;
}

/** KDF_CK(ck): message key = HMAC(ck, 0x01), next chain key = HMAC(ck, 0x02). */
export async function kdfChainKey(
  crypto: CryptoProvider,
  chainKey: Uint8Array,
): Promise<{ chainKey: Uint8Array; messageKey: Uint8Array }> {
  const [messageKey, next] = await Promise.all([
    crypto.hmacSha256(chainKey, MESSAGE_KEY_SEED),
    crypto.hmacSha256(chainKey, CHAIN_KEY_SEED),
  ]);
  return { chainKey: next, messageKey };
}

/** Expands a message key with HKDF (zero salt), as §5.2's recommended ENCRYPT does. */
export function expandMessageKey(
  crypto: CryptoProvider,
  messageKey: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return crypto.hkdfSha256(messageKey, ZERO_SALT, info, length);
}

/**
 * Our AEAD: AES-256-GCM under a key and nonce expanded from the one-use message key. A fresh
 * key per message makes the derived nonce safe; AD ‖ header is the associated data.
 */
async function aeadKeys(crypto: CryptoProvider, messageKey: Uint8Array) {
  const okm = await expandMessageKey(
    crypto,
    messageKey,
    MESSAGE_INFO,
    AEAD_KEY_LENGTH + AEAD_NONCE_LENGTH,
  );
  return { key: okm.subarray(0, AEAD_KEY_LENGTH), nonce: okm.subarray(AEAD_KEY_LENGTH), okm };
}

export async function sealMessage(
  crypto: CryptoProvider,
  messageKey: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  const { key, nonce, okm } = await aeadKeys(crypto, messageKey);
  try {
    return await crypto.aesGcmEncrypt(key, nonce, plaintext, aad);
  } finally {
    wipe(okm);
  }
}

/** Returns null when authentication fails. */
export async function openMessage(
  crypto: CryptoProvider,
  messageKey: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array | null> {
  const { key, nonce, okm } = await aeadKeys(crypto, messageKey);
  try {
    return await crypto.aesGcmDecrypt(key, nonce, sealed, aad);
  } finally {
    wipe(okm);
  }
}
