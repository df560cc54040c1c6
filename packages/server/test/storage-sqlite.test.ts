import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite/index.ts';
import { runStorageContract } from './storage-contract.ts';

async function tempFile(): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'susurro-sqlite-'));
  return { dir, file: join(dir, 'nested', 'susurro.db') };
}

runStorageContract('sqlite', async () => {
  const { dir, file } = await tempFile();
  const storage = new SqliteStorage({ file });
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

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
      expect(raw.pragma('user_version', { simple: true })).toBe(3);
      raw.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
});
