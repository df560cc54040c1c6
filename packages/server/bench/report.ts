/** The table and the verdict lines `make bench` prints for the server load benchmark. */
import { quantile } from './latencies.ts';
import type { TargetKind } from './load-clients.ts';

/** One target's measurements (server-bench.ts). */
export interface TargetResult {
  readonly kind: TargetKind;
  readonly saturated: number;
  readonly cpuPerMessageUs: number;
  readonly fixed: ReadonlyArray<{
    readonly rate: number;
    readonly p50: number;
    readonly p99: number;
    readonly busy: number;
    readonly loadDelayP99: number;
  }>;
  readonly idle: {
    /** Judged: RSS slope without the V8 heap's free space (server-process.ts, memoryKiB). */
    readonly perConnectionKiB: number;
    /** RSS slope without the young generation only. */
    readonly withSlackKiB: number;
    readonly opened: number;
    readonly failures: number;
  };
  readonly errors: number;
}

/** What one fixed-rate phase measured (server-bench.ts, fixedRate). */
export interface PhaseReading {
  readonly latencies: Float64Array;
  /** Shares of a core: the server's, this load generator's, and each core's steal time. */
  readonly busy: number;
  readonly loadBusy: number;
  readonly steal: readonly number[];
  /** Major page faults: the server's, then the load generator's. */
  readonly faults: readonly number[];
  /** ms: the server's event loop held up at worst; the load generator's timers late. */
  readonly serverLoopMax: number;
  readonly loadDelayP99: number;
  readonly loadDelayMax: number;
}

/** The log line of one fixed-rate phase: its latencies and where its time went. */
export function phaseLine(label: string, phase: PhaseReading): string {
  const sorted = phase.latencies.slice().sort();
  const pct = (share: number, digits = 0) => `${(100 * share).toFixed(digits)} %`;
  return (
    `${label}: p50 ${quantile(sorted, 0.5).toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms, ` +
    `server busy ${pct(phase.busy)}, server loop held up ≤ ${phase.serverLoopMax.toFixed(0)} ms, ` +
    `load generator busy ${pct(phase.loadBusy)}, timer lag p99 ${phase.loadDelayP99.toFixed(1)} ms ` +
    `(max ${phase.loadDelayMax.toFixed(0)} ms), steal ${phase.steal.map((s) => pct(s, 1)).join(' / ')}, ` +
    `major page faults ${phase.faults.join(' / ')} (server / load generator)\n`
  );
}

export interface ReportSettings {
  readonly clients: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly rates: readonly number[];
}

/** Writes the results table and the full stack / relay verdicts to stdout. */
export function report(results: readonly TargetResult[], settings: ReportSettings): void {
  const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : 'n/a');
  const header = [
    'target',
    'saturated msg/s',
    'server CPU / msg',
    ...settings.rates.flatMap((r) => [
      `p50 @${r / 1000}k/s`,
      `p99 @${r / 1000}k/s`,
      `server busy @${r / 1000}k/s`,
    ]),
    'RSS / idle conn (heap slack excluded)',
  ];
  const rows = results.map((r) => [
    r.kind === 'full' ? 'full stack (auth + fsync + ack)' : 'bare ws relay',
    Math.round(r.saturated).toLocaleString('en-US'),
    `${r.cpuPerMessageUs.toFixed(0)} µs`,
    ...r.fixed.flatMap((f) => [ms(f.p50), ms(f.p99), `${(100 * f.busy).toFixed(0)} %`]),
    `${r.idle.perConnectionKiB.toFixed(1)} KiB (${r.idle.opened} conns)`,
  ]);
  const table = [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n');
  process.stdout.write(
    `\n${settings.clients} clients, 256-byte envelopes, server on core 0, load on core 1; fixed rates: ` +
      `${settings.rounds} alternating rounds of ${settings.seconds} s per target, latencies pooled\n\n${table}\n\n`,
  );
  const lag = results
    .map((r) => `${r.kind} ${Math.max(...r.fixed.map((f) => f.loadDelayP99)).toFixed(1)} ms`)
    .join(', ');
  process.stdout.write(`load-generator timer lag p99 (worst phase): ${lag}\n`);
  // Each fixed rate as a share of the target's own saturated throughput: how close to its
  // capacity a target ran there. A target near 100 % queues, and its p99 measures that queue.
  const shares = results
    .map(
      (r) =>
        `${r.kind} ${settings.rates.map((rate) => `${((100 * rate) / r.saturated).toFixed(0)} % @${rate / 1000}k`).join(', ')}`,
    )
    .join('; ');
  process.stdout.write(`fixed rate / saturated throughput: ${shares}\n`);
  const relay = results.find((r) => r.kind === 'relay');
  const full = results.find((r) => r.kind === 'full');
  if (relay === undefined || full === undefined) return;
  const times = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const p99s = settings.rates.map(
    (rate, i) =>
      `p99 @${rate / 1000}k ${times(full.fixed[i]?.p99 ?? NaN, relay.fixed[i]?.p99 ?? NaN)}`,
  );
  process.stdout.write(
    `full/relay: throughput ${((100 * full.saturated) / relay.saturated).toFixed(0)} % (target ≥ 50 %), ` +
      `RSS per idle connection ${times(full.idle.perConnectionKiB, relay.idle.perConnectionKiB)} ` +
      `(target ≤ 2×; counting the heap's free old-generation space too ` +
      `${full.idle.withSlackKiB.toFixed(1)} / ${relay.idle.withSlackKiB.toFixed(1)} KiB, ` +
      `${times(full.idle.withSlackKiB, relay.idle.withSlackKiB)}), ${p99s.join(', ')} (target ≤ 2×); ` +
      `errors: relay ${relay.errors}, full ${full.errors}; idle failures: ${full.idle.failures}\n`,
  );
}
