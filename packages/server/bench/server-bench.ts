/**
 * Server load benchmark (issue 3, `make bench`): N authenticated WebSocket clients send
 * 256-byte envelopes through the full stack (ticket auth, durable SQLite queue with fsync
 * before each ack, recipient acks) and, in the same run, through a bare `ws` relay (no auth, no
 * storage). The server under test is pinned to core 0, this load generator to core 1.
 *
 * Both targets run as the container image runs the server: one esbuild bundle (no TypeScript
 * loader thread sharing the pinned core) under the chat service's V8 flags (node-flags.ts).
 * The load generator runs under the same flags and collects its own garbage before each phase
 * (it re-executes itself with them), so its pauses stay out of the latencies it measures.
 * Both run for the whole benchmark, so their fixed-rate phases can alternate (see
 * measureLoad); a target that is not being measured is idle. Before each measured phase the
 * server collects its garbage, so one phase's leftovers (the saturation run leaves ~100 MB) do
 * not land a full GC in the next one's window.
 *
 *   node --import tsx packages/server/bench/server-bench.ts
 *   BENCH_CLIENTS=100 BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_SATURATION_ROUNDS=2 BENCH_IDLE=19000
 *   … (defaults and checks in settings.ts)
 *   BENCH_TARGETS=full (one target alone, e.g. to profile); BENCH_PROFILE=dir (V8 CPU
 *   profile of each server); BENCH_SERVER_FLAGS="--trace-gc" (more node flags for the
 *   servers, whose stdout is then shown)
 *
 * Bounded: every phase runs for a fixed time, every wait has a timeout.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
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
import { concat, LatencyLog, quantile } from './latencies.ts';
import { phaseLine, report, type PhaseReading } from './report.ts';
import { IDLE, N, RATES, ROUNDS, SATURATION_ROUNDS, SECONDS, TARGETS } from './settings.ts';
import { SERVER_NODE_FLAGS } from '../src/node-flags.ts';
import {
  bundleServer,
  collect,
  cpuMs,
  loopMaxMs,
  majorFaults,
  pin,
  memoryKiB,
  stealMs,
  sleep,
  startServer,
  stopServer,
} from './server-process.ts';

const WINDOW = 32; // outstanding messages per sender in the saturation run
const BODY = Buffer.alloc(256, 7).toString('base64');
const DEVICES_PER_ACCOUNT = 16; // MAX_DEVICES_PER_ACCOUNT

/** Collects the load generator's own garbage before a phase (run with --expose-gc, see below). */
function collectOwn(): void {
  (globalThis as { gc?: () => void }).gc?.();
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
  collectOwn();
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

/**
 * Sends at a fixed aggregate rate for SECONDS (after a second of warm-up). Returns every
 * latency (ms, counted from each message's scheduled time), the share of its core the server
 * used, and what tells where a slow phase's time went: how long the server's event loop was
 * held up at worst, how busy this load generator was and how late its own timers ran (p99 and
 * worst: if it lags, latencies are its), the hypervisor's steal time on each core, and the
 * major page faults of both processes (each one a wait for the disk). A latency spike that
 * neither event loop shows happened between them (kernel, network, host).
 */
async function fixedRate(target: Running, rate: number): Promise<PhaseReading> {
  const { clients, stats, pid } = target;
  collectOwn();
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
  stats.latencies = new LatencyLog(Math.ceil(rate * SECONDS * 1.2) + 1024);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpu0 = cpuMs(pid);
  const own0 = process.cpuUsage();
  const steal0 = [stealMs(0), stealMs(1)];
  const faults0 = [majorFaults(pid), process.resourceUsage().majorPageFault];
  const wall0 = performance.now();
  stats.recording = true;
  await sleep(SECONDS * 1000);
  stats.recording = false;
  const wall = performance.now() - wall0;
  const busy = (cpuMs(pid) - cpu0) / wall;
  const own = process.cpuUsage(own0);
  const loadBusy = (own.user + own.system) / 1000 / wall;
  const steal = [stealMs(0) - steal0[0]!, stealMs(1) - steal0[1]!].map((ms) => ms / wall);
  const faults = [
    majorFaults(pid) - faults0[0]!,
    process.resourceUsage().majorPageFault - faults0[1]!,
  ];
  loopDelay.disable();
  clearInterval(tick);
  // Since the collection before the phase: its warm-up, its measured seconds, not the drain.
  const serverLoopMax = await loopMaxMs(pid);
  await waitDrained(stats);
  const latencies = stats.latencies.values();
  stats.latencies = new LatencyLog();
  return {
    latencies,
    busy,
    loadBusy,
    steal,
    faults,
    serverLoopMax,
    loadDelayP99: loopDelay.percentile(99) / 1e6,
    loadDelayMax: loopDelay.max / 1e6,
  };
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
 * The judged reading leaves out the V8 heap's committed but unused space (see memoryKiB);
 * the reading that leaves out only the young generation is logged beside it.
 */
async function idleCost(target: Target, pid: number, count: number) {
  const half = Math.ceil(count / 2);
  const first = await openIdle(target, 0, half);
  const middle = await memoryKiB(pid);
  const second = await openIdle(target, half, half);
  const end = await memoryKiB(pid);
  const per = (kib: number) => kib / Math.max(1, second.sockets.length);
  const perConnectionKiB = per(end.live - middle.live);
  const withSlackKiB = per(end.rss - middle.rss);
  process.stderr.write(
    `${target.kind}: RSS without the heap's free space ${middle.live} KiB at ${half} idle ` +
      `sockets, ${end.live} KiB at ${count}: ${perConnectionKiB.toFixed(1)} KiB per connection; ` +
      `without the young generation only ${middle.rss} / ${end.rss} KiB, ` +
      `${withSlackKiB.toFixed(1)} KiB per connection\n`,
  );
  for (const ws of [...first.sockets, ...second.sockets]) ws.terminate();
  return {
    perConnectionKiB,
    withSlackKiB,
    opened: first.sockets.length + second.sockets.length,
    failures: first.failures + second.failures,
  };
}

interface Running extends Target {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stats: Stats;
  readonly clients: WebSocket[];
}

/** Starts a target pinned to core 0, with N registered clients connected. */
async function start(kind: TargetKind, script: string): Promise<Running> {
  const { target, child } = await startServer(kind, script);
  const stats = newStats(N);
  await pool(N, 8, (i) => register(target, `bench_${i}`));
  const clients = new Array<WebSocket>(N);
  await pool(N, 16, async (i) => {
    clients[i] = await open(target, await socketUrl(target, i, `bench_${i}`), stats);
  });
  return { ...target, child, pid: child.pid!, stats, clients };
}

async function stop(target: Running): Promise<void> {
  for (const ws of target.clients) ws.terminate();
  await stopServer(target.child);
}

/**
 * Everything but the idle-socket phase, for all targets. The fixed-rate phases run in ROUNDS
 * rounds that alternate the targets (ABBA…), each target's latencies pooled over its rounds:
 * this machine's hiccups (a few ms of host steal, now and then tens) come and go over
 * minutes, and back-to-back phases compare like with like where whole runs one after the
 * other did not.
 */
async function measureLoad(targets: Running[]) {
  const results = new Map<
    Running,
    {
      saturated: number;
      cpuPerMessageUs: number;
      fixed: Map<number, { latencies: Float64Array[]; busy: number[]; loadDelayP99: number[] }>;
    }
  >();
  for (let round = 0; round < SATURATION_ROUNDS; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      await collect(target.pid);
      const { rate, cpuPerMessageUs } = await saturate(
        target.clients,
        target,
        target.stats,
        target.pid,
      );
      process.stderr.write(
        `saturation ${round + 1}/${SATURATION_ROUNDS} ${target.kind}: ` +
          `${Math.round(rate).toLocaleString('en-US')} msg/s, ${cpuPerMessageUs.toFixed(0)} µs/msg\n`,
      );
      const best = results.get(target);
      if (best === undefined || rate > best.saturated) {
        results.set(target, { saturated: rate, cpuPerMessageUs, fixed: new Map() });
      }
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const rate of RATES) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        await collect(target.pid);
        const phase = await fixedRate(target, rate);
        const fixed = results.get(target)!.fixed;
        const pooled = fixed.get(rate) ?? { latencies: [], busy: [], loadDelayP99: [] };
        pooled.latencies.push(phase.latencies);
        pooled.busy.push(phase.busy);
        pooled.loadDelayP99.push(phase.loadDelayP99);
        fixed.set(rate, pooled);
        process.stderr.write(
          phaseLine(`round ${round + 1}/${ROUNDS} ${target.kind} @${rate}/s`, phase),
        );
      }
    }
  }
  return targets.map((target) => {
    const r = results.get(target)!;
    const fixed = RATES.map((rate) => {
      const pooled = r.fixed.get(rate)!;
      const sorted = concat(pooled.latencies).sort();
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return {
        rate,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        busy: mean(pooled.busy),
        loadDelayP99: Math.max(...pooled.loadDelayP99),
      };
    });
    return { kind: target.kind, saturated: r.saturated, cpuPerMessageUs: r.cpuPerMessageUs, fixed };
  });
}

