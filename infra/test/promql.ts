/**
 * Just enough PromQL reading to check alert rules and dashboards against the metrics the
 * server exports: the metric names an expression selects, and the label matchers it puts on
 * each. Not a parser: it strips what cannot be a metric name (strings, durations, numbers,
 * grouping clauses) and keeps identifiers that are not functions or keywords.
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'inf',
  'nan',
]);

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;

/** Metric names selected by a PromQL expression (Grafana `$variables` allowed). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(STRING, ' ')
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?\S+/g, ' ')
    .replace(/@\s*\S+/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ') // dashboard variables
    .replace(/(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w:])/gi, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][\w:]*(?=\s*(\()?)/g)) {
    const [name, call] = [match[0], match[1]];
    if (call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

export interface Selector {
  readonly metric: string;
  readonly matchers: readonly { label: string; op: string; value: string }[];
}

/** `metric{label op "value", …}` selectors with their matchers. */
export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  for (const match of expr.matchAll(/([A-Za-z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    const matchers = [
      ...(match[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g),
    ].map((m) => ({ label: m[1] ?? '', op: m[2] ?? '', value: m[3] ?? '' }));
    found.push({ metric: match[1] ?? '', matchers });
  }
  return found;
}
