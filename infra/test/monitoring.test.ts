/**
 * Observability for self-hosters and for AWS: the Prometheus alert rules parse and are well
 * formed, and every metric named by them, by the Grafana dashboard and by the CloudWatch
 * metrics agent and alarms is one the chat service really exports (from `createMetrics`, the
 * registry the server serves on /metrics).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../packages/server/src/errors.ts';
import {
  SCRAPE_SERIES,
  TARGET_LABELS,
  exportedMetrics,
  type ExportedMetrics,
} from './exported-metrics.ts';
import { metricNames, selectors } from './promql.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const rules = (
  parseYaml(read('infra/monitoring/prometheus/alerts.yml')) as {
    groups: { name: string; rules: Rule[] }[];
  }
).groups;

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly datasource?: { uid?: string };
  readonly targets?: { refId: string; expr: string }[];
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; query?: string | { query: string } }[] };
}
const dashboard = JSON.parse(read('infra/monitoring/grafana/susurro.json')) as Dashboard;

let exported: ExportedMetrics;
beforeAll(async () => {
  exported = await exportedMetrics();
});

function unknownMetrics(expr: string): string[] {
  return metricNames(expr).filter((name) => !exported.series.has(name) && !SCRAPE_SERIES.has(name));
}

describe('PromQL reading (the checker itself)', () => {
  it('finds metric names past functions, matchers, ranges, grouping and offsets', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{code=~"X|Y", job="j"}[5m]))) > 1e-9 ' +
          'and on (instance) b offset 10m / ignoring(x) group_left c[1h:1m] unless $__rate_interval',
      ).sort(),
    ).toEqual(['a_bucket', 'b', 'c']);
    expect(metricNames('sum(rate(x_total[$__rate_interval])) by (status)')).toEqual(['x_total']);
    expect(metricNames('vector(1)')).toEqual([]);
  });

  it('reports a metric the server does not export', () => {
    expect(
      unknownMetrics('rate(susurro_messages_sent_total[5m]) / susurro_ws_connections'),
    ).toEqual(['susurro_messages_sent_total']);
    expect(unknownMetrics('susurro_delivery_latency_seconds > 1')).toEqual([
      'susurro_delivery_latency_seconds',
    ]);
  });

  it('reads selectors and their matchers', () => {
    expect(selectors('sum(rate(m_total{code=~"A|B", status!="200"}[5m]))')).toEqual([
      {
        metric: 'm_total',
        matchers: [
          { label: 'code', op: '=~', value: 'A|B' },
          { label: 'status', op: '!=', value: '200' },
        ],
      },
    ]);
  });
});

describe('Prometheus alert rules', () => {
  const all = rules.flatMap((g) => g.rules);

  it('are well-formed alerts with severity, summary and description', () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
    const names = all.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of all) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Susurro[A-Z]\w+$/);
      expect(typeof rule.expr).toBe('string');
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      // Balanced brackets: a cheap syntax check the metric reader relies on.
      const count = (c: string) => rule.expr.split(c).length - 1;
      for (const [open = '', close = ''] of [
        ['(', ')'],
        ['[', ']'],
        ['{', '}'],
      ]) {
        expect(count(open), `${rule.alert} ${open}${close}`).toBe(count(close));
      }
    }
  });

  it('cover error rate, delivery latency p99, queue growth and connection drops', () => {
    const exprs = all.map((r) => r.expr).join('\n');
    expect(exprs).toMatch(/susurro_http_requests_total\{status=~"5\.\."\}/);
    expect(exprs).toMatch(
      /histogram_quantile\(0\.99,[^\n]*susurro_delivery_latency_seconds_bucket/,
    );
    expect(exprs).toMatch(/deriv\([^)]*susurro_queue_depth/);
    expect(exprs).toMatch(/susurro_ws_connections offset/);
  });

  it('name only metrics the server exports', () => {
    for (const rule of all) expect(unknownMetrics(rule.expr), rule.alert).toEqual([]);
  });

  it('match only labels those metrics carry, and only real error codes', () => {
    const codes = new Set(Object.keys(ERROR_CATALOGUE));
    for (const rule of all) {
      for (const selector of selectors(rule.expr)) {
        const allowed = new Set([
          ...(exported.labels.get(selector.metric) ?? []),
          ...TARGET_LABELS,
        ]);
        for (const matcher of selector.matchers) {
          expect(allowed, `${rule.alert}: ${selector.metric}{${matcher.label}}`).toContain(
            matcher.label,
          );
          if (matcher.label === 'code') {
            for (const code of matcher.value.split('|')) expect(codes, rule.alert).toContain(code);
          }
        }
      }
    }
  });
});

describe('Grafana dashboard', () => {
  it('is importable: uid, title, schema, unique panel ids, a Prometheus datasource variable', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(
      expect.arrayContaining(['datasource', 'instance']),
    );
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.w, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('charts only metrics the server exports', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    for (const variable of dashboard.templating.list) {
      const q = variable.query;
      if (typeof q === 'object') exprs.push(q.query.replace(/^label_values\((\w+),.*$/, '$1'));
    }
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) expect(unknownMetrics(expr), expr).toEqual([]);
    // The headline series are all on the board.
    const charted = new Set(exprs.flatMap(metricNames));
    for (const name of [
      'susurro_ws_connections',
      'susurro_messages_received_total',
      'susurro_messages_delivered_total',
      'susurro_messages_acked_total',
      'susurro_delivery_latency_seconds_bucket',
      'susurro_queue_depth',
      'susurro_errors_total',
      'susurro_http_requests_total',
    ]) {
      expect(charted, name).toContain(name);
    }
  });
});

describe('CloudWatch (infra/terraform)', () => {
  it('publishes, scales on and alarms on metrics the server exports, as gauges', () => {
    const terraform = ['ecs.tf', 'autoscaling.tf', 'monitoring.tf']
      .map((f) => read(`infra/terraform/${f}`))
      .join('\n');
    const named = new Set(
      [...terraform.matchAll(/\^?(susurro_[a-z_]+)\$?/g)].map((m) => m[1] ?? ''),
    );
    expect([...named].sort()).toEqual(['susurro_queue_depth', 'susurro_ws_connections']);
    // Embedded metric format carries point values: only gauges mean the same in CloudWatch.
    for (const name of named) expect(exported.types.get(name), name).toBe('gauge');
  });
});
