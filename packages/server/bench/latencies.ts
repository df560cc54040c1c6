/** Latencies the load generator records, and the quantiles the benchmark reports from them. */

/**
 * Latencies (ms) in a buffer sized up front: a JS array grown message by message went to V8's
 * large-object space in ever bigger copies, the load generator's own old generation grew
 * during a measured phase, and its mark-compact then landed among the latencies it measured.
 */
export class LatencyLog {
  #values: Float64Array;
  #count = 0;

  constructor(capacity = 1024) {
    this.#values = new Float64Array(capacity);
  }

  push(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
  }

  /** The latencies logged so far (a view: sorting it sorts the log). */
  values(): Float64Array {
    return this.#values.subarray(0, this.#count);
  }
}

/** The parts' latencies in one array (to pool a target's rounds). */
export function concat(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** The `p` quantile of ascending `sorted` latencies (NaN if there are none). */
export const quantile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
