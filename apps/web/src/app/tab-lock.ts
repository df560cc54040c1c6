/**
 * One tab at a time. Two tabs would share the IndexedDB store but each cache ratchet state in
 * memory, so their sessions would fork and messages would stop decrypting; the server also
 * replaces the older socket of a device (close 4001). A Web Lock held for the page's lifetime
 * keeps a second tab out until the user moves Susurro there ("use here" steals the lock).
 * A waiting tab does not queue for the lock: it would take over by itself whenever the
 * active tab reloads, which is not what anyone expects.
 */
const LOCK_NAME = 'susurro-device';

/**
 * Tries to take the lock now (or, with `steal`, takes it from whoever holds it). Resolves
 * true when this tab holds it; `onLost` runs if another tab steals it later. Without the Web
 * Locks API the answer is always yes: no worse than before this existed.
 */
export function tryTabLock(onLost: () => void, steal = false): Promise<boolean> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (held: boolean) => {
      settled = true;
      resolve(held);
    };
    locks
      .request(LOCK_NAME, steal ? { steal: true } : { ifAvailable: true }, (lock) => {
        if (!lock) {
          settle(false);
          return undefined;
        }
        settle(true);
        // Held until the page goes away, or until stolen (which rejects below).
        return new Promise<void>(() => undefined);
      })
      .catch(() => {
        if (settled) onLost();
        else settle(true); // the API refused outright (e.g. opaque origin): run unguarded
      });
  });
}
