import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stealMs } from '../bench/server-process.ts';

const TOOL = new URL('../bench/profile-phases.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'susurro-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', TOOL, ...args], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Two seconds of samples, 100 ms apart: the first second a quarter idle, `send` and `commit`
 * sharing the rest; the second all idle.
 */
function writeProfile(): string {
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 3 });
  const nodes = [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('send', 'file:///srv/bench-server.mjs') },
    { id: 4, callFrame: frame('commit', 'file:///srv/bench-server.mjs') },
  ];
  const first = [2, 2, 3, 3, 3, 3, 3, 4, 4, 4]; // 10 samples: idle 0.2 s (first delta is 0)
  const samples = [...first, ...new Array<number>(10).fill(2)];
  const timeDeltas = samples.map((_, i) => (i === 0 ? 0 : 100_000));
  const file = join(dir, 'server.cpuprofile');
  writeFileSync(file, JSON.stringify({ nodes, startTime: 5_000_000, samples, timeDeltas }));
  return file;
}

describe('bench/profile-phases.ts', () => {
  const profile = writeProfile();

  it('prints how busy each second was', () => {
    const { status, stdout } = run(profile);
    expect(status).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(['0s 89 %', '1s 0 %']);
  });

  it('ranks self time within a window of seconds', () => {
    const { status, stdout } = run(profile, '0', '1');
    expect(status).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      ' 55.6 %    500 ms  send bench-server.mjs:3',
      ' 33.3 %    300 ms  commit bench-server.mjs:3',
      ' 11.1 %    100 ms  (idle)',
    ]);
  });

  it('answers bad arguments and files with a one-line reason and exit code 2', () => {
    const bare = run();
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^profile-phases: usage: /);
    expect(run(profile, '3', '1').status).toBe(2);
    const missing = run(join(dir, 'missing.cpuprofile'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^profile-phases: cannot read .*missing\.cpuprofile: ENOENT/);
    const notProfile = join(dir, 'other.json');
    writeFileSync(notProfile, '{"nodes": 1}');
    const wrong = run(notProfile);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toBe(
      `profile-phases: ${notProfile} is not a V8 CPU profile (.cpuprofile)\n`,
    );
  });
});

describe('bench/server-process.ts stealMs', () => {
  it("reads a core's steal ticks from /proc/stat as ms", () => {
    const stat = [
      'cpu  95030 0 32727 116669 1319 0 8361 2768 0 0',
      'cpu0 56941 0 16062 50868 371 0 3208 1320 0 0',
      'cpu1 38088 0 16665 65801 947 0 5153 1448 0 0',
      'intr 1 2 3',
    ].join('\n');
    expect(stealMs(0, stat)).toBe(13_200);
    expect(stealMs(1, stat)).toBe(14_480);
    expect(stealMs(2, stat)).toBe(0); // no such core
  });

  it('reads this machine', () => {
    const first = stealMs(0);
    expect(Number.isFinite(first)).toBe(true);
    expect(stealMs(0)).toBeGreaterThanOrEqual(first);
  });
});

describe('bench/server-bench.ts knobs', () => {
  const BENCH = new URL('../bench/server-bench.ts', import.meta.url).pathname;
  const bench = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', BENCH], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it('refuses a bad knob with its name, before starting anything', () => {
    for (const [name, value, rule] of [
      ['BENCH_SATURATION_ROUNDS', '0', 'a whole number ≥ 1'],
      ['BENCH_CLIENTS', '1.5', 'a whole number ≥ 2'],
      ['BENCH_IDLE', 'lots', 'a whole number ≥ 0'],
      ['BENCH_RATES', '5k,10k', 'comma-separated whole msg/s ≥ 1'],
    ]) {
      const result = bench({ [name!]: value! });
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(`${name}: ${rule} (got ${value})\n`);
    }
    const targets = bench({ BENCH_TARGETS: 'relay,relay' });
    expect(targets.status).toBe(2);
    expect(targets.stderr).toMatch(/^BENCH_TARGETS: /);
  });
});
