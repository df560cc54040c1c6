/**
 * The vault passphrase of this browser install. A person should not have to type a second
 * password to open their own messages, yet private keys must not sit in IndexedDB in the clear.
 * So, once per install:
 *
 * 1. 32 random bytes become the vault passphrase (256 bits: far beyond guessing, which is why
 *    the vault's scrypt cost can drop to 2^10 — see WEB_VAULT_KDF_LOG_N);
 * 2. WebCrypto generates an AES-256-GCM key with `extractable: false`: its bytes can never be
 *    read by script, only used through `crypto.subtle`;
 * 3. the passphrase is sealed under that key and both are stored in IndexedDB (a CryptoKey is
 *    structured-cloneable, so the browser persists the handle without exposing the bytes).
 *
 * What it buys: a copy of the IndexedDB files alone (a backup, a synced profile, a disk image
 * read without the browser's own key store) yields ciphertext only. What it does not: script
 * running in this origin can still ask the browser to decrypt — that is XSS, which the strict
 * CSP addresses — and the browser profile as a whole is as safe as the OS account.
 */
import { toBase64 } from '@susurro/client';
import type { RandomSource } from '@susurro/protocol';
import { WebClientError } from '../errors.ts';
import { DEVICE_STORE, requestResult, transactionDone } from './idb.ts';

const WRAPPING_KEY = 'wrapping-key';
const SEALED_PASSPHRASE = 'sealed-passphrase';
const PASSPHRASE_BYTES = 32;
const NONCE_BYTES = 12;
/** Binds the sealed blob to its purpose, so it cannot be swapped for another value. */
const AAD = new TextEncoder().encode('susurro-web-vault-passphrase-v1');

interface SealedPassphrase {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

export class DeviceSecretError extends WebClientError {
  override readonly name = 'DeviceSecretError';
  constructor(code: 'DEVICE_KEY_MISSING' | 'DEVICE_KEY_INVALID') {
    super(code);
  }
}

const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

/**
 * Returns this install's vault passphrase, creating it on first use. `created` tells the caller
 * whether a vault may already exist under another passphrase (it must not, if created).
 */
export async function loadDevicePassphrase(
  db: IDBDatabase,
  random: RandomSource,
): Promise<{ passphrase: string; created: boolean }> {
  const read = db.transaction(DEVICE_STORE, 'readonly').objectStore(DEVICE_STORE);
  const [key, sealed] = await Promise.all([
    requestResult(read.get(WRAPPING_KEY) as IDBRequest<CryptoKey | undefined>),
    requestResult(read.get(SEALED_PASSPHRASE) as IDBRequest<SealedPassphrase | undefined>),
  ]);
  if (key && sealed) return { passphrase: await unseal(key, sealed), created: false };
  if (key || sealed) throw new DeviceSecretError('DEVICE_KEY_MISSING');

  const wrappingKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const secret = random(PASSPHRASE_BYTES);
  const nonce = random(NONCE_BYTES);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: buf(nonce), additionalData: AAD },
      wrappingKey,
      buf(secret),
    ),
  );
  const passphrase = toBase64(secret);
  secret.fill(0);
  const tx = db.transaction(DEVICE_STORE, 'readwrite', { durability: 'strict' });
  const done = transactionDone(tx);
  const store = tx.objectStore(DEVICE_STORE);
  // `add`, not `put`: if another tab won the race, this transaction aborts instead of
  // overwriting a passphrase that already protects a vault.
  store.add(wrappingKey, WRAPPING_KEY);
  store.add({ nonce, ciphertext } satisfies SealedPassphrase, SEALED_PASSPHRASE);
  await done;
  return { passphrase, created: true };
}

async function unseal(key: CryptoKey, sealed: SealedPassphrase): Promise<string> {
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(sealed.nonce), additionalData: AAD },
      key,
      buf(sealed.ciphertext),
    );
  } catch {
    throw new DeviceSecretError('DEVICE_KEY_INVALID');
  }
  const bytes = new Uint8Array(plain);
  const passphrase = toBase64(bytes);
  bytes.fill(0);
  return passphrase;
}
