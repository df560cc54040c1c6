/**
 * The server processes of the load benchmark (server-bench.ts): bundling, starting pinned to a
 * core, asking for a GC, and reading their RSS and CPU time from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from '../../../scripts/bundle-entry.mjs';
import { SERVER_NODE_FLAGS } from '../src/node-flags.ts';
import type { Target, TargetKind } from './load-clients.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function pin(pid: number, core: number): void {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`(taskset unavailable: pid ${pid} not pinned)\n`);
  }
}

/** Asks the server to collect its garbage (SIGUSR2, see bench-server.ts), and waits for it. */
export async function collect(pid: number): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  await sleep(500);
}

/** Who waits for each server's next LOOPMAX report (see loopMaxMs). */
const loopMaxWaiters = new Map<number, (ms: number) => void>();

/**
 * The longest the server's event loop was held up since its previous report (ms, to ~10 ms),
 * reported on SIGUSR2 (see bench-server.ts), which also collects its garbage. NaN if no report
 * comes within 2 s.
 */
export function loopMaxMs(pid: number): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      loopMaxWaiters.delete(pid);
      resolve(NaN);
    }, 2000);
    loopMaxWaiters.set(pid, (ms) => {
      clearTimeout(timer);
      resolve(ms);
    });
    process.kill(pid, 'SIGUSR2');
  });
}

/** The young generation's resident bytes each server last reported (see bench-server.ts). */
const youngBytes = new Map<number, number>();
/** The V8 heap's committed but unused bytes each server last reported. */
const freeHeapBytes = new Map<number, number>();

/**
 * Server RSS right after a full garbage collection, read two ways (KiB):
 * - `live` (the judged reading): without the V8 heap's committed but unused space, young and
 *   old generation alike, i.e. the live heap plus everything outside V8's heap (sockets,
 *   buffers, native objects). How much free space V8 keeps committed follows its sizing
 *   heuristics and the allocation burst of opening the sockets, not the number of sockets:
 *   between the two readings of one run the young generation alone moved by up to 29 MB (up
 *   to 3 KiB per socket of noise), and the relay's slope read 2.7–3.9 KiB from run to run the
 *   other way. This way the relay reads 3.4–3.5 KiB run after run, next to the
 *   3.5–3.9 KiB the issue measured for a bare relay (packages/server/README.md, round 8).
 * - `rss`: without the young generation only (the judged reading until round 8).
 */
export async function memoryKiB(pid: number): Promise<{ rss: number; live: number }> {
  await collect(pid);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return {
    rss: rss - Math.round((youngBytes.get(pid) ?? 0) / 1024),
    live: rss - Math.round((freeHeapBytes.get(pid) ?? 0) / 1024),
  };
}

/** Fields 3 on of /proc/PID/stat (after the command name): field N is at index N - 3. */
function statFields(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
}

/** CPU time (user + system, ms) the process has used so far, from /proc. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 Hz on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Major page faults of the process so far (field 12): pages it had to wait for the disk to
 * read back, e.g. code or file pages that the kernel's reclaim had dropped.
 */
export function majorFaults(pid: number): number {
  return Number(statFields(pid)[9]);
}

/**
 * Time (ms) the hypervisor ran something else while `core` wanted to run: the steal column of
 * /proc/stat, in clock ticks (100 Hz). 0 where the kernel does not account for it.
 */
export function stealMs(core: number, stat = readFileSync('/proc/stat', 'utf8')): number {
  const line = stat.split('\n').find((l) => l.startsWith(`cpu${core} `));
  return Number(line?.trim().split(/\s+/)[8] ?? 0) * 10;
}

/**
 * Bundles bench-server.ts as scripts/bundle.mjs bundles the image's server, into dist/bench
 * (under the repository, so better-sqlite3 resolves from its node_modules).
 */
export function bundleServer(): Promise<string> {
  return bundleEntry(
    fileURLToPath(new URL('./bench-server.ts', import.meta.url)),
    fileURLToPath(new URL('../../../dist/bench/bench-server.mjs', import.meta.url)),
  );
}

/**
 * Starts bench-server.ts as `kind`, pinned to core 0 with the chat service's V8 flags;
 * resolves once it prints its URL.
 */
export async function startServer(
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
      for (const free of chunk.toString().matchAll(/HEAPFREE (\d+)/g))
        freeHeapBytes.set(child.pid!, Number(free[1]));
      for (const loop of chunk.toString().matchAll(/LOOPMAX ([0-9.]+)/g)) {
        loopMaxWaiters.get(child.pid!)?.(Number(loop[1]));
        loopMaxWaiters.delete(child.pid!);
      }
      if (extra.length > 0) process.stderr.write(chunk);
    });
  });
  return { target: { kind, url }, child };
}

/**
 * Stops a server: SIGINT lets a profiling child write its profile (and the full server remove
 * its data directory); SIGKILL if it lingers.
 */
export async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGINT');
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    child.once('exit', () => resolve(clearTimeout(timer)));
  });
  child.kill('SIGKILL');
}
