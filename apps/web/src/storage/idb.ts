/**
 * The few IndexedDB calls the web client needs, as promises. One database holds two object
 * stores: `kv` (the SDK's encrypted records, see idb-backend.ts) and `device` (the browser's
 * non-extractable wrapping key and the sealed vault passphrase, see device-secret.ts).
 */

export const DATABASE_NAME = 'susurro';
const DATABASE_VERSION = 1;
export const KV_STORE = 'kv';
export const DEVICE_STORE = 'device';

export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction has committed, rejects if it aborts. */
export function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

export function openDatabase(factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  const request = factory.open(DATABASE_NAME, DATABASE_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    // Version 1: out-of-line string keys in both stores.
    if (!db.objectStoreNames.contains(KV_STORE)) db.createObjectStore(KV_STORE);
    if (!db.objectStoreNames.contains(DEVICE_STORE)) db.createObjectStore(DEVICE_STORE);
  };
  return new Promise((resolve, reject) => {
    request.onsuccess = () => {
      const db = request.result;
      // Another tab asked to delete or upgrade the database: let it.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error ?? new Error('cannot open IndexedDB'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

/** Removes every record this client keeps in the browser ("erase this browser's data"). */
export function deleteDatabase(factory: IDBFactory = indexedDB): Promise<void> {
  const request = factory.deleteDatabase(DATABASE_NAME);
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error('cannot delete IndexedDB'));
  });
}