// The load generator runs under the servers' V8 flags and collects its own garbage before each
// phase. With Node's defaults its own pauses (scavenges of 5-9 ms, now and then a mark-compact
// as its latency arrays grew) landed in the measured phases and set their p99 about as often as
// the server under test did (packages/server/README.md, round 7).
if (!process.execArgv.includes('--expose-gc')) {
  const flags = [...SERVER_NODE_FLAGS, '--expose-gc', ...process.execArgv];
  const run = spawnSync(process.execPath, [...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}
pin(process.pid, 1);
const script = await bundleServer();
const running: Running[] = [];
for (const kind of TARGETS) running.push(await start(kind, script));
const load = await measureLoad(running);
for (const target of running) await stop(target);
const results = [];
for (const [i, loaded] of running.entries()) {
  // One at a time, alone: RSS is read per process, but opening 19k sockets is busy work. In a
  // fresh process: after the load phases the heap has free room that new sockets fill without
  // growing RSS, by an amount that changed from run to run (the relay's slope read 1.5-3.4 KiB).
  process.stderr.write(`idle sockets: ${loaded.kind} (fresh process)…\n`);
  const fresh = await start(loaded.kind, script);
  const idle = await idleCost(fresh, fresh.pid, IDLE);
  await stop(fresh);
  results.push({ ...load[i]!, idle, errors: loaded.stats.errors });
}

report(results, { clients: N, rounds: ROUNDS, seconds: SECONDS, rates: RATES });
