/**
 * Self-hosted scale-out (DESIGN deployment 3): three chat-service processes sharing one
 * storage and Redis (127.0.0.1:6379, started by .ci/run), each client behind its own
 * failover TCP balancer that prefers a different node. Messages cross nodes in real time;
 * then a node is SIGKILLed mid-conversation, its client fails over to another node, and every
 * message the server acknowledged arrives exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Messenger } from '@susurro/client';
import { openNodeMessenger } from '@susurro/client/node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAndWait, nextMessages } from '../../../packages/client/test/messenger-waits.ts';
import {
  startServerProcess,
  type ServerProcess,
} from '../../../packages/client/test/server-process.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLUSTER = `test-${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'susurro-cluster-'));
const nodes: ServerProcess[] = [];
const balancers: Array<{ server: Server; sockets: Set<Socket> }> = [];
const clients: Messenger[] = [];
const dirs: string[] = [dataDir];

/** A TCP balancer that sends each connection to the first live node in `order`. */
async function failoverBalancer(order: () => Array<{ port: number }>): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const candidates = order();
    const tryNext = (i: number) => {
      const target = candidates[i];
      if (target === undefined) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: target.port });
      upstream.once('error', () => tryNext(i + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryNext(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  balancers.push({ server, sockets });
  return `http://127.0.0.1:${port}`;
}

const portOf = (node: ServerProcess) => ({ port: Number(new URL(node.url).port) });

async function connectionsOn(node: ServerProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^susurro_ws_connections (\d+)/m.exec(text)?.[1] ?? NaN);
}

let n = 0;
async function user(serverUrl: string, base: string) {
  const dir = mkdtempSync(join(tmpdir(), 'susurro-cluster-client-'));
  dirs.push(dir);
  const m = await openNodeMessenger({ configDir: dir, serverUrl, passphrase: 't', kdfLogN: 10 });
  clients.push(m);
  const name = `${base}_${process.pid % 1000}_${n++}`;
  await m.register(name, 'correct horse battery');
  return { m, name };
}

beforeAll(async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    throw new Error(`Redis is not reachable at ${REDIS_URL}: .ci/run starts it (see README)`);
  } finally {
    probe.disconnect();
  }
  for (const id of ['n1', 'n2', 'n3']) {
    nodes.push(
      await startServerProcess({
        dataDir,
        env: { REDIS_URL, NODE_ID: id, CLUSTER_NAME: CLUSTER, SHUTDOWN_GRACE_MS: '200' },
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  for (const m of clients) await m.close();
  for (const b of balancers) {
    b.server.close();
    for (const s of b.sockets) s.destroy();
  }
  for (const node of nodes) await node.stop();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${CLUSTER}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('three nodes over Redis', () => {
  it('delivers across nodes in real time, and loses nothing acked when a node is killed', async () => {
    const [n1, n2, n3] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const live = () =>
      nodes.filter((x) => x.child.exitCode === null && x.child.signalCode === null);
    const prefer = (first: ServerProcess) => () =>
      [first, ...live().filter((x) => x !== first)].map(portOf);
    const alice = await user(await failoverBalancer(prefer(n1)), 'alice');
    const bob = await user(await failoverBalancer(prefer(n2)), 'bob');
    const carol = await user(await failoverBalancer(prefer(n3)), 'carol');
    await Promise.all([connectAndWait(alice.m), connectAndWait(bob.m), connectAndWait(carol.m)]);
    expect(await Promise.all(nodes.map(connectionsOn))).toEqual([1, 1, 1]);

    // Round the ring: each message is stored by one node and pushed by another.
    const atBob = nextMessages(bob.m, alice.name, 5, 30_000);
    const atCarol = nextMessages(carol.m, bob.name, 5, 30_000);
    const atAlice = nextMessages(alice.m, carol.name, 5, 30_000);
    for (let i = 0; i < 5; i++) await alice.m.send(bob.name, `a→b ${i}`);
    for (let i = 0; i < 5; i++) await bob.m.send(carol.name, `b→c ${i}`);
    for (let i = 0; i < 5; i++) await carol.m.send(alice.name, `c→a ${i}`);
    const five = (p: string) => Array.from({ length: 5 }, (_, i) => `${p} ${i}`);
    expect((await atBob).map((r) => r.body)).toEqual(five('a→b'));
    expect((await atCarol).map((r) => r.body)).toEqual(five('b→c'));
    expect((await atAlice).map((r) => r.body)).toEqual(five('c→a'));

    // Kill Bob's node while Alice keeps sending to him.
    const TOTAL = 30;
    const late = nextMessages(bob.m, alice.name, TOTAL, 60_000);
    const acked: string[] = [];
    const sending = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        const body = `during ${i}`;
        await alice.m.send(bob.name, body);
        acked.push(body);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    await new Promise((r) => setTimeout(r, 120));
    n2.child.kill('SIGKILL');
    await sending;
    const got = await late;
    expect(acked).toHaveLength(TOTAL);
    // Exactly once, in Alice's order, although Bob moved to another node midway.
    expect(got.map((r) => r.body)).toEqual(acked);
    expect(bob.m.connectionState).toBe('connected');
    expect((await Promise.all([n1, n3].map(connectionsOn))).reduce((a, b) => a + b)).toBe(3);
  }, 120_000);
});
