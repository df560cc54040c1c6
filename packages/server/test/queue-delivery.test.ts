/**
 * QueueDelivery on a real SQLite queue: its recovery timers (redelivery of a window whose acks
 * never come back here, rescans for messages that commit behind the cursor, with several
 * writers), which keep delivery at-least-once (clients drop duplicates by id); and the direct
 * push of a message this process just stored (`offer`), which must never overtake an older one.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../src/chat/frames.ts';
import { QueueDelivery } from '../src/chat/queue-delivery.ts';
import { createMetrics } from '../src/metrics.ts';
import { SqliteStorage } from '../src/storage/sqlite/index.ts';
import type { DeviceAddress, Storage, StoredMessage } from '../src/storage/types.ts';
import { tempDir } from './harness.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** SQLite, with some rows hidden from reads until revealed (a commit not yet visible). */
class PartlyVisible {
  readonly hidden = new Set<string>();
  reads = 0;
  constructor(readonly inner: Storage) {}
  async listMessages(d: DeviceAddress, after: string | undefined, limit: number) {
    this.reads++;
    const rows = await this.inner.listMessages(d, after, limit + this.hidden.size);
    return rows.filter((r) => !this.hidden.has(r.serverId)).slice(0, limit);
  }
}

async function setup(
  options: { maxUnacked?: number; redeliverAfterMs?: number; immediate?: boolean } = {},
) {
  const dir = await tempDir();
  const storage = new SqliteStorage({ file: join(dir, 'db.sqlite') });
  cleanups.push(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  const alice = await storage.createAccount('alice', 'h', 0);
  const bob = await storage.createAccount('bob', 'h', 0);
  await storage.createDevice(alice.accountId, 0, 4);
  const device = {
    accountId: bob.accountId,
    deviceId: await storage.createDevice(bob.accountId, 0, 4),
  };
  let n = 0;
  /** Stores the next message; resolves with its server id. */
  const enqueue = async () => (await enqueueStored()).serverId;
  /** Stores the next message; resolves with it as stored (what a writer can offer). */
  const enqueueStored = async (): Promise<StoredMessage> => {
    const message = {
      recipient: device,
      senderAccountId: alice.accountId,
      senderUsername: 'alice',
      senderDeviceId: 1,
      clientId: `m${n++}`,
      body: new Uint8Array([1, 2, 3]),
      createdAt: 0,
    };
    const { serverId } = await storage.enqueueMessage(message, 1000);
    return { ...message, serverId };
  };
  const view = new PartlyVisible(storage);
  const frames: ServerFrame[] = [];
  const delivery = new QueueDelivery(
    {
      storage: view as unknown as Storage,
      metrics: createMetrics(() => Promise.resolve(0)),
      clock: () => 0,
      maxUnacked: options.maxUnacked ?? 100,
      maxUnackedBytes: 1 << 20,
      redeliverAfterMs: options.redeliverAfterMs ?? 60,
      rescanAfterMs: 30,
    },
    device,
    {
      immediate: options.immediate ?? false,
      send: (frame) => {
        frames.push(frame);
        return Promise.resolve(true);
      },
      sendNow: (frame) => {
        if (options.immediate !== true) throw new Error('not an immediate sink');
        frames.push(frame);
        return true;
      },
      fail: (e) => {
        throw e;
      },
    },
  );
  cleanups.push(() => Promise.resolve(delivery.stop()));
  const pushedIds = () =>
    frames.flatMap((f) => (f.type === 'message' ? [(f as { id: string }).id] : []));
  return { storage, device, enqueue, enqueueStored, view, delivery, frames, pushedIds };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 300 && !check(); i++) await sleep(5);
  if (!check()) throw new Error(`timed out: ${what}`);
};

