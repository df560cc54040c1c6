import type { Database, Statement } from 'better-sqlite3';

interface PendingWrite {
  readonly run: () => unknown;
  /** False for writes that only ever throw before their first change (no savepoint needed). */
  readonly savepoint: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit. Every write is queued and all writes queued during one turn of the event loop
 * commit in a single transaction, so one fsync (synchronous=FULL) covers the whole batch
 * instead of one per message. Each write runs inside its own savepoint (unless it declares it
 * does not need one): a write that throws is rolled back and rejected alone, the rest of the
 * batch still commits. A promise resolves only
 * after COMMIT returned, i.e. once the data is durable: callers may ack then.
 */
export class WriteBatcher {
  readonly #db: Database;
  readonly #savepoint: Statement;
  readonly #release: Statement;
  readonly #rollbackTo: Statement;
  #pending: PendingWrite[] = [];
  #scheduled = false;
  #lazyTimer: NodeJS.Timeout | undefined;
  #transactions = 0;

  constructor(db: Database) {
    this.#db = db;
    this.#savepoint = db.prepare('SAVEPOINT write');
    this.#release = db.prepare('RELEASE write');
    this.#rollbackTo = db.prepare('ROLLBACK TO write');
  }

  /**
   * Queues `write` for the next group commit. `checksFirst: true` promises that the write
   * throws only before its first change (checks, then one insert), which saves the savepoint
   * statements on the hot path.
   */
  run<T>(write: () => T, options: { checksFirst?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const savepoint = options.checksFirst !== true;
      this.#pending.push({
        run: write,
        savepoint,
        resolve: resolve as (v: unknown) => void,
        reject,
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

  /** Commits everything queued so far (also called on close). */
  flush(): void {
    this.#scheduled = false;
    this.#transactions++;
    clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      // IMMEDIATE takes the write lock up front, so several processes sharing the file (a
      // cluster on one host) wait on busy_timeout instead of failing on a lock upgrade.
      this.#db
        .transaction(() => {
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
        })
        .immediate();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(outcome?.error);
    });
  }
}
