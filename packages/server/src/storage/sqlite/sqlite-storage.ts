import DatabaseConstructor from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  StorageError,
  type AccountId,
  type AccountRecord,
  type DeviceAddress,
  type DeviceRecord,
  type EnqueueResult,
  type NewMessage,
  type OneTimePreKeyRecord,
  type SessionRecord,
  type SignedPreKeyRecord,
  type Storage,
  type StoredMessage,
  type TicketRecord,
} from '../types.ts';
import {
  addOneTimePreKeys,
  countPreKeys,
  setDeviceKeys,
  takePreKeyBundles,
} from './key-directory.ts';
import { enqueueMessage, listMessages, parseServerId } from './message-queue.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { migrate } from './migrate.ts';
import { rowId, toDeviceRecord, type DeviceRow } from './rows.ts';
import { mapConstraint } from './sqlite-errors.ts';
import { prepareStatements, type Statements } from './statements.ts';
import { MAIN_AUTOCHECKPOINT_PAGES, WalCheckpointer } from './wal-checkpointer.ts';
import { WalSync } from './wal-sync.ts';
import { WriteBatcher } from './write-batcher.ts';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Acked-message deletions wait at most this long for a batch to join (see runLazy). */
const LAZY_DELETE_DELAY_MS = 20;

/**
 * Syncs start at least this far apart (see WriteBatcher): under load acks wait up to 5 ms
 * more, deliveries not at all, and a lone message's sync starts at once. Each fdatasync(2)
 * costs the server's core far more than its share of the pages it writes (a thread-pool hand
 * off, the filesystem's flush, the disk's completion), so fewer, larger syncs free the core
 * (packages/server/README.md): unspaced at 5k msg/s, ~1100 a second and 86-90 % busy (round
 * 6); 2 ms apart, 73-75 %; 5 ms apart, another 5-10 points less busy at 5k and 10k msg/s and a
 * lower p99 (round 7). 10 ms gained nothing more.
 */
const MIN_SYNC_INTERVAL_MS = 5;

/** How often the worker checkpoints the WAL (see WalCheckpointer). */
const CHECKPOINT_INTERVAL_MS = 100;
/** SQLite's default `wal_autocheckpoint`, restored if the worker fails. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

export interface SqliteStorageOptions {
  /** Database file; its directory is created if missing. */
  readonly file: string;
  /**
   * FULL (default): every commit is synced to disk before its promise resolves, so an acked
   * message survives power loss. The sync runs off the event loop (see WalSync) and covers
   * every batch committed while the previous one ran, so FULL stays cheap under load.
   * NORMAL syncs only at checkpoints: acked messages survive a process crash (SIGKILL) but
   * the last commits may be lost if the machine loses power.
   */
  readonly synchronous?: SqliteSynchronous;
  /**
   * This process is the file's only writer (the monolith; not nodes of a cluster sharing it):
   * the write transaction then stays open between syncs and commits once per sync instead of
   * once per event-loop turn (`WriteBatcher`'s `commitAtSync`). Default false.
   */
  readonly singleWriter?: boolean;
}

/** The default storage adapter: one SQLite file, WAL journal, group commit. */
export class SqliteStorage implements Storage {
  readonly #db: Database;
  readonly #sql: Statements;
  readonly #writes: WriteBatcher;
  readonly #wal: WalSync | undefined;
  readonly #checkpointer: WalCheckpointer;
  #closed = false;
  #queueLengths = new Map<string, number>();
  #lengthsOf = -1;

