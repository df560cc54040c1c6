import { performance } from 'node:perf_hooks';
import type { Database, Statement } from 'better-sqlite3';

/** Makes what is committed so far durable, asynchronously (see WalSync). */
export interface DurableSync {
  sync(done: (error: NodeJS.ErrnoException | null) => void): void;
}

interface PendingWrite {
  readonly run: () => unknown;
  /** False for writes that only ever throw before their first change (no savepoint needed). */
  readonly savepoint: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /**
   * Told the write's value as soon as readers of this connection see it, before it is durable:
   * right after COMMIT, or with `commitAtSync` right after it ran in the open transaction.
   */
  readonly committed: ((value: unknown) => void) | undefined;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Settles a batch's writes once a sync covered them (or failed). */
type Settle = (syncError?: unknown) => void;

export interface WriteBatcherOptions {
  /** A sync starts at least this long after the previous one started (default 0). */
  readonly minSyncIntervalMs?: number;
  /**
   * Keep the write transaction open across turns and COMMIT right before each sync, instead of
   * once per turn (only with a `DurableSync`). For a process that is the database's only
   * writer: the write lock is held almost all the time under load, and what a batch wrote is
   * seen by this connection's readers (its deliveries) before any other connection sees it.
   */
  readonly commitAtSync?: boolean;
}

/**
 * Group commit. Every write is queued and all writes queued during one turn of the event loop
 * commit in a single transaction, so one sync to disk covers the whole batch
 * instead of one per message. Each write runs inside its own savepoint (unless it declares it
 * does not need one): a write that throws is rolled back and rejected alone, the rest of the
 * batch still commits. A promise resolves only once its data is durable, so callers may ack
 * then: after COMMIT returned, or, given a `DurableSync`, after a sync that started once
 * COMMIT had returned. One sync runs at a time, on the thread pool, while the event loop goes
 * on committing; the next sync covers every batch committed meanwhile. A write's `committed`
 * callback hears of it right after COMMIT, before the sync: readers see it from then on.
 *
 * With `commitAtSync` the batches of one turn still run together, each in its savepoints, but
 * in a write transaction that stays open until the next sync is due; COMMIT runs right before
 * that sync, so one commit covers every turn since the last one (at 10k msg/s about seven turns
 * of seven messages each: WAL frames are written once per page, not once per turn, and a row
 * acked before the commit never reaches the WAL). Acks wait exactly as long as before: the same
 * syncs settle them. A write's `committed` callback runs as soon as its batch ran, since this
 * connection's readers see it from then on; if the transaction is lost after that (a failed
 * COMMIT, SQLite's own rollback on an I/O error), every write in it is rejected, and what a
 * reader saw of it was never acked to anyone.
 */
export class WriteBatcher {
  readonly #savepoint: Statement;
  readonly #release: Statement;
  readonly #rollbackTo: Statement;
  #pending: PendingWrite[] = [];
  #scheduled = false;
  #lazyTimer: NodeJS.Timeout | undefined;
  #transactions = 0;
  readonly #durable: DurableSync | undefined;
  /** Committed batches waiting for the next fsync to settle them. */
  #unsynced: Settle[] = [];
  /** Batches run in the open transaction, not yet committed (more than one: `commitAtSync`). */
  #uncommitted: Settle[] = [];
  readonly #commitAtSync: boolean;
  readonly #db: Database;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  #syncing = false;
  /** When the last sync started (performance.now()), and the timer that starts the next. */
  #lastSyncAt = -Infinity;
  #syncTimer: NodeJS.Timeout | undefined;
  readonly #minSyncIntervalMs: number;
  /** Set when an fsync failed: nothing written since can be trusted to be durable. */
  #failure: unknown;
  readonly #idle: Array<() => void> = [];

