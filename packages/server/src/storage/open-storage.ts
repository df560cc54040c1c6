import { databaseFile, type Config } from '../config.ts';
import type { Storage } from './types.ts';

/**
 * Opens the configured storage adapter. Each adapter is imported only when chosen, so a process
 * (or a Lambda bundle) that uses MongoDB never loads SQLite's native module, and vice versa.
 */
export async function openStorage(
  config: Pick<Config, 'storage' | 'dataDir' | 'sqliteSynchronous'>,
): Promise<Storage> {
  if (config.storage.kind === 'mongodb') {
    const { MongoStorage } = await import('./mongodb/index.ts');
    return MongoStorage.open({ url: config.storage.url, dbName: config.storage.dbName });
  }
  const { SqliteStorage } = await import('./sqlite/index.ts');
  return new SqliteStorage({ file: databaseFile(config), synchronous: config.sqliteSynchronous });
}
