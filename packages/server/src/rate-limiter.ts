import type { Clock } from './clock.ts';
import { ServerError } from './errors.ts';
import { MAX_RATE_LIMIT_KEYS, type RateLimit } from './limits.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets in memory, keyed by strings like `login:ip:127.0.0.1`. Good for one process;
 * a cluster would put the same interface over Redis. Memory is bounded: past
 * MAX_RATE_LIMIT_KEYS the least recently touched keys are dropped (forgetting a bucket only
 * ever makes the limiter more lenient, never wrongly strict).
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
    const bucket = this.#buckets.get(key) ?? { tokens: limit.burst, updatedAt: now };
    const refilled = bucket.tokens + ((now - bucket.updatedAt) / 1000) * limit.perSecond;
    bucket.tokens = Math.min(limit.burst, refilled);
    bucket.updatedAt = now;
    // Re-insert so Map order is least-recently-used first.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    this.#evict();
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
