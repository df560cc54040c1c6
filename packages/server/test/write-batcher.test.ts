import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalSync } from '../src/storage/sqlite/wal-sync.ts';
import { WriteBatcher, type DurableSync } from '../src/storage/sqlite/write-batcher.ts';

/** A DurableSync the test completes by hand, to see what waits for it. */
class ManualSync implements DurableSync {
  readonly calls: Array<(error: NodeJS.ErrnoException | null) => void> = [];
  sync(done: (error: NodeJS.ErrnoException | null) => void): void {
    this.calls.push(done);
  }
  finish(error: NodeJS.ErrnoException | null = null): void {
    const done = this.calls.shift();
    if (done === undefined) throw new Error('no sync in flight');
    done(error);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatcher with an asynchronous sync', () => {
  let dir: string;
  let db: Database;
  let sync: ManualSync;
  let batcher: WriteBatcher;
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'susurro-batcher-'));
    db = new DatabaseConstructor(join(dir, 'db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    sync = new ManualSync();
    batcher = new WriteBatcher(db, sync);
  });

  afterEach(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells `committed` at COMMIT and resolves only once a sync started after it is done', async () => {
    const seen: number[] = [];
    let resolved = false;
    const write = batcher.run(insert(1), { committed: () => seen.push(count()) }).then((v) => {
      resolved = true;
      return v;
    });
    await tick();
    expect(seen).toEqual([1]); // readable at once
    expect(sync.calls).toHaveLength(1);
    expect(resolved).toBe(false); // not acked before the sync
    sync.finish();
    expect(await write).toBe(1);
  });

  it('runs one sync at a time; the next covers every batch committed meanwhile', async () => {
    const first = batcher.run(insert(1));
    await tick();
    const second = batcher.run(insert(2));
    await tick();
    const third = batcher.run(insert(3));
    await tick();
    expect(count()).toBe(3); // three commits...
    expect(sync.calls).toHaveLength(1); // ...one sync in flight
    let settled = 0;
    for (const p of [first, second, third]) void p.then(() => settled++);
    sync.finish();
    await tick();
    expect(settled).toBe(1);
    expect(sync.calls).toHaveLength(1); // one more sync, for the second and third batch
    sync.finish();
    await tick();
    expect(settled).toBe(3);
    expect(sync.calls).toHaveLength(0);
  });

  it('fails the synced batch and every later write once a sync fails', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const write = batcher.run(insert(1));
    await tick();
    sync.finish(eio);
    await expect(write).rejects.toThrow('EIO');
    expect(batcher.failure).toBe(eio);
    const later = batcher.run(insert(2));
    await expect(later).rejects.toThrow('EIO');
    expect(count()).toBe(1); // the later write was never applied
  });

  it('settles a write whose own check failed after the sync too, and keeps the rest', async () => {
    const bad = batcher.run(() => {
      throw new Error('check failed');
    });
    const good = batcher.run(insert(1));
    await tick();
    sync.finish();
    await expect(bad).rejects.toThrow('check failed');
    expect(await good).toBe(1);
  });

  it('rejects a turn whose COMMIT fails, tells no reader, and commits the next', async () => {
    // A deferred foreign key is checked only at COMMIT.
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
    db.pragma('foreign_keys = ON');
    const seen: string[] = [];
    const orphan = batcher.run(() => db.prepare('INSERT INTO child (p) VALUES (7)').run().changes, {
      committed: () => seen.push('orphan'),
    });
    const sameTurn = batcher.run(insert(1), { committed: () => seen.push('same turn') });
    await expect(orphan).rejects.toThrow(/FOREIGN KEY/);
    await expect(sameTurn).rejects.toThrow(/FOREIGN KEY/);
    expect(seen).toEqual([]);
    expect(db.inTransaction).toBe(false);
    expect(count()).toBe(0);
    const next = batcher.run(insert(2));
    await tick();
    sync.finish();
    expect(await next).toBe(1);
    expect(count()).toBe(1);
  });

  it('`settled()` waits for the sync in flight (shutdown)', async () => {
    void batcher.run(insert(1));
    await tick();
    let done = false;
    const settled = batcher.settled().then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    sync.finish();
    await settled;
    expect(done).toBe(true);
  });

  it('spaces syncs by `minSyncIntervalMs`; commits and readers do not wait for it', async () => {
    const spaced = new WriteBatcher(db, sync, { minSyncIntervalMs: 40 });
    const first = spaced.run(insert(1));
    await tick();
    expect(sync.calls).toHaveLength(1); // the first sync starts at once
    const startedAt = performance.now();
    sync.finish();
    await first;
    const second = spaced.run(insert(2));
    const third = spaced.run(insert(3));
    await tick();
    expect(count()).toBe(3); // committed and readable now...
    expect(sync.calls).toHaveLength(0); // ...synced once the interval is over
    while (sync.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(39);
    expect(sync.calls).toHaveLength(1); // one sync for both
    sync.finish();
    expect(await Promise.all([second, third])).toEqual([1, 1]);
  });

  it('`settled()` starts a spaced sync at once (shutdown does not wait for the interval)', async () => {
    const spaced = new WriteBatcher(db, sync, { minSyncIntervalMs: 60_000 });
    void spaced.run(insert(1));
    await tick();
    sync.finish();
    void spaced.run(insert(2));
    await tick();
    expect(sync.calls).toHaveLength(0);
    const settled = spaced.settled();
    expect(sync.calls).toHaveLength(1);
    sync.finish();
    await settled;
  });

  it('a throwing `committed` listener does not undo or stall the write', async () => {
    const write = batcher.run(insert(1), {
      committed: () => {
        throw new Error('listener bug');
      },
    });
    await tick();
    sync.finish();
    expect(await write).toBe(1);
  });
});

