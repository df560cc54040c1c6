/**
 * Reads a V8 CPU profile of a server under `server-bench.ts` (BENCH_PROFILE=dir) phase by phase:
 * which seconds were busy, and where a window of seconds spent its time. Comparing a slow phase
 * with a normal one of the same run tells new work from the same work done slower (round 12).
 *
 *   node --import tsx packages/server/bench/profile-phases.ts PROFILE            # busy per second
 *   node --import tsx packages/server/bench/profile-phases.ts PROFILE FROM TO    # top self time
 *
 * FROM and TO are seconds since the profile started, as the first form prints them.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** One sample: seconds since the start, µs it stands for, and its function's label. */
interface Sample {
  readonly at: number;
  readonly us: number;
  readonly label: string;
}

const IDLE = '(idle)';

function samplesOf(profile: CpuProfile): Sample[] {
  const labels = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').pop() ?? '';
    labels.set(node.id, file === '' ? functionName : `${functionName} ${file}:${lineNumber}`);
  }
  const samples: Sample[] = [];
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    time += us;
    const label = labels.get(profile.samples[i]!) ?? '?';
    samples.push({ at: (time - profile.startTime) / 1e6, us, label });
  }
  return samples;
}

function busyPerSecond(samples: Sample[]): string[] {
  const seconds = new Map<number, { busy: number; all: number }>();
  for (const { at, us, label } of samples) {
    const second = Math.floor(at);
    const entry = seconds.get(second) ?? { busy: 0, all: 0 };
    entry.all += us;
    if (label !== IDLE) entry.busy += us;
    seconds.set(second, entry);
  }
  return [...seconds]
    .sort(([a], [b]) => a - b)
    .map(([second, { busy, all }]) => `${second}s ${((100 * busy) / all).toFixed(0)} %`);
}

function topSelfTime(samples: Sample[], from: number, to: number, count = 25): string[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const { at, us, label } of samples) {
    if (at < from || at >= to) continue;
    self.set(label, (self.get(label) ?? 0) + us);
    total += us;
  }
  return [...self]
    .sort(([, a], [, b]) => b - a)
    .slice(0, count)
    .map(
      ([label, us]) =>
        `${((100 * us) / total).toFixed(1).padStart(5)} % ${(us / 1000).toFixed(0).padStart(6)} ms  ${label}`,
    );
}

/** The profile in `file`, or a one-line reason it is not one (exit code 2). */
function readProfile(file: string): CpuProfile {
  let profile: Partial<CpuProfile>;
  try {
    profile = JSON.parse(readFileSync(file, 'utf8')) as Partial<CpuProfile>;
  } catch (e) {
    return fail(`cannot read ${file}: ${(e as Error).message}`);
  }
  const { nodes, samples, timeDeltas, startTime } = profile;
  if (
    !Array.isArray(nodes) ||
    !Array.isArray(samples) ||
    !Array.isArray(timeDeltas) ||
    typeof startTime !== 'number'
  ) {
    return fail(`${file} is not a V8 CPU profile (.cpuprofile)`);
  }
  return profile as CpuProfile;
}

function fail(reason: string): never {
  process.stderr.write(`profile-phases: ${reason}\n`);
  process.exit(2);
}

const [file, from, to] = process.argv.slice(2);
if (file === undefined || (from !== undefined && (to === undefined || !(+to > +from)))) {
  fail('usage: profile-phases.ts PROFILE [FROM_SECONDS TO_SECONDS]');
}
const samples = samplesOf(readProfile(file));
const lines = from === undefined ? busyPerSecond(samples) : topSelfTime(samples, +from, +to!);
process.stdout.write(`${lines.join('\n')}\n`);