describe('queue delivery recovery', () => {
  it('resends a full window that no ack frees, then moves on once acks arrive', async () => {
    const { enqueue, delivery, pushedIds, storage, device } = await setup({ maxUnacked: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await enqueue());
    delivery.wake();
    await until(() => pushedIds().length === 3, 'first window');
    expect(pushedIds()).toEqual(['m0', 'm1', 'm2']);
    await until(() => pushedIds().length === 6, 'redelivery');
    expect(pushedIds().slice(3)).toEqual(['m0', 'm1', 'm2']);
    for (const id of ids.slice(0, 3)) {
      await storage.deleteMessage(device, id);
      delivery.acked(id);
    }
    await until(() => pushedIds().length === 8, 'the rest');
    expect(pushedIds().slice(6)).toEqual(['m3', 'm4']);
  });

  it('acks that reached another node: the redelivery skips what was deleted', async () => {
    // Long enough that both deletions land before the timer fires, even on a busy machine.
    const { enqueue, delivery, pushedIds, storage, device } = await setup({
      maxUnacked: 2,
      redeliverAfterMs: 400,
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await enqueue());
    delivery.wake();
    await until(() => pushedIds().length === 2, 'first window');
    // The recipient acked through another node: storage knows, this delivery does not.
    for (const id of ids.slice(0, 2)) await storage.deleteMessage(device, id);
    await until(() => pushedIds().length === 4, 'unstalled');
    expect(pushedIds()).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('finds a message that became visible behind the cursor, without rescanning forever', async () => {
    const { enqueue, delivery, pushedIds, view, frames } = await setup();
    const first = await enqueue();
    view.hidden.add(first); // committed, not yet visible to this reader
    await enqueue();
    delivery.wake();
    await until(() => frames.some((f) => f.type === 'queue-empty'), 'queue-empty');
    expect(pushedIds()).toEqual(['m1']);

    view.hidden.delete(first);
    delivery.wake(); // its notification: nothing after the cursor…
    await until(() => pushedIds().length === 2, 'the late message');
    expect(pushedIds()).toEqual(['m1', 'm0']);

    // Idle now: one more rescan at most, then no more reads.
    await sleep(100);
    const reads = view.reads;
    await sleep(150);
    expect(view.reads).toBe(reads);
  });
});

describe('direct push of a message this process stored (offer)', () => {
  const caughtUp = async (t: Awaited<ReturnType<typeof setup>>) => {
    t.delivery.wake();
    await until(() => t.frames.some((f) => f.type === 'queue-empty'), 'queue-empty');
  };

  it('pushes it at once, without reading it back, when nothing older waits', async () => {
    const t = await setup({ immediate: true, maxUnacked: 2 });
    await caughtUp(t);
    const reads = t.view.reads;
    const m0 = await t.enqueueStored();
    t.delivery.offer(m0);
    expect(t.pushedIds()).toEqual(['m0']); // synchronously
    t.delivery.offer(await t.enqueueStored());
    expect(t.pushedIds()).toEqual(['m0', 'm1']);
    await sleep(20);
    expect(t.view.reads).toBe(reads);
    // Direct pushes count in the window: a third waits until an ack frees room.
    t.delivery.offer(await t.enqueueStored());
    await sleep(20);
    expect(t.pushedIds()).toEqual(['m0', 'm1']);
    t.delivery.acked(m0.serverId);
    await until(() => t.pushedIds().length === 3, 'm2 after the ack');
    expect(t.pushedIds()).toEqual(['m0', 'm1', 'm2']);
  });

  it('reads the queue instead before the backlog is sent, and for a sink that is not immediate', async () => {
    for (const immediate of [true, false]) {
      const t = await setup({ immediate });
      await t.enqueueStored(); // m0
      const m1 = await t.enqueueStored();
      t.delivery.offer(m1); // connected, backlog not read yet: m0 must come first
      await until(() => t.frames.some((f) => f.type === 'queue-empty'), 'queue-empty');
      expect(t.pushedIds()).toEqual(['m0', 'm1']);
      if (!immediate) {
        const m2 = await t.enqueueStored();
        t.delivery.offer(m2);
        await until(() => t.pushedIds().length === 3, 'read, not pushed');
      }
    }
  });

  it('never lets a later offer overtake one that had to wait (full window)', async () => {
    const t = await setup({ immediate: true, maxUnacked: 1 });
    await caughtUp(t);
    const m0 = await t.enqueueStored();
    t.delivery.offer(m0);
    const m1 = await t.enqueueStored();
    t.delivery.offer(m1); // window full: waits for a read
    await sleep(10);
    expect(t.pushedIds()).toEqual(['m0']);
    t.delivery.acked(m0.serverId);
    const m2 = await t.enqueueStored();
    t.delivery.offer(m2); // a read is due (m1): m2 must not jump ahead
    await until(() => t.pushedIds().length === 2, 'm1');
    expect(t.pushedIds()).toEqual(['m0', 'm1']);
    t.delivery.acked(m1.serverId);
    await until(() => t.pushedIds().length === 3, 'm2');
    expect(t.pushedIds()).toEqual(['m0', 'm1', 'm2']);
  });
});
