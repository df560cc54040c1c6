import { databaseFile, type Config } from '../config.ts';
import { redactUrl } from '../redact-url.ts';
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
    const { url, dbName } = config.storage;
    try {
      return await MongoStorage.open({ url, dbName });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new Error(`cannot open MongoDB storage at ${redactUrl(url)}: ${reason}`, { cause: e });
    }
  }
  const { SqliteStorage } = await import('./sqlite/index.ts');
  return new SqliteStorage({ file: databaseFile(config), synchronous: config.sqliteSynchronous });
}
