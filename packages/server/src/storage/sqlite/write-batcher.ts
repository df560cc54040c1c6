import { performance } from 'node:perf_hooks';
import type { Database, Statement, Transaction } from 'better-sqlite3';

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
  /** Told the write's value as soon as it is committed (visible), before it is durable. */
  readonly committed: ((value: unknown) => void) | undefined;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

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
 */
export class WriteBatcher {
  readonly #savepoint: Statement;
  readonly #release: Statement;
  readonly #rollbackTo: Statement;
  /** Runs a batch in one transaction, each write's outcome pushed in order. */
  readonly #transaction: Transaction<(batch: PendingWrite[], outcomes: Outcome[]) => void>;
  #pending: PendingWrite[] = [];
  #scheduled = false;
  #lazyTimer: NodeJS.Timeout | undefined;
  #transactions = 0;
  readonly #durable: DurableSync | undefined;
  /** Committed batches waiting for the next fsync to settle them. */
  #unsynced: Array<(syncError?: unknown) => void> = [];
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
  constructor(db: Database, durable?: DurableSync, options: { minSyncIntervalMs?: number } = {}) {
    this.#durable = durable;
    this.#minSyncIntervalMs = options.minSyncIntervalMs ?? 0;
    this.#savepoint = db.prepare('SAVEPOINT write');
    this.#release = db.prepare('RELEASE write');
    this.#rollbackTo = db.prepare('ROLLBACK TO write');
    // Made once: better-sqlite3's transaction() builds four wrappers and their properties.
    this.#transaction = db.transaction((batch: PendingWrite[], outcomes: Outcome[]) => {
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
    });
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

  /** Commits everything queued so far, now (also called on close). */
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
    try {
      // IMMEDIATE takes the write lock up front, so several processes sharing the file (a
      // cluster on one host) wait on busy_timeout instead of failing on a lock upgrade.
      this.#transaction.immediate(batch, outcomes);
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      for (const write of batch) write.reject(error);
      return;
    }
    // Readers see the batch from now on; acks wait for the fsync below.
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (write.committed === undefined || !outcome?.ok) return;
      try {
        write.committed(outcome.value);
      } catch {
        // A listener's failure is its own: the write is committed and settles as usual.
      }
    });
    const settle = (syncError?: unknown) =>
      batch.forEach((write, i) => {
        const outcome = outcomes[i];
        if (syncError !== undefined) write.reject(syncError);
        else if (outcome?.ok) write.resolve(outcome.value);
        else write.reject(outcome?.error);
      });
    if (this.#durable === undefined) settle();
    else {
      this.#unsynced.push(settle);
      this.#syncNext();
    }
  }

  /** Starts a sync covering every batch committed so far, unless one is in flight or due. */
  #syncNext(): void {
    if (this.#syncing || this.#syncTimer !== undefined) return;
    const wait = this.#lastSyncAt + this.#minSyncIntervalMs - performance.now();
    if (wait > 0 && this.#unsynced.length > 0 && this.#failure === undefined) {
      this.#syncTimer = setTimeout(() => {
        this.#syncTimer = undefined;
        this.#syncNext();
      }, wait);
      return;
    }
    const settles = this.#unsynced;
    this.#unsynced = [];
    if (settles.length === 0 || this.#failure !== undefined) {
      for (const settle of settles) settle(this.#failure);
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#syncing = true;
    this.#lastSyncAt = performance.now();
    this.#durable!.sync((error) => {
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
    if (!this.#syncing && this.#unsynced.length === 0) return Promise.resolve();
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
