/**
 * Encryption at rest. A random 256-bit data key encrypts every value with AES-256-GCM (fresh
 * 96-bit nonce each write; the record's key name is the associated data, so values cannot be
 * swapped between records). The data key is wrapped under a key derived from the user's
 * passphrase with scrypt; a wrong passphrase fails the unwrap and is reported as such.
 *
 * Record names (e.g. a contact's username) are not encrypted; values — private keys, session
 * state, message bodies, tokens — always are.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { concatBytes, type CryptoProvider, type RandomSource } from '@susurro/protocol';
import { fromBase64, toBase64 } from '../base64.ts';
import { ClientError } from '../errors.ts';
import { STORE_KDF_LOG_N } from '../limits.ts';
import type { KeyValueBackend, WriteOp } from './backend.ts';

const META_KEY = '!vault';
const VAULT_VERSION = 1;
const NONCE_LENGTH = 12;
const WRAP_AAD = new TextEncoder().encode('susurro-vault-key-v1');

interface VaultMeta {
  v: number;
  kdf: 'scrypt';
  logN: number;
  r: number;
  p: number;
  salt: string;
  wrappedKey: string;
}

export interface VaultOptions {
  crypto: CryptoProvider;
  random: RandomSource;
  /** Override the scrypt cost (tests only; stored in the vault so it reopens correctly). */
  kdfLogN?: number;
}

async function deriveKek(passphrase: string, meta: Pick<VaultMeta, 'logN' | 'r' | 'p' | 'salt'>) {
  return scryptAsync(
    new TextEncoder().encode(passphrase.normalize('NFKC')),
    fromBase64(meta.salt),
    {
      N: 2 ** meta.logN,
      r: meta.r,
      p: meta.p,
      dkLen: 32,
    },
  );
}

function parseMeta(bytes: Uint8Array): VaultMeta {
  try {
    const meta = JSON.parse(new TextDecoder().decode(bytes)) as VaultMeta;
    if (meta.v !== VAULT_VERSION) {
      throw new ClientError(
        'STORE_CORRUPT',
        `store format version ${meta.v} is not supported by this client`,
      );
    }
    if (meta.kdf !== 'scrypt' || !(meta.logN >= 10 && meta.logN <= 22))
      throw new Error('bad kdf parameters');
    return meta;
  } catch (cause) {
    if (cause instanceof ClientError) throw cause;
    throw new ClientError(
      'STORE_CORRUPT',
      'the store header is damaged; refusing to touch the store',
      { cause },
    );
  }
}

export class VaultStore {
  private constructor(
    private readonly backend: KeyValueBackend,
    private readonly crypto: CryptoProvider,
    private readonly random: RandomSource,
    private readonly dataKey: Uint8Array,
  ) {}

  /** Opens an existing vault, or creates one if the backend is empty. */
  static async open(
    backend: KeyValueBackend,
    passphrase: string,
    options: VaultOptions,
  ): Promise<VaultStore> {
    const { crypto, random } = options;
    const existing = await backend.get(META_KEY);
    if (!existing) {
      const meta = {
        v: VAULT_VERSION,
        kdf: 'scrypt' as const,
        logN: options.kdfLogN ?? STORE_KDF_LOG_N,
        r: 8,
        p: 1,
      };
      const salt = toBase64(random(16));
      const kek = await deriveKek(passphrase, { ...meta, salt });
      const dataKey = random(32);
      const nonce = random(NONCE_LENGTH);
      const wrapped = concatBytes(nonce, await crypto.aesGcmEncrypt(kek, nonce, dataKey, WRAP_AAD));
      kek.fill(0);
      const record: VaultMeta = { ...meta, salt, wrappedKey: toBase64(wrapped) };
      await backend.write([[META_KEY, new TextEncoder().encode(JSON.stringify(record))]]);
      return new VaultStore(backend, crypto, random, dataKey);
    }
    const meta = parseMeta(existing);
    const wrapped = fromBase64(meta.wrappedKey);
    const kek = await deriveKek(passphrase, meta);
    const dataKey = await crypto.aesGcmDecrypt(
      kek,
      wrapped.subarray(0, NONCE_LENGTH),
      wrapped.subarray(NONCE_LENGTH),
      WRAP_AAD,
    );
    kek.fill(0);
    if (!dataKey)
      throw new ClientError('WRONG_PASSPHRASE', 'the passphrase does not unlock this store');
    return new VaultStore(backend, crypto, random, dataKey);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const sealed = await this.backend.get(key);
    return sealed && this.open(key, sealed);
  }

  async list(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const rows = await this.backend.list(prefix);
    return Promise.all(
      rows.map(async ([k, v]) => [k, await this.open(k, v)] as [string, Uint8Array]),
    );
  }

  /** Atomic: every put and delete lands, or none does. */
  async write(ops: readonly WriteOp[]): Promise<void> {
    const sealed = await Promise.all(
      ops.map(async ([k, v]): Promise<WriteOp> => {
        if (k === META_KEY) throw new ClientError('INVALID_ARGUMENT', 'reserved record name');
        return [k, v === undefined ? undefined : await this.seal(k, v)];
      }),
    );
    await this.backend.write(sealed);
  }

  async close(): Promise<void> {
    this.dataKey.fill(0);
    await this.backend.close();
  }

  private async seal(key: string, value: Uint8Array): Promise<Uint8Array> {
    const nonce = this.random(NONCE_LENGTH);
    return concatBytes(
      nonce,
      await this.crypto.aesGcmEncrypt(this.dataKey, nonce, value, new TextEncoder().encode(key)),
    );
  }

  private async open(key: string, sealed: Uint8Array): Promise<Uint8Array> {
    const plain =
      sealed.length > NONCE_LENGTH
        ? await this.crypto.aesGcmDecrypt(
            this.dataKey,
            sealed.subarray(0, NONCE_LENGTH),
            sealed.subarray(NONCE_LENGTH),
            new TextEncoder().encode(key),
          )
        : null;
    if (!plain)
      throw new ClientError(
        'STORE_CORRUPT',
        `record "${key}" is damaged or was not written by this store`,
      );
    return plain;
  }
}
