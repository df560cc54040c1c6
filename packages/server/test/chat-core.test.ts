/**
 * The chat core without any network: a fake ConnectionSender stands where `ws` or API Gateway
 * would, proving the core does not know its transport.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatService } from '../src/chat/chat-service.ts';
import {
  CLOSE_CODES,
  type ConnectionSender,
  type ImmediateSender,
} from '../src/chat/connection-sender.ts';
import { InProcessFanOut } from '../src/chat/fan-out.ts';
import type { ServerFrame } from '../src/chat/frames.ts';
import { MessageService } from '../src/chat/message-service.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { RateLimiter } from '../src/rate-limiter.ts';
import { SqliteStorage } from '../src/storage/sqlite/index.ts';
import { NO_RATE_LIMITS, tempDir } from './harness.ts';

class FakeSender implements ConnectionSender {
  readonly sent: Array<{ connectionId: string; frame: ServerFrame }> = [];
  readonly closed: Array<{ connectionId: string; code: number }> = [];
  /** Connections that report "gone" (like a 410 from API Gateway or a slow consumer). */
  readonly gone = new Set<string>();

  send(connectionId: string, frame: ServerFrame): Promise<boolean> {
    if (this.gone.has(connectionId)) return Promise.resolve(false);
    this.sent.push({ connectionId, frame });
    return Promise.resolve(true);
  }

  close(connectionId: string, code: number): Promise<void> {
    this.closed.push({ connectionId, code });
    return Promise.resolve();
  }

  framesOf(connectionId: string): ServerFrame[] {
    return this.sent.filter((s) => s.connectionId === connectionId).map((s) => s.frame);
  }
}

