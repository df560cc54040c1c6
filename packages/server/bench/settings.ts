/**
 * The server load benchmark's settings (server-bench.ts), from the environment with their
 * defaults. Read when imported, before anything starts: a bad value exits 2 naming its
 * variable.
 */
import type { TargetKind } from './load-clients.ts';

/** A whole-number knob from the environment, at least `min`; a clear exit 2 otherwise. */
function knob(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`${name}: a whole number ≥ ${min} (got ${text})\n`);
    process.exit(2);
  }
  return value;
}

export const N = knob('BENCH_CLIENTS', 100, 2);
export const SECONDS = knob('BENCH_SECONDS', 5, 1);
export const IDLE = knob('BENCH_IDLE', 19_000, 0);
export const RATES = (process.env.BENCH_RATES ?? '5000,10000').split(',').map(Number);
if (RATES.some((rate) => !Number.isInteger(rate) || rate < 1)) {
  process.stderr.write(
    `BENCH_RATES: comma-separated whole msg/s ≥ 1 (got ${process.env.BENCH_RATES})\n`,
  );
  process.exit(2);
}
export const ROUNDS = knob('BENCH_ROUNDS', 3, 1);
/**
 * Saturation runs this many times per target, alternating them (ABBA), and the best is kept
 * (with the CPU per message of that run). The host's slow spells only ever lower a reading:
 * one that fell on a single saturation window read the full stack at 12.0k msg/s, against
 * 15.8k–26.1k in the other runs of that morning (packages/server/README.md, round 13).
 */
export const SATURATION_ROUNDS = knob('BENCH_SATURATION_ROUNDS', 2, 1);
const kinds = (process.env.BENCH_TARGETS ?? 'relay,full').split(',');
if (kinds.some((k) => k !== 'relay' && k !== 'full') || new Set(kinds).size !== kinds.length) {
  process.stderr.write(
    `BENCH_TARGETS: a comma-separated list of relay, full, each at most once (got ${kinds.join(',')})\n`,
  );
  process.exit(2);
}
/** The targets to measure, in this order. */
export const TARGETS = kinds as TargetKind[];
