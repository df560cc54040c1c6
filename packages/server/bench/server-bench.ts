/**
 * Server load benchmark (issue 3, `make bench`): N authenticated WebSocket clients send
 * 256-byte envelopes through the full stack (ticket auth, durable SQLite queue with fsync
 * before each ack, recipient acks) and, in the same run, through a bare `ws` relay (no auth, no
 * storage). The server under test is pinned to core 0, this load generator to core 1.
 *
 * Both targets run as the container image runs the server: one esbuild bundle (no TypeScript
 * loader thread sharing the pinned core) under the chat service's V8 flags (node-flags.ts).
 * Before each measured phase both processes collect their garbage, so one phase's leftovers
 * (the saturation run leaves ~100 MB) do not land a full GC in the next one's window.
 *
 *   node --import tsx packages/server/bench/server-bench.ts
 *   BENCH_CLIENTS=100 BENCH_SECONDS=5 BENCH_IDLE=19000 … (defaults below)
 *   BENCH_TARGETS=full (one target alone, e.g. to profile); BENCH_PROFILE=dir (V8 CPU
 *   profile of each server); BENCH_SERVER_FLAGS="--trace-gc" (more node flags for the
 *   servers, whose stdout is then shown)
 *
 * Bounded: every phase runs for a fixed time, every wait has a timeout.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { bundleEntry } from '../../../scripts/bundle-entry.mjs';
import { SERVER_NODE_FLAGS } from '../src/node-flags.ts';
import {
  newStats,
  open,
  pool,
  register,
  sendFrame,
  socketUrl,
  type Stats,
  type Target,
  type TargetKind,
} from './load-clients.ts';

const N = Number(process.env.BENCH_CLIENTS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IDLE = Number(process.env.BENCH_IDLE ?? 19_000);
const RATES = (process.env.BENCH_RATES ?? '5000,10000').split(',').map(Number);
const WINDOW = 32; // outstanding messages per sender in the saturation run
const BODY = Buffer.alloc(256, 7).toString('base64');
const DEVICES_PER_ACCOUNT = 16; // MAX_DEVICES_PER_ACCOUNT

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pin(pid: number, core: number): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`(taskset unavailable: pid ${pid} not pinned)\n`);
  }
}

/** Asks the server to collect its garbage (SIGUSR2, see bench-server.ts), and waits for it. */
async function collect(pid: number): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  await sleep(500);
}

/** The young generation's resident bytes each server last reported (see bench-server.ts). */
const youngBytes = new Map<number, number>();

/**
 * Server RSS right after a full garbage collection, without the young generation: its size
 * follows the recent allocation rate, not the number of sockets (with 64 MiB semi-spaces it
 * grew by up to ~80 MB between two readings and tripled the relay's per-socket slope).
 */
async function rssKiB(pid: number): Promise<number> {
  await collect(pid);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return rss - Math.round((youngBytes.get(pid) ?? 0) / 1024);
}

/** CPU time (user + system, ms) the process has used so far, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 Hz on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Bundles bench-server.ts as scripts/bundle.mjs bundles the image's server, into dist/bench
 * (under the repository, so better-sqlite3 resolves from its node_modules).
 */
function bundleServer(): Promise<string> {
  return bundleEntry(
    fileURLToPath(new URL('./bench-server.ts', import.meta.url)),
    fileURLToPath(new URL('../../../dist/bench/bench-server.mjs', import.meta.url)),
  );
}

async function startTarget(
  kind: TargetKind,
  script: string,
): Promise<{ target: Target; child: ChildProcess }> {
  // BENCH_PROFILE=dir writes a V8 CPU profile of the server under test there.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const extra = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const node = [
    process.execPath,
    ...SERVER_NODE_FLAGS,
    '--expose-gc',
    ...profile,
    ...extra,
    script,
    kind,
  ];
  const child = spawn('taskset', ['-c', '0', ...node], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // A fixed mmap threshold returns big freed buffers (scrypt's, during logins) to the OS at
    // once; glibc's adaptive threshold would keep them resident and blur the RSS readings.
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /READY (\S+)/.exec(chunk.toString());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
      for (const young of chunk.toString().matchAll(/YOUNG (\d+)/g))
        youngBytes.set(child.pid!, Number(young[1]));
      if (extra.length > 0) process.stderr.write(chunk);
    });
  });
  return { target: { kind, url }, child };
}