  /**
   * `minSyncIntervalMs`: a sync starts at least this long after the previous one started.
   * Only acks wait for syncs (readers see a batch at COMMIT), so spacing them delays acks by
   * at most this much and costs no delivery latency, while each sync covers more batches:
   * an fsync costs tens of µs of CPU (and a trip to the disk) however little it covers.
   */
  constructor(db: Database, durable?: DurableSync, options: WriteBatcherOptions = {}) {
    this.#db = db;
    this.#durable = durable;
    this.#commitAtSync = options.commitAtSync === true && durable !== undefined;
    // IMMEDIATE takes the write lock up front, so several processes sharing the file (a
    // cluster on one host) wait on busy_timeout instead of failing on a lock upgrade.
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#minSyncIntervalMs = options.minSyncIntervalMs ?? 0;
    this.#savepoint = db.prepare('SAVEPOINT write');
    this.#release = db.prepare('RELEASE write');
    this.#rollbackTo = db.prepare('ROLLBACK TO write');
  }

  /** Runs each write of `batch` inside the current transaction, its outcome pushed in order. */
  #runEach(batch: PendingWrite[], outcomes: Outcome[]): void {
    for (const write of batch) {
      if (write.savepoint) this.#savepoint.run();
      try {
        const value = write.run();
        if (write.savepoint) this.#release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        if (write.savepoint) {
          this.#rollbackTo.run();
          this.#release.run();
        }
        outcomes.push({ ok: false, error });
      }
    }
  }

  /**
   * Queues `write` for the next group commit. `checksFirst: true` promises that the write
   * throws only before its first change (checks, then one insert), which saves the savepoint
   * statements on the hot path.
   */
  run<T>(
    write: () => T,
    options: { checksFirst?: boolean; committed?: (value: T) => void } = {},
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const savepoint = options.checksFirst !== true;
      this.#pending.push({
        run: write,
        savepoint,
        resolve: resolve as (v: unknown) => void,
        reject,
        committed: options.committed as ((value: unknown) => void) | undefined,
      });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after the current I/O phase, so every frame read in this turn
        // joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * A write nobody waits on to answer a client (deleting an acked message): it rides along
   * with the next batch, or commits within `delayMs` on its own. Halves the commits of a busy
   * queue; a crash in between only means a message is delivered again (at-least-once).
   */
  runLazy<T>(write: () => T, delayMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Lazy writes are single statements: nothing partial to roll back.
      this.#pending.push({
        run: write,
        savepoint: false,
        resolve: resolve as (v: unknown) => void,
        reject,
        committed: undefined,
      });
      this.#lazyTimer ??= setTimeout(() => this.flush(), delayMs);
    });
  }

  /**
   * Numbers the group commits: every write of one transaction sees the same value, the next
   * transaction (or a retry after a failed one) a new one. Lets writes cache what they read
   * for the rest of their transaction, while they hold the write lock.
   */
  get transaction(): number {
    return this.#transactions;
  }

  /**
   * Runs everything queued so far, now, and commits it (with `commitAtSync`, at the next
   * sync; close() then asks for that sync at once through settled()).
   */
  flush(): void {
    this.#scheduled = false;
    this.#transactions++;
    clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    if (this.#failure !== undefined) {
      for (const write of batch) write.reject(this.#failure);
      return;
    }
    const outcomes: Outcome[] = [];
    if (!this.#runInTransaction(batch, outcomes)) return;
    this.#uncommitted.push(settler(batch, outcomes));
    // Without commitAtSync: COMMIT now, and every connection reads the batch from then on.
    // With it: this connection reads it already; COMMIT comes right before the next sync.
    if (!this.#commitAtSync && !this.#commitTransaction()) return;
    announce(batch, outcomes);
    // Acks wait for the sync.
    this.#syncNext();
  }

  /** Runs the batch in the open write transaction, opening it first if need be. */
  #runInTransaction(batch: PendingWrite[], outcomes: Outcome[]): boolean {
    try {
      if (!this.#db.inTransaction) this.#begin.run();
      this.#runEach(batch, outcomes);
    } catch (error) {
      // BEGIN failed (another process held the lock past busy_timeout), or a savepoint
      // statement did: the transaction is given up, as a failed commit gives up its batch.
      this.#abandon(batch, error);
      return false;
    }
    if (!this.#db.inTransaction) {
      // SQLite rolled the transaction back itself (an I/O error, disk full, out of memory
      // inside a statement): every uncommitted write since BEGIN is gone.
      const error = outcomes.find((o) => !o.ok)?.error ?? new Error('transaction rolled back');
      this.#abandon(batch, error);
      return false;
    }
    return true;
  }

  /** Rolls back whatever is open and rejects it all, `batch` included. */
  #abandon(batch: PendingWrite[], error: unknown): void {
    if (this.#db.inTransaction) {
      try {
        this.#rollback.run();
      } catch {
        // Nothing more to undo: SQLite has already ended the transaction.
      }
    }
    for (const write of batch) write.reject(error);
    for (const settle of this.#uncommitted.splice(0)) settle(error);
  }

  /** Commits the open transaction (false if that failed); its batches then wait for a sync. */
  #commitTransaction(): boolean {
    if (this.#uncommitted.length === 0) return true;
    try {
      this.#commit.run();
    } catch (error) {
      // Not committed (disk full, I/O error, a deferred constraint): nothing in it is durable.
      this.#abandon([], error);
      return false;
    }
    this.#unsynced.push(...this.#uncommitted.splice(0));
    return true;
  }

  /** Starts a sync covering every batch committed so far, unless one is in flight or due. */
  #syncNext(): void {
    if (this.#syncing || this.#syncTimer !== undefined) return;
    const wait = this.#lastSyncAt + this.#minSyncIntervalMs - performance.now();
    const waiting = this.#unsynced.length > 0 || this.#uncommitted.length > 0;
    if (wait > 0 && waiting && this.#failure === undefined) {
      this.#syncTimer = setTimeout(() => {
        this.#syncTimer = undefined;
        this.#syncNext();
      }, wait);
      return;
    }
    this.#commitTransaction();
    const settles = this.#unsynced;
    this.#unsynced = [];
    // Without a DurableSync, COMMIT is as durable as it gets: settle at once.
    if (settles.length === 0 || this.#failure !== undefined || this.#durable === undefined) {
      for (const settle of settles) settle(this.#failure);
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#syncing = true;
    this.#lastSyncAt = performance.now();
    this.#durable.sync((error) => {
      this.#syncing = false;
      // After a failed fsync the kernel may have dropped the dirty pages: a later fsync can
      // succeed without them. So every write fails from now on (readiness reports it).
      if (error !== null) this.#failure ??= error;
      for (const settle of settles) settle(error ?? undefined);
      this.#syncNext();
    });
  }

  /** Why writes fail for good, if an fsync failed. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Resolves once every committed batch has been synced and settled (shutdown). */
  settled(): Promise<void> {
    if (!this.#syncing && this.#unsynced.length === 0 && this.#uncommitted.length === 0) {
      return Promise.resolve();
    }
    if (this.#syncTimer !== undefined) {
      // Shutting down: no reason to keep the last acks waiting.
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
      this.#lastSyncAt = -Infinity;
      this.#syncNext();
    }
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

/** Tells each write that ran without error its value, through its `committed` callback. */
function announce(batch: PendingWrite[], outcomes: Outcome[]): void {
  batch.forEach((write, i) => {
    const outcome = outcomes[i];
    if (write.committed === undefined || !outcome?.ok) return;
    try {
      write.committed(outcome.value);
    } catch {
      // A listener's failure is its own: the write settles as usual.
    }
  });
}

/** Settles each write of a batch with its outcome, or every one with the sync's error. */
function settler(batch: PendingWrite[], outcomes: Outcome[]): Settle {
  return (syncError?: unknown) =>
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (syncError !== undefined) write.reject(syncError);
      else if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(outcome?.error);
    });
}
