/**
 * Where the client keeps its bytes: an ordered key-value map with atomic batches. Backends
 * (memory, SQLite in Node, IndexedDB in browsers) know nothing of encryption; `VaultStore`
 * encrypts every value before it reaches them.
 */
export type WriteOp = readonly [key: string, value: Uint8Array | undefined];

export interface KeyValueBackend {
  get(key: string): Promise<Uint8Array | undefined>;
  /** All entries whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<Array<[string, Uint8Array]>>;
  /** Applies every op or none (`undefined` deletes). */
  write(ops: readonly WriteOp[]): Promise<void>;
  close(): Promise<void>;
}

/** Reference implementation (tests, and a session that should leave nothing behind). */
export class MemoryBackend implements KeyValueBackend {
  private readonly map = new Map<string, Uint8Array>();

  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.map.get(key)?.slice());
  }

  list(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const out: Array<[string, Uint8Array]> = [];
    for (const [k, v] of this.map) if (k.startsWith(prefix)) out.push([k, v.slice()]);
    out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Promise.resolve(out);
  }

  write(ops: readonly WriteOp[]): Promise<void> {
    for (const [k, v] of ops) {
      if (v === undefined) this.map.delete(k);
      else this.map.set(k, v.slice());
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
