/**
 * RedisFanOut against the real Redis on 127.0.0.1:6379 (.ci/run and `make test` start it):
 * the device registry, wake routing between nodes, and eviction of an older connection.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Recipient } from '../src/chat/fan-out.ts';
import { RedisFanOut } from '../src/cluster/redis-fan-out.ts';
import { createLogger } from '../src/logger.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cluster = `fanout-test-${randomBytes(4).toString('hex')}`;
const open: RedisFanOut[] = [];
const log = createLogger('silent');

async function node(nodeId: string) {
  const fanOut = await RedisFanOut.connect({ url: REDIS_URL, nodeId, cluster, log });
  open.push(fanOut);
  const woken: Recipient[] = [];
  fanOut.subscribe((r) => woken.push(r));
  return { fanOut, woken };
}

const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const bob: Recipient = { accountId: '7', deviceId: 1, username: 'bob' };

afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});
afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${cluster}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('RedisFanOut', () => {
  it('wakes only the node holding the device, wherever the message was stored', async () => {
    const a = await node('a');
    const b = await node('b');
    const c = await node('c');
    b.fanOut.attach(bob, () => undefined);
    const redis = new Redis(REDIS_URL);
    await until(async () => (await redis.get(`${cluster}:device:7:1`)) === 'b', 'registry');
    redis.disconnect();

    a.fanOut.publish(bob);
    c.fanOut.publish(bob);
    await until(() => b.woken.length === 2, 'two wakes on b');
    expect(b.woken[0]).toEqual(bob);
    expect(a.woken).toEqual([]);
    expect(c.woken).toEqual([]);

    // Held locally: no Redis round trip needed, the listener hears it at once.
    b.fanOut.publish(bob);
    expect(b.woken).toHaveLength(3);
  });

  it('an offline device wakes nobody (its queue waits for the next connect)', async () => {
    const a = await node('a');
    const b = await node('b');
    a.fanOut.publish({ ...bob, accountId: '404' });
    await new Promise((r) => setTimeout(r, 100));
    expect([...a.woken, ...b.woken]).toEqual([]);
  });

  it('a device connecting on another node evicts its older connection', async () => {
    const a = await node('a');
    const b = await node('b');
    let evicted = 0;
    a.fanOut.attach(bob, () => evicted++);
    const redis = new Redis(REDIS_URL);
    await until(async () => (await redis.get(`${cluster}:device:7:1`)) === 'a', 'on a');
    b.fanOut.attach(bob, () => undefined);
    await until(() => evicted === 1, 'eviction on a');

    // A's late detach must not erase B's newer registration.
    a.fanOut.detach(bob);
    await new Promise((r) => setTimeout(r, 100));
    expect(await redis.get(`${cluster}:device:7:1`)).toBe('b');
    b.fanOut.detach(bob);
    await until(async () => (await redis.get(`${cluster}:device:7:1`)) === null, 'detached');
    redis.disconnect();
  });

  it('fails to connect with a clear error when Redis is unreachable', async () => {
    await expect(
      RedisFanOut.connect({ url: 'redis://127.0.0.1:1', nodeId: 'x', cluster, log }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
