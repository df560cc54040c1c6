import type { Clock } from './clock.ts';
import { ServerError } from './errors.ts';
import { MAX_RATE_LIMIT_KEYS, type RateLimit } from './limits.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** When the bucket last moved to the end of the eviction order. */
  movedAt: number;
}

/**
 * A bucket moves to the end of the eviction order at most this often. Moving is a delete and a
 * set on a Map that lives in the old generation, where V8 allocates the table of each rehash
 * (one every few moves, and as large as the Map): moving on every take made a send's rate
 * check old-space garbage and brought full mark-compacts under load (packages/server/README.md,
 * round 7). The order is then least recently used to within this much.
 */
const MOVE_AFTER_MS = 1_000;

/**
 * Token buckets in memory, keyed by strings like `login:ip:127.0.0.1`. Good for one process;
 * a cluster would put the same interface over Redis. Memory is bounded: past
 * MAX_RATE_LIMIT_KEYS the least recently touched keys are dropped, to within MOVE_AFTER_MS
 * (forgetting a bucket only ever makes the limiter more lenient, never wrongly strict).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #clock: Clock;
  readonly #maxKeys: number;

  constructor(clock: Clock, maxKeys = MAX_RATE_LIMIT_KEYS) {
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token or throws RATE_LIMITED with the wait until the next one. */
  take(key: string, limit: RateLimit): void {
    const now = this.#clock();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: limit.burst, updatedAt: now, movedAt: now };
      this.#buckets.set(key, bucket);
      this.#evict();
    } else if (now - bucket.movedAt >= MOVE_AFTER_MS) {
      // Re-insert so Map order is least-recently-used first.
      this.#buckets.delete(key);
      this.#buckets.set(key, bucket);
      bucket.movedAt = now;
    }
    const refilled = bucket.tokens + ((now - bucket.updatedAt) / 1000) * limit.perSecond;
    bucket.tokens = Math.min(limit.burst, refilled);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
      throw new ServerError('RATE_LIMITED', undefined, { retryAfterSeconds });
    }
    bucket.tokens -= 1;
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(): void {
    while (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done === true) return;
      this.#buckets.delete(oldest.value);
    }
  }
}