/** Like the built-in `ws` transport: it can also send synchronously (ImmediateSender). */
class ImmediateFakeSender extends FakeSender implements ImmediateSender {
  sendNow(connectionId: string, frame: ServerFrame): boolean {
    if (this.gone.has(connectionId)) return false;
    this.sent.push({ connectionId, frame });
    return true;
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function core(maxUnacked = 100, sender: FakeSender = new FakeSender()) {
  const dir = await tempDir();
  const storage = new SqliteStorage({ file: join(dir, 'db.sqlite') });
  cleanups.push(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });
  const clock = () => 1_700_000_000_000;
  const metrics = createMetrics(() => storage.countQueuedMessages());
  const fanOut = new InProcessFanOut();
  const limiter = new RateLimiter(clock);
  const messages = new MessageService({
    storage,
    fanOut,
    limiter,
    clock,
    metrics,
    rateLimits: NO_RATE_LIMITS,
  });
  const log = createLogger('silent');
  const chat = new ChatService({
    storage,
    messages,
    sender,
    fanOut,
    metrics,
    log,
    clock,
    maxUnacked,
  });
  const principal = async (username: string) => {
    const account = await storage.createAccount(username, 'h', 0);
    const deviceId = await storage.createDevice(account.accountId, 0, 4);
    return { accountId: account.accountId, username, deviceId };
  };
  return { chat, sender, principal, storage };
}

const ack = (frame: ServerFrame | undefined) =>
  JSON.stringify({ v: 1, type: 'ack', serverId: (frame as { serverId: string }).serverId });

/** Acked deletions are batched lazily (≤ 20 ms): polls, bounded, until the queue is empty. */
async function untilQueueEmpty(storage: SqliteStorage): Promise<void> {
  for (let i = 0; i < 100 && (await storage.countQueuedMessages()) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const send = (id: string, to = 'bob') =>
  JSON.stringify({ v: 1, type: 'send', id, to, deviceId: 1, body: 'AAAA' });

describe('chat core over a fake transport', () => {
  it('stores, acks, pushes and deletes on ack', async () => {
    const { chat, sender, principal, storage } = await core();
    const alice = await principal('alice');
    const bob = await principal('bob');
    await chat.onConnect('A', alice);
    await chat.onConnect('B', bob);
    await chat.onFrame('A', send('m1'));
    expect(sender.framesOf('A').at(-1)).toMatchObject({ type: 'sent', id: 'm1', duplicate: false });
    await new Promise((resolve) => setImmediate(resolve));
    const pushed = sender.framesOf('B').find((f) => f.type === 'message');
    expect(pushed).toMatchObject({ id: 'm1', from: 'alice', fromDevice: 1, body: 'AAAA' });
    expect(await storage.countQueuedMessages()).toBe(1);
    await chat.onFrame('B', ack(pushed));
    await untilQueueEmpty(storage);
    expect(await storage.countQueuedMessages()).toBe(0);
  });

  it('replaces an older connection of the same device with close code 4001', async () => {
    const { chat, sender, principal } = await core();
    const bob = await principal('bob');
    await chat.onConnect('B1', bob);
    await chat.onConnect('B2', bob);
    expect(sender.closed).toEqual([{ connectionId: 'B1', code: CLOSE_CODES.REPLACED }]);
    expect(chat.connectionCount).toBe(1);
    chat.onDisconnect('B1'); // late close event of the old socket changes nothing
    expect(chat.connectionCount).toBe(1);
  });

  it('stops using a connection the transport reports gone; the queue keeps the message', async () => {
    const { chat, sender, principal, storage } = await core();
    const alice = await principal('alice');
    const bob = await principal('bob');
    await chat.onConnect('A', alice);
    await chat.onConnect('B', bob);
    sender.gone.add('B');
    for (let i = 0; i < 5; i++) await chat.onFrame('A', send(`m${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sender.framesOf('B').filter((f) => f.type === 'message')).toHaveLength(0);
    expect(await storage.countQueuedMessages()).toBe(5);
    // Reconnecting gets everything.
    await chat.onConnect('B2', bob);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sender.framesOf('B2').filter((f) => f.type === 'message')).toHaveLength(5);
  });

  it('refuses frames while draining and closes everyone with 1001', async () => {
    const { chat, sender, principal } = await core();
    await chat.onConnect('A', await principal('alice'));
    await chat.drain(1000);
    expect(sender.closed).toContainEqual({ connectionId: 'A', code: CLOSE_CODES.GOING_AWAY });
    expect(chat.connectionCount).toBe(0);
  });

  it('ignores frames and disconnects of unknown connections', async () => {
    const { chat } = await core();
    await expect(chat.onFrame('nobody', send('x'))).resolves.toBeUndefined();
    expect(() => chat.onDisconnect('nobody')).not.toThrow();
  });
});

describe.each([
  ['an async sender (API Gateway)', () => new FakeSender()],
  ['a synchronous sender (built-in ws)', () => new ImmediateFakeSender()],
])('pipelined sends over %s', (_name, makeSender) => {
  it('answers and delivers in the order sent, and deletes on ack', async () => {
    const { chat, sender, principal, storage } = await core(100, makeSender());
    const alice = await principal('alice');
    const bob = await principal('bob');
    await chat.onConnect('A', alice);
    await chat.onConnect('B', bob);
    // Not awaited one by one: the first needs a recipient lookup, the rest queue behind it.
    await Promise.all(Array.from({ length: 20 }, (_, i) => chat.onFrame('A', send(`m${i}`))));
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const answered = sender.framesOf('A').filter((f) => f.type === 'sent');
    expect(answered.map((f) => (f as { id: string }).id)).toEqual(ids);
    for (let i = 0; i < 100 && sender.framesOf('B').length < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const pushed = sender.framesOf('B').filter((f) => f.type === 'message');
    expect(pushed.map((f) => (f as { id: string }).id)).toEqual(ids);
    for (const f of pushed) await chat.onFrame('B', ack(f));
    await untilQueueEmpty(storage);
    expect(await storage.countQueuedMessages()).toBe(0);
  });
});
