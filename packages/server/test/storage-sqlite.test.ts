import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import DatabaseConstructor from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite/index.ts';
import { WalCheckpointer } from '../src/storage/sqlite/wal-checkpointer.ts';
import { migrate } from '../src/storage/sqlite/migrate.ts';
import { MIGRATIONS } from '../src/storage/sqlite/migrations/index.ts';
import { runStorageContract } from './storage-contract/index.ts';

async function tempFile(): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'susurro-sqlite-'));
  return { dir, file: join(dir, 'nested', 'susurro.db') };
}

for (const singleWriter of [false, true]) {
  // A single writer keeps its transaction open between syncs (commitAtSync): same contract.
  runStorageContract(singleWriter ? 'sqlite (single writer)' : 'sqlite', async () => {
    const { dir, file } = await tempFile();
    const storage = new SqliteStorage({ file, singleWriter });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

/**
 * Runs `use` on a database file migrated only up to `version`, holding the rows `sql` inserts;
 * the file's directory is removed afterwards.
 */
async function withDatabaseAt(
  version: number,
  sql: string,
  use: (file: string) => Promise<void>,
): Promise<void> {
  const { dir, file } = await tempFile();
  try {
    await mkdir(dirname(file), { recursive: true });
    const raw = new DatabaseConstructor(file);
    migrate(raw, MIGRATIONS.slice(0, version));
    raw.exec(sql);
    raw.close();
    await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rows for accounts alice (1) and bob (2), one device each, and alice → bob message 7. */
function aliceToBobQueued(clientId: string): string {
  return `INSERT INTO accounts VALUES (1, 'alice', 'h', 1), (2, 'bob', 'h', 1);
    INSERT INTO devices (account_id, device_id, created_at) VALUES (1, 1, 1), (2, 1, 1);
    INSERT INTO messages (server_id, recipient_account_id, recipient_device_id,
      sender_account_id, sender_device_id, client_id, body, created_at, sender_username)
      VALUES (7, 2, 1, 1, 1, '${clientId}', x'01', 5, 'alice');`;
}

/** Sends alice (account 1) → bob (account 2, device 1) with a client id. */
function aliceToBob(storage: SqliteStorage, maxQueued = 10) {
  return (clientId: string) =>
    storage.enqueueMessage(
      {
        recipient: { accountId: '2', deviceId: 1 },
        senderAccountId: '1',
        senderUsername: 'alice',
        senderDeviceId: 1,
        clientId,
        body: new Uint8Array([1]),
        createdAt: 6,
      },
      maxQueued,
    );
}

describe('sqlite adapter specifics', () => {
  it('keeps committed data across reopen, in WAL mode at the newest schema', async () => {
    const { dir, file } = await tempFile();
    try {
      const first = new SqliteStorage({ file });
      await first.createAccount('alice', 'h', 1);
      await first.close();
      const second = new SqliteStorage({ file, synchronous: 'NORMAL' });
      expect((await second.getAccountByUsername('alice'))?.username).toBe('alice');
      await second.close();
      const raw = new DatabaseConstructor(file, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      raw.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('backfills the sender name of messages queued before migration 0004', async () => {
    await withDatabaseAt(
      3,
      `INSERT INTO accounts VALUES (1, 'alice', 'h', 1), (2, 'bob', 'h', 1);
        INSERT INTO devices (account_id, device_id, created_at) VALUES (2, 1, 1);
        INSERT INTO messages (recipient_account_id, recipient_device_id, sender_account_id,
          sender_device_id, client_id, body, created_at) VALUES (2, 1, 1, 3, 'c1', x'01', 5);`,
      async (file) => {
        const storage = new SqliteStorage({ file });
        const [message] = await storage.listMessages(
          { accountId: '2', deviceId: 1 },
          undefined,
          10,
        );
        expect(message).toMatchObject({
          senderUsername: 'alice',
          senderDeviceId: 3,
          clientId: 'c1',
        });
        await storage.close();
      },
    );
  });

  it('dedupes across migration 0005: old rows still match, new ones get theirs by trigger', async () => {
    await withDatabaseAt(
      4,
      `${aliceToBobQueued('old')}
        INSERT INTO message_dedupe VALUES (2, 1, 1, 1, 'old', 7, 5);`,
      async (file) => {
        const storage = new SqliteStorage({ file });
        const send = aliceToBob(storage);
        expect(await send('old')).toEqual({ serverId: '7', duplicate: true });
        const fresh = await send('new');
        expect(fresh.duplicate).toBe(false);
        expect(await send('new')).toEqual({ serverId: fresh.serverId, duplicate: true });
        await storage.close();
        const check = new DatabaseConstructor(file, { readonly: true });
        expect(check.prepare('SELECT COUNT(*) AS n FROM message_dedupe').get()).toEqual({ n: 2 });
        check.close();
      },
    );
  });

  it('keeps dedupe rows across migration 0006, keyed by client id first', async () => {
    await withDatabaseAt(
      5,
      `${aliceToBobQueued('queued')}
        INSERT INTO message_dedupe VALUES (2, 1, 1, 1, 'acked', 3, 4);`,
      async (file) => {
        const storage = new SqliteStorage({ file });
        const send = aliceToBob(storage);
        expect(await send('queued')).toEqual({ serverId: '7', duplicate: true });
        expect(await send('acked')).toEqual({ serverId: '3', duplicate: true });
        const fresh = await send('new');
        expect(await send('new')).toEqual({ serverId: fresh.serverId, duplicate: true });
        await storage.close();
        const check = new DatabaseConstructor(file, { readonly: true });
        const [pk] = (
          check.pragma('index_list(message_dedupe)') as Array<{ name: string; origin: string }>
        ).filter((index) => index.origin === 'pk');
        const key = check.pragma(`index_info(${pk?.name})`) as Array<{ name: string }>;
        expect(key.map((c) => c.name)).toEqual([
          'client_id',
          'sender_account_id',
          'sender_device_id',
          'recipient_account_id',
          'recipient_device_id',
        ]);
        expect(check.prepare('SELECT COUNT(*) AS n FROM message_dedupe').get()).toEqual({ n: 3 });
        check.close();
      },
    );
  });

  it('refuses a database written by a newer server', async () => {
    const { dir, file } = await tempFile();
    try {
      await new SqliteStorage({ file }).close();
      const raw = new DatabaseConstructor(file);
      raw.pragma('user_version = 99');
      raw.close();
      expect(() => new SqliteStorage({ file })).toThrow(/newer than this server/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checkpoints from a worker thread: the database file alone holds what was committed', async () => {
    const { dir, file } = await tempFile();
    const storage = new SqliteStorage({ file });
    try {
      await storage.createAccount('alice', 'h', 1);
      await storage.createAccount('bob', 'h', 1);
      await storage.createDevice('2', 1, 5);
      const send = aliceToBob(storage, 10_000);
      for (let batch = 0; batch < 5; batch++) {
        await Promise.all(Array.from({ length: 200 }, (_, i) => send(`m${batch}-${i}`)));
      }
      // The main connection checkpoints only past MAIN_AUTOCHECKPOINT_PAGES: the copy is the
      // worker's, made within two of its intervals once the writes stop.
      const before = storage.checkpoints;
      const deadline = Date.now() + 5_000;
      while (storage.checkpoints < before + 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(storage.checkpoints).toBeGreaterThanOrEqual(before + 2);
      const copy = join(dir, 'copy.db');
      await copyFile(file, copy);
      const raw = new DatabaseConstructor(copy, { readonly: true });
      expect(raw.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 1000 });
      raw.close();
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a checkpoint worker that cannot open the database, and still stops', async () => {
    const { dir, file } = await tempFile();
    try {
      let failed: (error: Error) => void = () => undefined;
      const failure = new Promise<Error>((resolve) => (failed = resolve));
      // No database at `file` (not even its directory): the worker's open throws.
      const checkpointer = new WalCheckpointer(file, { intervalMs: 10, onFailure: failed });
      expect((await failure).message).toMatch(/unable to open|directory does not exist/);
      await checkpointer.stop();
      expect(checkpointer.checkpoints).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes in a process with nothing else to keep it running', async () => {
    // Its checkpoint worker is unreferenced while it runs; close() must still see it exit and
    // then close the main connection, which removes the WAL after a last checkpoint.
    const { dir, file } = await tempFile();
    try {
      const adapter = fileURLToPath(new URL('../src/storage/sqlite/index.ts', import.meta.url));
      const script = `
        const { SqliteStorage } = await import(${JSON.stringify(adapter)});
        const storage = new SqliteStorage({ file: ${JSON.stringify(file)} });
        await storage.createAccount('alice', 'h', 1);
        await storage.close();
        console.log('closed');`;
      const main = join(dir, 'close.mjs');
      await writeFile(main, script);
      const child = spawnSync(process.execPath, ['--import', 'tsx', main], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(child.stderr).toBe('');
      expect({ status: child.status, stdout: child.stdout }).toEqual({
        status: 0,
        stdout: 'closed\n',
      });
      expect(existsSync(`${file}-wal`)).toBe(false);
      const raw = new DatabaseConstructor(file, { readonly: true });
      expect(raw.prepare('SELECT username FROM accounts').all()).toEqual([{ username: 'alice' }]);
      raw.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('holds the queue quota across one group commit, counting again once deletes free room', async () => {
    const { dir, file } = await tempFile();
    const storage = new SqliteStorage({ file });
    try {
      const alice = await storage.createAccount('alice', 'h', 1);
      const bob = await storage.createAccount('bob', 'h', 1);
      const bobDevice = {
        accountId: bob.accountId,
        deviceId: await storage.createDevice(bob.accountId, 1, 5),
      };
      const send = (clientId: string) =>
        storage.enqueueMessage(
          {
            recipient: bobDevice,
            senderAccountId: alice.accountId,
            senderUsername: 'alice',
            senderDeviceId: 1,
            clientId,
            body: new Uint8Array([1]),
            createdAt: 1,
          },
          5,
        );
      const first = await send('m0');
      await send('m1');
      await send('m2');
      // One transaction: the delete (queued first) frees a slot that m5 needs.
      const outcomes = await Promise.allSettled([
        storage.deleteMessage(bobDevice, first.serverId),
        send('m3'),
        send('m4'),
        send('m5'),
        send('m6'),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      expect(await storage.listMessages(bobDevice, undefined, 10)).toHaveLength(5);
      // The next transaction counts afresh.
      await expect(send('m7')).rejects.toMatchObject({ kind: 'LIMIT' });
    } finally {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
