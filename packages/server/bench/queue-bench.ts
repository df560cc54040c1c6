/**
 * `make bench` — the SQLite message queue on its own: what one stored-then-acked message costs
 * the real adapter (enqueue with its dedupe row, delete on ack, group commits), by the shape of
 * the clients' message ids.
 *
 *   time-ordered ids   `newMessageId`: 12 hex digits of milliseconds, then random (our clients')
 *   random ids         32 random hex digits (any other client)
 *
 * The dedupe index is keyed by id first (migration 0006), so time-ordered ids append to it and
 * one commit's rows share a page, where random ones each dirty a page of a tree holding the
 * whole dedupe window. The window is prefilled first (PREFILL messages), since an empty tree
 * has too few pages to show it. Commits are not synced (`synchronous=NORMAL`): this measures
 * the CPU and the WAL writes, which the fsync only adds to. Random ids are the baseline.
 *
 *   node --import tsx packages/server/bench/queue-bench.ts [--quick]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { newMessageId } from '@susurro/client';
import { SqliteStorage } from '../src/storage/sqlite/index.ts';
import type { DeviceAddress, NewMessage } from '../src/storage/types.ts';

const quick = process.argv.includes('--quick');
const USERS = 100;
const BATCH = 20; // messages per group commit, about one event-loop turn at 5-10k msg/s
const PREFILL = quick ? 50_000 : 200_000;
const MEASURED = quick ? 20_000 : 60_000;
const ROUNDS = quick ? 1 : 3;

const random = (n: number) => new Uint8Array(randomBytes(n));
const ids = {
  'time-ordered': () => newMessageId(random, Date.now()),
  random: () => randomBytes(16).toString('hex'),
} as const;
type IdShape = keyof typeof ids;

async function setUp(): Promise<{ storage: SqliteStorage; devices: DeviceAddress[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'susurro-queue-bench-'));
  const storage = new SqliteStorage({ file: join(dir, 'queue.db'), synchronous: 'NORMAL' });
  const devices: DeviceAddress[] = [];
  for (let i = 0; i < USERS; i++) {
    const account = await storage.createAccount(`bench_${i}`, 'not-a-hash', 0);
    devices.push({
      accountId: account.accountId,
      deviceId: await storage.createDevice(account.accountId, 0, 1),
    });
  }
  return { storage, devices, dir };
}

/** Sends `count` messages in group commits of BATCH, each acked (deleted) in the next one. */
async function run(
  storage: SqliteStorage,
  devices: DeviceAddress[],
  shape: IdShape,
  count: number,
): Promise<number> {
  const body = new Uint8Array(randomBytes(256));
  let acks: Array<[DeviceAddress, string]> = [];
  const start = performance.now();
  for (let sent = 0; sent < count; sent += BATCH) {
    const writes: Array<Promise<unknown>> = acks.map(([to, id]) => storage.deleteMessage(to, id));
    const next: Array<[DeviceAddress, string]> = [];
    for (let j = 0; j < BATCH; j++) {
      const from = (sent + j) % USERS;
      const to = devices[(from + 1) % USERS]!;
      const message: NewMessage = {
        recipient: to,
        senderAccountId: devices[from]!.accountId,
        senderUsername: `bench_${from}`,
        senderDeviceId: 1,
        clientId: ids[shape](),
        body,
        createdAt: Date.now(),
      };
      writes.push(storage.enqueueMessage(message, 1000).then((r) => next.push([to, r.serverId])));
    }
    await Promise.all(writes);
    acks = next;
  }
  return ((performance.now() - start) * 1000) / count;
}

const results = new Map<IdShape, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order, so a shape is not always measured on a warmer machine.
  const shapes: IdShape[] =
    round % 2 === 0 ? ['random', 'time-ordered'] : ['time-ordered', 'random'];
  for (const shape of shapes) {
    const { storage, devices, dir } = await setUp();
    try {
      await run(storage, devices, shape, PREFILL);
      const us = await run(storage, devices, shape, MEASURED);
      results.set(shape, [...(results.get(shape) ?? []), us]);
      process.stderr.write(
        `round ${round + 1}/${ROUNDS} ${shape} ids: ${us.toFixed(1)} µs/message\n`,
      );
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const baseline = median(results.get('random')!);
console.log(
  `\nSQLite queue: enqueue + ack of a 256-byte message, ${BATCH} per commit, ${USERS} users, ` +
    `${PREFILL.toLocaleString('en')} messages in the dedupe window; median of ${ROUNDS}\n`,
);
console.log('| message ids | µs / message | speed vs random ids |');
console.log('| --- | --- | --- |');
for (const shape of ['random', 'time-ordered'] as const) {
  const us = median(results.get(shape)!);
  console.log(`| ${shape} | ${us.toFixed(1)} | ${(baseline / us).toFixed(2)}× |`);
}
