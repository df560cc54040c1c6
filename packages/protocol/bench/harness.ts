/**
 * A small benchmark harness: each case runs in rounds of at least `minRoundMs`, and we report
 * the median ops/s across rounds (robust to one noisy round on a shared 2-core machine).
 */
export interface BenchOptions {
  rounds?: number;
  minRoundMs?: number;
  warmupMs?: number;
}

async function runFor(
  ms: number,
  op: () => Promise<unknown>,
): Promise<{ ops: number; elapsed: number }> {
  const start = performance.now();
  let ops = 0;
  let elapsed = 0;
  do {
    await op();
    ops++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return { ops, elapsed };
}

export async function measure(
  op: () => Promise<unknown>,
  options: BenchOptions = {},
): Promise<number> {
  const { rounds = 5, minRoundMs = 400, warmupMs = 200 } = options;
  await runFor(warmupMs, op);
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { ops, elapsed } = await runFor(minRoundMs, op);
    rates.push((ops / elapsed) * 1000);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [
    headers,
    ...rows.map((r) =>
      r.map((c) => (typeof c === 'number' ? Math.round(c).toLocaleString('en-US') : c)),
    ),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) =>
    '| ' + r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ') + ' |';
  return [
    line(cells[0]!),
    '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|',
    ...cells.slice(1).map(line),
  ].join('\n');
}
