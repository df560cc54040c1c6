import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL from a worker thread, so that their disk syncs do not block the event
 * loop (sqlite.org/wal.html, "Checkpointing" and "Application-Initiated Checkpoints").
 *
 * A checkpoint copies the WAL's frames into the database file and syncs both files (the WAL
 * before, the database after). SQLite runs it automatically on the connection that committed,
 * after the commit that took the WAL past `wal_autocheckpoint` pages: on the event loop. At
 * 10k msg/s the default 1000 pages meant ~10 checkpoints a second there, each with two fsyncs,
 * and `perf trace` caught one of those fsyncs taking 102 ms on this VM's disk: every delivery
 * waited for it (packages/server/README.md, round 11).
 *
 * Here a second connection on a worker thread runs a PASSIVE checkpoint every `intervalMs`:
 * PASSIVE takes no lock that the writer waits on and never waits for one itself, and copies
 * whatever frames are committed. The main connection keeps an automatic checkpoint, but at
 * `MAIN_AUTOCHECKPOINT_PAGES`: the WAL can only start over from its beginning when a write
 * transaction finds every frame copied, which under steady writes the worker rarely leaves
 * it (the writer appends while it copies). So about once per that many pages the main
 * connection checkpoints what the worker has not yet copied, a few frames and the same two
 * syncs, and the WAL restarts: over one A/B run of the load benchmark the event loop made 121
 * fsyncs against 637.
 *
 * If the worker fails, the main connection goes back to SQLite's default automatic checkpoint.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  /** Checkpoints run, counted by the worker. */
  readonly #count = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  constructor(file: string, options: { intervalMs: number; onFailure: (error: Error) => void }) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file,
        intervalMs: options.intervalMs,
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        count: this.#count,
      },
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // The event loop may exit with the worker still running (the storage's close stops it).
    this.#worker.unref();
    this.#worker.on('error', options.onFailure);
  }

  /** Checkpoints run so far (for tests and diagnostics). */
  get checkpoints(): number {
    return Atomics.load(this.#count, 0);
  }

  /** Stops the worker and closes its connection; resolves when it has exited. Idempotent. */
  stop(): Promise<void> {
    // Lost if the worker is gone already (it failed), which is fine: it has exited.
    this.#worker.postMessage('stop');
    // Unreferenced, the worker would not keep the process alive until it exits: in a process
    // with nothing else to do (a script, a CLI) the event loop ended with this promise
    // pending, so the main connection was never closed (exit code 13 at a top-level await).
    this.#worker.ref();
    return this.#exited;
  }
}

/**
 * The main connection's `wal_autocheckpoint` while the worker runs: ~40 MB of WAL, about a
 * second of writes at 10k msg/s.
 */
export const MAIN_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The worker, CommonJS evaluated as is (no bundling needed): better-sqlite3 is loaded from the
 * path the main thread resolved. `synchronous = NORMAL` is what makes a checkpoint sync the
 * WAL before copying and the database after.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  checkpoint.get();
  Atomics.add(workerData.count, 0, 1);
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
