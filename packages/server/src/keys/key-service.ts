import type { CryptoProvider } from '@susurro/protocol';
import { tryNormalizeUsername } from '../accounts/username.ts';
import type { Clock } from '../clock.ts';
import { encodeBase64 } from '../encoding.ts';
import { ServerError } from '../errors.ts';
import { MAX_STORED_PREKEYS_PER_DEVICE, type RateLimits } from '../limits.ts';
import type { Principal } from '../principal.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { isStorageError, type AccountRecord, type Storage } from '../storage/types.ts';
import { checkSignedPreKey, parsePublicKey } from './verify-keys.ts';

/** Wire shapes: keys are base64 of Encode(PK) (33 bytes), signatures base64 of 64 bytes. */
export interface WireSignedPreKey {
  readonly keyId: number;
  readonly publicKey: string;
  readonly signature: string;
}

export interface WireOneTimePreKey {
  readonly keyId: number;
  readonly publicKey: string;
}

export interface KeyUpload {
  readonly identityKey: string;
  readonly signedPreKey: WireSignedPreKey;
  readonly oneTimePreKeys?: readonly WireOneTimePreKey[] | undefined;
}

export interface WireBundle {
  readonly deviceId: number;
  readonly identityKey: string;
  readonly identityKeyUpdatedAt: number;
  readonly signedPreKey: WireSignedPreKey;
  readonly oneTimePreKey?: WireOneTimePreKey;
}

export interface KeyServiceOptions {
  readonly storage: Storage;
  readonly crypto: CryptoProvider;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly rateLimits: RateLimits;
}

/** RF05/RF06: the public key directory. Private keys never reach the server. */
export class KeyService {
  readonly #o: KeyServiceOptions;

  constructor(options: KeyServiceOptions) {
    this.#o = options;
  }

  /**
   * Publishes (or rotates) the calling device's identity key and signed prekey, optionally with
   * one-time prekeys. A changed identity key drops the device's old one-time prekeys and moves
   * `identityKeyUpdatedAt`, which peers see in every bundle and identity lookup.
   */
  async uploadKeys(principal: Principal, upload: KeyUpload) {
    const identityKey = parsePublicKey(upload.identityKey, 'identityKey');
    const spkPublic = parsePublicKey(upload.signedPreKey.publicKey, 'signedPreKey.publicKey');
    const signature = await checkSignedPreKey(
      this.#o.crypto,
      identityKey,
      spkPublic,
      upload.signedPreKey.signature,
    );
    const prekeys = parseOneTimePreKeys(upload.oneTimePreKeys ?? []);
    const { identityKeyChanged } = await this.#o.storage.setDeviceKeys(
      principal,
      identityKey,
      { keyId: upload.signedPreKey.keyId, publicKey: spkPublic, signature },
      this.#o.clock(),
    );
    const oneTimePreKeyCount =
      prekeys.length > 0
        ? await this.#addPreKeys(principal, prekeys)
        : await this.#o.storage.countOneTimePreKeys(principal);
    return { identityKeyChanged, oneTimePreKeyCount };
  }

  async addOneTimePreKeys(
    principal: Principal,
    keys: readonly WireOneTimePreKey[],
  ): Promise<number> {
    const prekeys = parseOneTimePreKeys(keys);
    const device = await this.#o.storage.getDevice(principal.accountId, principal.deviceId);
    if (device?.keys === undefined) throw new ServerError('NO_IDENTITY_KEY');
    return this.#addPreKeys(principal, prekeys);
  }

  async countOneTimePreKeys(principal: Principal): Promise<number> {
    return this.#o.storage.countOneTimePreKeys(principal);
  }

  /**
   * A user's prekey bundles, one per device with keys, each with at most one one-time prekey
   * taken atomically. Rate limited per requesting account: every call can burn a prekey.
   */
  async takeBundles(requester: Principal, rawUsername: string, deviceId?: number) {
    this.#o.limiter.take(`bundle:${requester.accountId}`, this.#o.rateLimits.bundleFetchPerAccount);
    const account = await this.#findAccount(rawUsername);
    const bundles = await this.#o.storage.takePreKeyBundles(account.accountId, deviceId);
    if (bundles.length === 0) {
      throw new ServerError('DEVICE_NOT_FOUND', 'That user has no device with published keys.');
    }
    const devices: WireBundle[] = bundles.map((b) => ({
      deviceId: b.deviceId,
      identityKey: encodeBase64(b.identityKey),
      identityKeyUpdatedAt: b.identityKeyUpdatedAt,
      signedPreKey: {
        keyId: b.signedPreKey.keyId,
        publicKey: encodeBase64(b.signedPreKey.publicKey),
        signature: encodeBase64(b.signedPreKey.signature),
      },
      ...(b.oneTimePreKey && {
        oneTimePreKey: {
          keyId: b.oneTimePreKey.keyId,
          publicKey: encodeBase64(b.oneTimePreKey.publicKey),
        },
      }),
    }));
    return { username: account.username, devices };
  }

  /** Identity keys only (no prekey consumed): lets a client re-check a peer cheaply. */
  async identities(rawUsername: string) {
    const account = await this.#findAccount(rawUsername);
    const devices = await this.#o.storage.listDevices(account.accountId);
    return {
      username: account.username,
      devices: devices.flatMap((d) =>
        d.keys === undefined
          ? []
          : [
              {
                deviceId: d.deviceId,
                identityKey: encodeBase64(d.keys.identityKey),
                identityKeyUpdatedAt: d.keys.identityKeyUpdatedAt,
              },
            ],
      ),
    };
  }

  async #findAccount(rawUsername: string): Promise<AccountRecord> {
    const username = tryNormalizeUsername(rawUsername);
    const account =
      username === undefined ? undefined : await this.#o.storage.getAccountByUsername(username);
    if (account === undefined) throw new ServerError('NOT_FOUND', 'No such user.');
    return account;
  }

  async #addPreKeys(principal: Principal, prekeys: { keyId: number; publicKey: Uint8Array }[]) {
    try {
      return await this.#o.storage.addOneTimePreKeys(
        principal,
        prekeys,
        MAX_STORED_PREKEYS_PER_DEVICE,
      );
    } catch (e) {
      if (isStorageError(e, 'LIMIT'))
        throw new ServerError('TOO_MANY_PREKEYS', undefined, { cause: e });
      throw e;
    }
  }
}

function parseOneTimePreKeys(keys: readonly WireOneTimePreKey[]) {
  return keys.map((k, i) => ({
    keyId: k.keyId,
    publicKey: parsePublicKey(k.publicKey, `oneTimePreKeys[${i}].publicKey`),
  }));
}
