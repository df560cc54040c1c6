/**
 * The storage port (after atproto's `repo/src/storage/types.ts`): the chat core depends on this
 * interface only; each backend lives in its own folder and is the only code importing its
 * driver. Every adapter must pass `test/storage-contract/`.
 *
 * Conventions: all methods are async (remote backends); times are epoch milliseconds passed in
 * by the caller (the clock is a parameter); bytes are `Uint8Array`; usernames are already
 * normalised. A method that returns `undefined` means "no such row"; a mutation aimed at a
 * missing row throws `StorageError('NOT_FOUND')`.
 */

export type AccountId = string;

export interface AccountRecord {
  readonly accountId: AccountId;
  readonly username: string;
  readonly passwordHash: string;
  readonly createdAt: number;
}

/** A device as the directory knows it; keys are absent until the device uploads them. */
export interface DeviceRecord {
  readonly deviceId: number;
  readonly createdAt: number;
  readonly keys: DeviceKeys | undefined;
}

export interface SignedPreKeyRecord {
  readonly keyId: number;
  /** Encode(PK): 33 bytes. */
  readonly publicKey: Uint8Array;
  /** XEdDSA signature over publicKey by the identity key: 64 bytes. */
  readonly signature: Uint8Array;
}

export interface DeviceKeys {
  /** Encode(IK): 33 bytes. */
  readonly identityKey: Uint8Array;
  /** When this identity key was first uploaded; moves only when the key changes. */
  readonly identityKeyUpdatedAt: number;
  readonly signedPreKey: SignedPreKeyRecord;
}

export interface OneTimePreKeyRecord {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

export interface PreKeyBundleRecord {
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly identityKeyUpdatedAt: number;
  readonly signedPreKey: SignedPreKeyRecord;
  /** Taken (deleted) atomically with the read; absent when the device has none left. */
  readonly oneTimePreKey: OneTimePreKeyRecord | undefined;
}

export interface SessionRecord {
  readonly accountId: AccountId;
  readonly username: string;
  readonly deviceId: number;
  readonly expiresAt: number;
}

export interface TicketRecord {
  readonly accountId: AccountId;
  readonly username: string;
  readonly deviceId: number;
}

export interface DeviceAddress {
  readonly accountId: AccountId;
  readonly deviceId: number;
}

export interface NewMessage {
  readonly recipient: DeviceAddress;
  readonly senderAccountId: AccountId;
  readonly senderUsername: string;
  readonly senderDeviceId: number;
  /** The sender's id; (sender account, sender device, clientId, recipient) is unique. */
  readonly clientId: string;
  readonly body: Uint8Array;
  readonly createdAt: number;
}

export interface StoredMessage {
  /** Opaque, assigned by storage, unique forever (never reused after deletion). */
  readonly serverId: string;
  readonly senderUsername: string;
  readonly senderDeviceId: number;
  readonly clientId: string;
  readonly body: Uint8Array;
  readonly createdAt: number;
}

export interface EnqueueResult {
  readonly serverId: string;
  /** True when this (sender, clientId, recipient) was seen before: nothing new was stored. */
  readonly duplicate: boolean;
}

export interface Storage {
  // --- accounts; throws CONFLICT when the username exists ---
  createAccount(username: string, passwordHash: string, now: number): Promise<AccountRecord>;
  getAccountByUsername(username: string): Promise<AccountRecord | undefined>;

  // --- devices; throws LIMIT beyond maxDevices ---
  createDevice(accountId: AccountId, now: number, maxDevices: number): Promise<number>;
  getDevice(accountId: AccountId, deviceId: number): Promise<DeviceRecord | undefined>;
  listDevices(accountId: AccountId): Promise<DeviceRecord[]>;

  // --- sessions (access tokens stored only as hashes) ---
  createSession(tokenHash: Uint8Array, session: SessionRecord): Promise<void>;
  /** Returns the session unless it is missing or expired at `now`. */
  getSession(tokenHash: Uint8Array, now: number): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: Uint8Array): Promise<void>;

  // --- WebSocket tickets: single use ---
  createTicket(ticketHash: Uint8Array, ticket: TicketRecord, expiresAt: number): Promise<void>;
  /** Atomically deletes and returns the ticket; `undefined` if unknown, used or expired. */
  consumeTicket(ticketHash: Uint8Array, now: number): Promise<TicketRecord | undefined>;

  // --- key directory ---
  /**
   * Sets identity key and signed prekey. When the identity key differs from the stored one the
   * device's one-time prekeys are deleted (they belong to the old install) and
   * `identityKeyUpdatedAt` moves to `now`. Returns whether the identity key changed.
   */
  setDeviceKeys(
    device: DeviceAddress,
    identityKey: Uint8Array,
    signedPreKey: SignedPreKeyRecord,
    now: number,
  ): Promise<{ identityKeyChanged: boolean }>;
  /**
   * Adds (or replaces, by keyId) one-time prekeys; throws LIMIT if the device would then hold
   * more than `maxStored`. Returns the count afterwards.
   */
  addOneTimePreKeys(
    device: DeviceAddress,
    keys: readonly OneTimePreKeyRecord[],
    maxStored: number,
  ): Promise<number>;
  countOneTimePreKeys(device: DeviceAddress): Promise<number>;
  /**
   * One bundle per device that has uploaded keys (only `deviceId` if given), each with at most
   * one one-time prekey, deleted in the same atomic step: no prekey is ever returned twice.
   */
  takePreKeyBundles(accountId: AccountId, deviceId?: number): Promise<PreKeyBundleRecord[]>;

  // --- message queues ---
  /**
   * Stores durably before resolving. Calls are applied in the order they are made, even when
   * a caller issues the next before the previous resolved (the chat core pipelines one
   * connection's sends this way and relies on it for per-sender order). Duplicate (sender, clientId, recipient) within the dedupe
   * window returns the original serverId with `duplicate: true`. Throws LIMIT when the
   * recipient's queue already holds `maxQueued` messages.
   *
   * `stored` is called (once, unless the enqueue fails first) as soon as the message is visible
   * to this adapter's `listMessages`, which may be before it is durable, or for a single-writer
   * SQLite file even before it is committed: delivery can start while the sender's ack still
   * waits. Should the enqueue fail after that (its commit failed), the sender gets the error
   * and retries with the same id, and the recipient drops the copy it already has. An adapter
   * whose writes are durable once visible calls it just before resolving.
   */
  enqueueMessage(
    message: NewMessage,
    maxQueued: number,
    stored?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult>;
  /** Messages of one device in enqueue order, strictly after `afterServerId` if given. */
  listMessages(
    recipient: DeviceAddress,
    afterServerId: string | undefined,
    limit: number,
  ): Promise<StoredMessage[]>;
  /**
   * Deletes an acked message; false if it was not queued for this device (idempotent).
   * Resolves once durable, but an adapter may hold it back briefly to batch it with other
   * writes: a crash in between only causes a redelivery, never a loss.
   */
  deleteMessage(recipient: DeviceAddress, serverId: string): Promise<boolean>;
  countQueuedMessages(): Promise<number>;

  // --- housekeeping ---
  /** Drops expired sessions and tickets, and dedupe records older than `dedupeBefore`. */
  sweep(now: number, dedupeBefore: number): Promise<void>;
  /** Cheap liveness check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StorageErrorKind = 'NOT_FOUND' | 'CONFLICT' | 'LIMIT';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly kind: StorageErrorKind;

  constructor(kind: StorageErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

export function isStorageError(e: unknown, kind?: StorageErrorKind): e is StorageError {
  return e instanceof StorageError && (kind === undefined || e.kind === kind);
}