  constructor(options: SqliteStorageOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    const db = new DatabaseConstructor(options.file);
    db.pragma('journal_mode = WAL');
    // FULL until the migrations are done (they commit synchronously, before any WalSync).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, MIGRATIONS);
    // FULL's per-commit fsync happens on the thread pool instead (WalSync): SQLite itself
    // runs at NORMAL, which in WAL mode means "write the frames, sync at checkpoints".
    db.pragma('synchronous = NORMAL');
    this.#wal = options.synchronous === 'NORMAL' ? undefined : new WalSync(options.file);
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#writes = new WriteBatcher(db, this.#wal, {
      minSyncIntervalMs: MIN_SYNC_INTERVAL_MS,
      commitAtSync: options.singleWriter === true,
    });
    // Checkpoints run on a worker thread, off the event loop (see WalCheckpointer).
    this.#checkpointer = new WalCheckpointer(options.file, {
      intervalMs: CHECKPOINT_INTERVAL_MS,
      onFailure: (error) => {
        // Rare enough to need no logger here: Node prints process warnings to stderr.
        process.emitWarning(`WAL checkpoint worker failed: ${error.message}`);
        if (!this.#closed) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
      },
    });
    db.pragma(`wal_autocheckpoint = ${MAIN_AUTOCHECKPOINT_PAGES}`);
  }

  /** The worker's checkpoints so far (tests). */
  get checkpoints(): number {
    return this.#checkpointer.checkpoints;
  }

  async createAccount(username: string, passwordHash: string, now: number) {
    return this.#writes.run((): AccountRecord => {
      try {
        const info = this.#sql.insertAccount.run(username, passwordHash, now);
        const accountId = String(info.lastInsertRowid);
        return { accountId, username, passwordHash, createdAt: now };
      } catch (e) {
        throw mapConstraint(e, 'username exists');
      }
    });
  }

  getAccountByUsername(username: string): Promise<AccountRecord | undefined> {
    return read(() => {
      const row = this.#sql.selectAccountByUsername.get(username) as
        { account_id: number; password_hash: string; created_at: number } | undefined;
      if (row === undefined) return undefined;
      return {
        accountId: String(row.account_id),
        username,
        passwordHash: row.password_hash,
        createdAt: row.created_at,
      };
    });
  }

  async createDevice(accountId: AccountId, now: number, maxDevices: number) {
    return this.#writes.run(() => {
      const { n, top } = this.#sql.deviceStats.get(rowId(accountId)) as { n: number; top: number };
      if (n >= maxDevices) throw new StorageError('LIMIT', 'too many devices');
      const deviceId = top + 1;
      try {
        this.#sql.insertDevice.run(rowId(accountId), deviceId, now);
      } catch (e) {
        throw mapConstraint(e, 'no such account');
      }
      return deviceId;
    });
  }

  getDevice(accountId: AccountId, deviceId: number): Promise<DeviceRecord | undefined> {
    return read(() => {
      const row = this.#sql.selectDevice.get(rowId(accountId), deviceId) as DeviceRow | undefined;
      return row === undefined ? undefined : toDeviceRecord(row);
    });
  }

  listDevices(accountId: AccountId): Promise<DeviceRecord[]> {
    return read(() =>
      (this.#sql.selectDevices.all(rowId(accountId)) as DeviceRow[]).map(toDeviceRecord),
    );
  }

  async createSession(tokenHash: Uint8Array, session: SessionRecord) {
    return this.#writes.run(() => {
      const { accountId, deviceId, expiresAt } = session;
      this.#sql.insertSession.run(tokenHash, rowId(accountId), deviceId, expiresAt);
    });
  }

  getSession(tokenHash: Uint8Array, now: number): Promise<SessionRecord | undefined> {
    return read(() => {
      const row = this.#sql.selectSession.get(tokenHash, now) as
        { account_id: number; username: string; device_id: number; expires_at: number } | undefined;
      if (row === undefined) return undefined;
      return {
        accountId: String(row.account_id),
        username: row.username,
        deviceId: row.device_id,
        expiresAt: row.expires_at,
      };
    });
  }

  async deleteSession(tokenHash: Uint8Array) {
    return this.#writes.run(() => {
      this.#sql.deleteSession.run(tokenHash);
    });
  }

  async createTicket(ticketHash: Uint8Array, ticket: TicketRecord, expiresAt: number) {
    return this.#writes.run(() => {
      this.#sql.insertTicket.run(ticketHash, rowId(ticket.accountId), ticket.deviceId, expiresAt);
    });
  }

  async consumeTicket(ticketHash: Uint8Array, now: number) {
    return this.#writes.run((): TicketRecord | undefined => {
      const row = this.#sql.takeTicket.get(ticketHash) as
        { account_id: number; device_id: number; expires_at: number } | undefined;
      if (row === undefined || row.expires_at <= now) return undefined;
      const account = this.#sql.selectUsername.get(row.account_id) as { username: string };
      return {
        accountId: String(row.account_id),
        username: account.username,
        deviceId: row.device_id,
      };
    });
  }

  async setDeviceKeys(
    device: DeviceAddress,
    identityKey: Uint8Array,
    signedPreKey: SignedPreKeyRecord,
    now: number,
  ) {
    return this.#writes.run(() => setDeviceKeys(this.#sql, device, identityKey, signedPreKey, now));
  }

  async addOneTimePreKeys(
    device: DeviceAddress,
    keys: readonly OneTimePreKeyRecord[],
    maxStored: number,
  ) {
    return this.#writes.run(() => addOneTimePreKeys(this.#sql, device, keys, maxStored));
  }

  countOneTimePreKeys(device: DeviceAddress): Promise<number> {
    return read(() => countPreKeys(this.#sql, device));
  }

  async takePreKeyBundles(accountId: AccountId, deviceId?: number) {
    return this.#writes.run(() => takePreKeyBundles(this.#sql, accountId, deviceId));
  }

  enqueueMessage(
    message: NewMessage,
    maxQueued: number,
    stored?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult> {
    // checksFirst: dedupe and quota are read before the single insert pair (see message-queue).
    return this.#writes.run(() => enqueueMessage(this.#sql, message, maxQueued, this.#lengths()), {
      checksFirst: true,
      committed: stored,
    });
  }

  /** Queue lengths enqueueMessage counted in the current write transaction, reset per transaction. */
  #lengths(): Map<string, number> {
    if (this.#lengthsOf !== this.#writes.transaction) {
      // A new Map, not clear(): see WsTransport's #corked.
      this.#queueLengths = new Map();
      this.#lengthsOf = this.#writes.transaction;
    }
    return this.#queueLengths;
  }

  listMessages(
    recipient: DeviceAddress,
    afterServerId: string | undefined,
    limit: number,
  ): Promise<StoredMessage[]> {
    return read(() => listMessages(this.#sql, recipient, afterServerId, limit));
  }

  deleteMessage(recipient: DeviceAddress, serverId: string): Promise<boolean> {
    const id = parseServerId(serverId);
    if (id === undefined) return Promise.resolve(false);
    return this.#writes.runLazy(() => {
      const info = this.#sql.deleteMessage.run(id, rowId(recipient.accountId), recipient.deviceId);
      return info.changes > 0;
    }, LAZY_DELETE_DELAY_MS);
  }

  countQueuedMessages(): Promise<number> {
    return read(() => (this.#sql.countAllMessages.get() as { n: number }).n);
  }

  async sweep(now: number, dedupeBefore: number) {
    return this.#writes.run(() => {
      this.#sql.sweepSessions.run(now);
      this.#sql.sweepTickets.run(now);
      this.#sql.sweepDedupe.run(dedupeBefore);
    });
  }

  ping(): Promise<void> {
    return read(() => {
      // A failed fsync makes every later write fail: not ready (see WriteBatcher).
      if (this.#writes.failure !== undefined) {
        throw new Error('a disk sync failed: writes are refused until restart', {
          cause: this.#writes.failure,
        });
      }
      this.#sql.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writes.flush();
    await this.#writes.settled();
    await this.#checkpointer.stop();
    try {
      this.#wal?.close();
    } finally {
      this.#db.close();
    }
  }
}

/**
 * Reads run synchronously (better-sqlite3 is synchronous and fast); this only turns them into
 * the port's promises, with a throw becoming a rejection as in any async adapter.
 */
function read<T>(query: () => T): Promise<T> {
  // A throw inside the executor rejects the promise.
  return new Promise<T>((resolve) => resolve(query()));
}
