/**
 * The SDK's KeyValueBackend over IndexedDB. It stores what VaultStore hands it — values are
 * already AES-GCM-sealed — so nothing here sees plaintext. Every `write` is one readwrite
 * transaction with strict durability: the SDK relies on "all ops or none", and on a committed
 * ratchet step surviving a crash before ciphertext leaves the device.
 */
import type { KeyValueBackend, WriteOp } from '@susurro/client';
import { KV_STORE, requestResult, transactionDone } from './idb.ts';

/** Upper bound for a prefix range: every key that starts with `prefix` sorts below it. */
const PREFIX_END = '\uffff';

export class IndexedDbBackend implements KeyValueBackend {
  constructor(private readonly db: IDBDatabase) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const tx = this.db.transaction(KV_STORE, 'readonly');
    const value: unknown = await requestResult(tx.objectStore(KV_STORE).get(key));
    return value instanceof Uint8Array ? value : undefined;
  }

  async list(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const tx = this.db.transaction(KV_STORE, 'readonly');
    const store = tx.objectStore(KV_STORE);
    const range = IDBKeyRange.bound(prefix, prefix + PREFIX_END);
    // Both calls walk the same range in key order inside one snapshot.
    const [keys, values] = await Promise.all([
      requestResult(store.getAllKeys(range)),
      requestResult(store.getAll(range) as IDBRequest<unknown[]>),
    ]);
    const out: Array<[string, Uint8Array]> = [];
    keys.forEach((k, i) => {
      const v = values[i];
      if (typeof k === 'string' && k.startsWith(prefix) && v instanceof Uint8Array)
        out.push([k, v]);
    });
    return out;
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const tx = this.db.transaction(KV_STORE, 'readwrite', { durability: 'strict' });
    const done = transactionDone(tx);
    const store = tx.objectStore(KV_STORE);
    for (const [key, value] of ops) {
      if (value === undefined) store.delete(key);
      else store.put(value, key);
    }
    await done;
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
