import { databaseFile, type Config } from '../config.ts';
import { redactUrl } from '../redact-url.ts';
import type { SqliteStorageOptions } from './sqlite/sqlite-storage.ts';
import type { Storage } from './types.ts';

/**
 * Opens the configured storage adapter. Each adapter is imported only when chosen, so a process
 * (or a Lambda bundle) that uses MongoDB never loads SQLite's native module, and vice versa.
 */
export async function openStorage(
  config: Pick<Config, 'storage' | 'dataDir' | 'sqliteSynchronous' | 'redisUrl'>,
): Promise<Storage> {
  if (config.storage.kind === 'mongodb') {
    const { MongoStorage } = await import('./mongodb/index.ts');
    const { url, dbName } = config.storage;
    try {
      return await MongoStorage.open({ url, dbName });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new Error(`cannot open MongoDB storage at ${redactUrl(url)}: ${reason}`, { cause: e });
    }
  }
  const { SqliteStorage } = await import('./sqlite/index.ts');
  return new SqliteStorage(sqliteOptions(config));
}

type SqliteConfig = Pick<Config, 'dataDir' | 'sqliteSynchronous' | 'redisUrl'>;

/** The SQLite adapter's options for `config`. */
export function sqliteOptions(config: SqliteConfig): SqliteStorageOptions {
  return {
    file: databaseFile(config),
    synchronous: config.sqliteSynchronous,
    // Nodes of a cluster on one host share the file (and see each other's writes only once
    // committed); a lone process commits once per sync.
    singleWriter: config.redisUrl === undefined,
  };
}
