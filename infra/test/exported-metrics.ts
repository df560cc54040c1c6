/**
 * The series names the chat service exports on /metrics, from the same `createMetrics` the
 * server registers (its own prom-client registry, default process metrics included).
 * Histograms export `_bucket`, `_sum` and `_count` series, never their bare name.
 */
import { createMetrics } from '../../packages/server/src/metrics.ts';

/** Series Prometheus adds itself for every scrape target. */
export const SCRAPE_SERIES = new Set(['up']);
/** Labels Prometheus attaches to every scraped series (target labels). */
export const TARGET_LABELS = new Set(['job', 'instance']);

export interface ExportedMetrics {
  /** Every series name a query may select. */
  readonly series: ReadonlySet<string>;
  /** Labels each series may carry, by series name. */
  readonly labels: ReadonlyMap<string, ReadonlySet<string>>;
  /** Metric family name → Prometheus type. */
  readonly types: ReadonlyMap<string, string>;
}

export async function exportedMetrics(): Promise<ExportedMetrics> {
  const { registry } = createMetrics(() => Promise.resolve(0));
  const series = new Set<string>();
  const labels = new Map<string, ReadonlySet<string>>();
  const types = new Map<string, string>();
  for (const family of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(family.name) as { labelNames?: readonly string[] };
    const own = new Set(metric.labelNames ?? []);
    const type = String(family.type);
    types.set(family.name, type);
    const names =
      type === 'histogram'
        ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
        : type === 'summary'
          ? [family.name, `${family.name}_sum`, `${family.name}_count`]
          : [family.name];
    for (const name of names) {
      series.add(name);
      labels.set(name, name.endsWith('_bucket') ? new Set([...own, 'le']) : own);
    }
  }
  return { series, labels, types };
}

/** Metric family names and types declared in a Prometheus text exposition (`# TYPE` lines). */
export function typesInExposition(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    types.set(match[1] ?? '', match[2] ?? '');
  }
  return types;
}
