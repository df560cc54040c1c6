/**
 * Node storage backend: one SQLite file (better-sqlite3, WAL, synchronous=FULL so a commit
 * that returned survives a power cut). Values arrive already encrypted by the vault.
 */
import Database from 'better-sqlite3';
import { ClientError } from '../errors.ts';
import type { KeyValueBackend, WriteOp } from '../store/backend.ts';

export class SqliteBackend implements KeyValueBackend {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { value: Buffer }>;
  private readonly listStmt: Database.Statement<[string, string], { key: string; value: Buffer }>;
  private readonly putStmt: Database.Statement<[string, Uint8Array]>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly writeMany: (ops: readonly WriteOp[]) => void;

  constructor(file: string) {
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID',
      );
    } catch (cause) {
      throw new ClientError('STORE_CORRUPT', `cannot open the local store at ${file}`, { cause });
    }
    this.getStmt = this.db.prepare('SELECT value FROM kv WHERE key = ?');
    // Prefix scan as a range so it uses the primary key index.
    this.listStmt = this.db.prepare(
      'SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key',
    );
    this.putStmt = this.db.prepare(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.deleteStmt = this.db.prepare('DELETE FROM kv WHERE key = ?');
    this.writeMany = this.db.transaction((ops: readonly WriteOp[]) => {
      for (const [key, value] of ops) {
        if (value === undefined) this.deleteStmt.run(key);
        else this.putStmt.run(key, value);
      }
    });
  }

  get(key: string): Promise<Uint8Array | undefined> {
    const row = this.getStmt.get(key);
    return Promise.resolve(row && new Uint8Array(row.value));
  }

  list(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const rows = this.listStmt.all(prefix, prefix + '\uffff');
    return Promise.resolve(rows.map((r) => [r.key, new Uint8Array(r.value)]));
  }

  write(ops: readonly WriteOp[]): Promise<void> {
    this.writeMany(ops);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
