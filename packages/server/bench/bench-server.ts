/**
 * The process under test, started by server-bench.ts pinned to one core:
 *   node --import tsx bench-server.ts full|relay
 * `full` is the real server (same code as `make run`) with bench-only settings: cheap password
 * hashing (login speed is not what is measured), no rate limits, a fresh temp data dir, and
 * SQLITE_SYNCHRONOUS as given (default FULL: every message fsynced before its ack).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { DEFAULT_CONFIG, createLogger, startServer } from '../src/index.ts';
import { startBareRelay } from './bare-relay.ts';

const UNLIMITED = { burst: 1e9, perSecond: 1e9 };
const mode = process.argv[2];

// How late a 10 ms timer ran at worst since the last SIGUSR2: a phase whose p99 shows a pause
// of that size had it on the server's event loop (on its core or off it); one whose p99 shows a
// pause this does not had it elsewhere (network, load generator). Ten wakeups a second cost
// nothing measurable; a 1 ms resolution would add a thousand to the pinned core.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

// SIGUSR2: collect garbage now (run with --expose-gc), so RSS readings compare like with like,
// and report the young generation's resident bytes: with 64 MiB semi-spaces (node-flags.ts) it
// can grow between two RSS readings and would count as memory per connection if not taken out.
process.on('SIGUSR2', () => {
  const loopMaxMs = loopDelay.max / 1e6;
  (globalThis as { gc?: () => void }).gc?.();
  const young = getHeapSpaceStatistics()
    .filter(
      (space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space',
    )
    .reduce((sum, space) => sum + space.physical_space_size, 0);
  // And the heap's committed but free bytes (young and old): the judged reading leaves them out.
  const heap = getHeapStatistics();
  process.stdout.write(
    `YOUNG ${young}\nHEAPFREE ${heap.total_physical_size - heap.used_heap_size}\n` +
      `LOOPMAX ${loopMaxMs.toFixed(1)}\n`,
  );
  // Once this collection's own pause has been timed: it is not the next phase's.
  setTimeout(() => loopDelay.reset(), 50).unref();
});

if (mode === 'relay') {
  const { url } = await startBareRelay(0);
  process.stdout.write(`READY ${url}\n`);
  process.once('SIGINT', () => process.exit(0));
} else if (mode === 'full') {
  const dataDir = mkdtempSync(join(tmpdir(), 'susurro-bench-'));
  const server = await startServer(
    {
      ...DEFAULT_CONFIG,
      port: 0,
      dataDir,
      logLevel: 'warn',
      scryptLog2N: 10,
      sqliteSynchronous: process.env.SQLITE_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL',
      rateLimits: {
        loginPerIp: UNLIMITED,
        loginPerUsername: UNLIMITED,
        registerPerIp: UNLIMITED,
        bundleFetchPerAccount: UNLIMITED,
        sendPerDevice: UNLIMITED,
      },
    },
    { log: createLogger('warn') },
  );
  process.stdout.write(`READY ${server.url}\n`);
  // A run leaves tens of MB of queue and dedupe rows: gone with the process.
  process.once('SIGINT', () => {
    void server.close().finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
} else {
  process.stderr.write('usage: bench-server.ts full|relay\n');
  process.exit(2);
}
