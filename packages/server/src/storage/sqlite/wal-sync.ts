import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes commits durable off the event loop. The database runs with `synchronous = NORMAL`, so
 * COMMIT only write()s its frames to the WAL; this then syncs the WAL file (fdatasync(2), as
 * SQLite itself does on Linux) on libuv's thread pool, and the write batcher settles (acks) a
 * commit only after a sync that *started after* that commit returned. That is what
 * `synchronous = FULL` guarantees (every acked commit is on disk), without blocking the event
 * loop for the sync: frames keep being read and the next group commit builds up meanwhile.
 *
 * Why this is sound (sqlite.org/wal.html, "Durability" and "Checkpointing"):
 * - A WAL commit is complete once its frames are in the file. fdatasync(2) makes every write
 *   to the inode so far durable (with the file size, if it grew), whichever descriptor wrote
 *   it, so syncing our own descriptor of the `-wal` file covers SQLite's writes.
 * - Recovery replays WAL frames only up to the first frame whose salt or cumulative checksum
 *   does not match, so a crash keeps a prefix of the commits: never a later commit without an
 *   earlier one, and every commit a sync covered is in that prefix.
 * - With NORMAL, SQLite still syncs the WAL before each checkpoint and the database file after
 *   it, and syncs the WAL header when the log restarts; the WAL file is never deleted or
 *   replaced while a connection (ours) is open, and it is not truncated without a
 *   `journal_size_limit`, which we do not set.
 * - Its directory entry is synced once here, as SQLite does on a WAL's first sync.
 */
export class WalSync {
  readonly #fd: number;
  #closed = false;

  /** `file` is the database file; its `-wal` file must exist (open the database in WAL mode first). */
  constructor(file: string) {
    this.#fd = openSync(`${file}-wal`, 'r+');
    fsyncSync(this.#fd);
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** Syncs the WAL's data on the thread pool; `done` gets the error, if any. */
  sync(done: (error: NodeJS.ErrnoException | null) => void): void {
    fdatasync(this.#fd, done);
  }

  /** Final sync and close (shutdown); safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
    }
  }
}