async function waitDrained(stats: Stats, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (stats.outstanding.some((o) => o > 0) && Date.now() < deadline) await sleep(20);
}

/**
 * Every sender keeps WINDOW messages in flight. Returns delivered msg/s and the server's CPU
 * time per delivered message, which other load on a shared machine disturbs much less.
 */
async function saturate(clients: WebSocket[], target: Target, stats: Stats, pid: number) {
  let seq = 0;
  let running = true;
  const send = (i: number) => {
    stats.outstanding[i]!++;
    clients[i]!.send(sendFrame(target, N, i, seq++, performance.now(), BODY));
  };
  stats.onDelivered = (i) => {
    if (running) send(i);
  };
  for (let i = 0; i < N; i++) for (let w = 0; w < WINDOW; w++) send(i);
  await sleep(1000); // warm-up
  const start = stats.delivered;
  const t0 = performance.now();
  const cpu0 = cpuMs(pid);
  await sleep(SECONDS * 1000);
  const delivered = stats.delivered - start;
  const rate = (delivered * 1000) / (performance.now() - t0);
  const cpuPerMessageUs = ((cpuMs(pid) - cpu0) * 1000) / Math.max(1, delivered);
  running = false;
  stats.onDelivered = () => undefined;
  await waitDrained(stats);
  return { rate, cpuPerMessageUs };
}

/** Sends at a fixed aggregate rate; latency counted from each message's scheduled time. */
async function fixedRate(clients: WebSocket[], target: Target, stats: Stats, rate: number) {
  let seq = 0;
  let scheduled = 0;
  const t0 = performance.now();
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    for (; scheduled < due; scheduled++) {
      const i = scheduled % N;
      stats.outstanding[i]!++;
      clients[i]!.send(sendFrame(target, N, i, seq++, t0 + (scheduled * 1000) / rate, BODY));
    }
  }, 1);
  await sleep(1000);
  stats.latencies = [];
  stats.recording = true;
  await sleep(SECONDS * 1000);
  stats.recording = false;
  clearInterval(tick);
  await waitDrained(stats);
  const sorted = stats.latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), samples: sorted.length };
}

/** Opens `count` idle sockets (full: authenticated devices), numbered from `first`. */
async function openIdle(target: Target, first: number, count: number) {
  const accounts = Math.ceil(count / DEVICES_PER_ACCOUNT);
  const base = Math.ceil(first / DEVICES_PER_ACCOUNT);
  await pool(accounts, 8, (a) => register(target, `idle_${base + a}`));
  const sockets: WebSocket[] = [];
  let failures = 0;
  await pool(count, 32, async (i) => {
    try {
      const account = `idle_${base + Math.floor(i / DEVICES_PER_ACCOUNT)}`;
      sockets.push(await open(target, await socketUrl(target, N + first + i, account), undefined));
    } catch {
      failures++;
    }
  });
  return { sockets, failures };
}

/**
 * Server RSS per idle connection, as a slope: RSS after a first half of the sockets and after
 * the second half, both read right after the same kind of work (logins, upgrades), so the
 * garbage and allocator pools of that work cancel out and only what the sockets hold remains.
 */
async function idleCost(target: Target, pid: number, count: number) {
  const half = Math.ceil(count / 2);
  const first = await openIdle(target, 0, half);
  const middle = await rssKiB(pid);
  const second = await openIdle(target, half, half);
  const end = await rssKiB(pid);
  process.stderr.write(
    `${target.kind}: RSS (young generation excluded) ${middle} KiB at ${half} idle sockets, ${end} KiB at ${count}\n`,
  );
  for (const ws of [...first.sockets, ...second.sockets]) ws.terminate();
  return {
    perConnectionKiB: (end - middle) / Math.max(1, second.sockets.length),
    opened: first.sockets.length + second.sockets.length,
    failures: first.failures + second.failures,
  };
}

