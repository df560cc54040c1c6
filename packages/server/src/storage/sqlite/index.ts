export {
  SqliteStorage,
  type SqliteStorageOptions,
  type SqliteSynchronous,
} from './sqlite-storage.ts';