describe('WriteBatcher with commitAtSync (a single writer)', () => {
  let dir: string;
  let db: Database;
  /** A second connection: sees only what is committed. */
  let other: Database;
  let sync: ManualSync;
  let batcher: WriteBatcher;
  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  const count = (on: Database) =>
    (on.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'susurro-batcher-'));
    db = new DatabaseConstructor(join(dir, 'db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL CHECK (v >= 0))');
    other = new DatabaseConstructor(join(dir, 'db'));
    sync = new ManualSync();
    batcher = new WriteBatcher(db, sync, { commitAtSync: true });
  });

  afterEach(async () => {
    other.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits the turns since the last sync together, right before the next sync', async () => {
    const seen: number[] = [];
    const first = batcher.run(insert(1), { committed: () => seen.push(count(db)) });
    await tick();
    // Committed at once (no sync in flight), readable by both connections, not yet acked.
    expect(seen).toEqual([1]);
    expect(count(other)).toBe(1);
    expect(sync.calls).toHaveLength(1);
    const second = batcher.run(insert(2), { committed: () => seen.push(count(db)) });
    await tick();
    const third = batcher.run(insert(3));
    await tick();
    // Two turns ran in the open transaction: this connection sees them, the other does not.
    expect(seen).toEqual([1, 2]);
    expect(db.inTransaction).toBe(true);
    expect(count(db)).toBe(3);
    expect(count(other)).toBe(1);
    sync.finish();
    expect(await first).toBe(1);
    // The sync's completion committed both turns at once and started the sync that covers them.
    expect(db.inTransaction).toBe(false);
    expect(count(other)).toBe(3);
    expect(sync.calls).toHaveLength(1);
    let settled = 0;
    for (const p of [second, third]) void p.then(() => settled++);
    await tick();
    expect(settled).toBe(0); // acks wait for the sync that started after their COMMIT
    sync.finish();
    expect([await second, await third]).toEqual([1, 1]);
  });

  it('rolls a failing write back alone; the rest of its turn commits', async () => {
    const good = batcher.run(insert(1));
    const bad = batcher.run(insert(-1)); // CHECK constraint: fails inside its savepoint
    const alsoGood = batcher.run(insert(2));
    await tick();
    sync.finish();
    expect(await good).toBe(1);
    await expect(bad).rejects.toThrow(/CHECK/);
    expect(await alsoGood).toBe(1);
    expect(other.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('rejects every write of the transaction when its COMMIT fails, and goes on', async () => {
    const first = batcher.run(insert(1));
    await tick(); // committed and syncing
    // A deferred foreign key is checked only at COMMIT: it fails, and the transaction with it.
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
    db.pragma('foreign_keys = ON');
    const seen: string[] = [];
    const orphan = batcher.run(() => db.prepare('INSERT INTO child (p) VALUES (7)').run().changes, {
      committed: () => seen.push('orphan'),
    });
    await tick();
    const sameTransaction = batcher.run(insert(2));
    await tick();
    expect(seen).toEqual(['orphan']); // readers of this connection saw it before COMMIT
    sync.finish();
    expect(await first).toBe(1);
    await expect(orphan).rejects.toThrow(/FOREIGN KEY/);
    await expect(sameTransaction).rejects.toThrow(/FOREIGN KEY/);
    expect(db.inTransaction).toBe(false);
    expect(count(other)).toBe(1);
    // The next write opens a new transaction and commits as usual.
    const later = batcher.run(insert(3));
    await tick();
    sync.finish();
    expect(await later).toBe(1);
    expect(count(other)).toBe(2);
  });

  it('rejects a turn whose BEGIN finds the lock taken, and goes on once it is free', async () => {
    db.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    await expect(batcher.run(insert(1))).rejects.toThrow(/locked|busy/i);
    expect(db.inTransaction).toBe(false);
    other.exec('COMMIT');
    const later = batcher.run(insert(2));
    await tick();
    sync.finish();
    expect(await later).toBe(1);
    expect(other.prepare('SELECT v FROM t').all()).toEqual([{ v: 2 }]);
  });

  it('`settled()` commits what is open and waits for its sync (shutdown)', async () => {
    const spaced = new WriteBatcher(db, sync, { commitAtSync: true, minSyncIntervalMs: 60_000 });
    const first = spaced.run(insert(1));
    await tick();
    sync.finish();
    await first;
    const second = spaced.run(insert(2));
    await tick();
    expect(sync.calls).toHaveLength(0); // the next sync is a minute away...
    expect(count(other)).toBe(1); // ...and so is the COMMIT
    const settled = spaced.settled();
    expect(count(other)).toBe(2); // shutting down: committed now
    sync.finish();
    await settled;
    expect(await second).toBe(1);
  });

  it('commits once per turn without a DurableSync (nothing to commit before)', async () => {
    const plain = new WriteBatcher(db, undefined, { commitAtSync: true });
    expect(await plain.run(insert(1))).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(count(other)).toBe(1);
  });
});

describe('WalSync', () => {
  it('syncs the WAL of an open database and closes twice safely', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'susurro-wal-'));
    const file = join(dir, 'db');
    const db = new DatabaseConstructor(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (v INTEGER)');
      expect(existsSync(`${file}-wal`)).toBe(true);
      const wal = new WalSync(file);
      db.prepare('INSERT INTO t VALUES (1)').run();
      await new Promise<void>((resolve, reject) =>
        wal.sync((e) => (e === null ? resolve() : reject(e))),
      );
      wal.close();
      wal.close();
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a database that has no WAL file (not in WAL mode)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'susurro-wal-'));
    try {
      await writeFile(join(dir, 'db'), '');
      expect(() => new WalSync(join(dir, 'db'))).toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