async function measure(kind: TargetKind, script: string) {
  const { target, child } = await startTarget(kind, script);
  const pid = child.pid!;
  try {
    const stats = newStats(N);
    await pool(N, 8, (i) => register(target, `bench_${i}`));
    const clients = new Array<WebSocket>(N);
    await pool(N, 16, async (i) => {
      clients[i] = await open(target, await socketUrl(target, i, `bench_${i}`), stats);
    });
    await collect(pid);
    const { rate: saturated, cpuPerMessageUs } = await saturate(clients, target, stats, pid);
    const fixed = [];
    for (const rate of RATES) {
      await collect(pid);
      fixed.push({ rate, ...(await fixedRate(clients, target, stats, rate)) });
    }
    const idle = await idleCost(target, pid, IDLE);
    for (const ws of clients) ws.terminate();
    return { kind, saturated, cpuPerMessageUs, fixed, idle, errors: stats.errors };
  } finally {
    // SIGINT lets a profiling child write its profile; SIGKILL if it lingers.
    child.kill('SIGINT');
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 5000);
      child.once('exit', () => resolve(clearTimeout(timer)));
    });
    child.kill('SIGKILL');
  }
}

pin(process.pid, 1);
const script = await bundleServer();
const results = [];
const kinds = (process.env.BENCH_TARGETS ?? 'relay,full').split(',');
if (kinds.some((k) => k !== 'relay' && k !== 'full')) {
  process.stderr.write(
    `BENCH_TARGETS: a comma-separated list of relay, full (got ${kinds.join(',')})\n`,
  );
  process.exit(2);
}
for (const kind of kinds) {
  process.stderr.write(`measuring ${kind}…\n`);
  results.push(await measure(kind as TargetKind, script));
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : 'n/a');
const header = [
  'target',
  'saturated msg/s',
  'server CPU / msg',
  ...RATES.flatMap((r) => [`p50 @${r / 1000}k/s`, `p99 @${r / 1000}k/s`]),
  'RSS / idle conn',
];
const rows = results.map((r) => [
  r.kind === 'full' ? 'full stack (auth + fsync + ack)' : 'bare ws relay',
  Math.round(r.saturated).toLocaleString('en-US'),
  `${r.cpuPerMessageUs.toFixed(0)} µs`,
  ...r.fixed.flatMap((f) => [ms(f.p50), ms(f.p99)]),
  `${r.idle.perConnectionKiB.toFixed(1)} KiB (${r.idle.opened} conns)`,
]);
const table = [header, header.map(() => '---'), ...rows]
  .map((cells) => `| ${cells.join(' | ')} |`)
  .join('\n');
process.stdout.write(
  `\n${N} clients, 256-byte envelopes, ${SECONDS} s per phase, server on core 0, load on core 1\n\n${table}\n\n`,
);
const relay = results.find((r) => r.kind === 'relay');
const full = results.find((r) => r.kind === 'full');
if (relay && full) {
  process.stdout.write(
    `full/relay: throughput ${((100 * full.saturated) / relay.saturated).toFixed(0)} % (target ≥ 50 %), ` +
      `RSS per idle connection ${(full.idle.perConnectionKiB / relay.idle.perConnectionKiB).toFixed(2)}× (target ≤ 2×), ` +
      RATES.map(
        (r, i) =>
          `p99 @${r / 1000}k ${((full.fixed[i]?.p99 ?? NaN) / (relay.fixed[i]?.p99 ?? NaN)).toFixed(2)}×`,
      ).join(', ') +
      ` (target ≤ 2×); errors: relay ${relay.errors}, full ${full.errors}; idle failures: ${full.idle.failures}\n`,
  );
}
