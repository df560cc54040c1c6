/**
 * Waiting on a Messenger in end-to-end tests (SDK, gateway, cluster): bounded, never hanging.
 */
import type { Messenger, MessageRecord } from '../src/index.ts';

/** The next `count` messages from `from`, in arrival order; rejects after `timeoutMs`. */
export function nextMessages(
  m: Messenger,
  from: string,
  count = 1,
  timeoutMs = 15_000,
): Promise<MessageRecord[]> {
  const got: MessageRecord[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out with ${got.length}/${count} messages from ${from}`));
    }, timeoutMs);
    const off = m.on('message', (r) => {
      if (r.peer !== from) return;
      got.push(r);
      if (got.length === count) {
        clearTimeout(timer);
        off();
        resolve(got);
      }
    });
  });
}

/** Resolves when the messenger's connection reaches `state`. */
export function waitForState(m: Messenger, state: string, timeoutMs = 30_000): Promise<void> {
  if (m.connectionState === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`connection never became ${state} (is ${m.connectionState})`));
    }, timeoutMs);
    const off = m.on('connection-state', (s) => {
      if (s === state) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

/** Starts the real-time connection and waits until it is up. */
export function connectAndWait(m: Messenger): Promise<void> {
  m.connect();
  return waitForState(m, 'connected');
}
