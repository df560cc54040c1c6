import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newMessageId } from '../src/content.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

describe('newMessageId', () => {
  it('is 32 hex digits: the creation time in ms, then 80 random bits', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = newMessageId(random, now);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(Number.parseInt(id.slice(0, 12), 16)).toBe(now);
  });

  it('sorts by creation time as a string, so the server appends it to its dedupe index', () => {
    const times = [0, 1, 255, 256, 1_700_000_000_000, 1_800_000_000_000, 0xffff_ffff_ffff];
    const ids = times.map((t) => newMessageId(random, t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs within one millisecond and clamps times it cannot encode', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMessageId(random, 42)));
    expect(ids.size).toBe(1000);
    expect(newMessageId(random, -5).slice(0, 12)).toBe('000000000000');
    expect(newMessageId(random, 2 ** 60).slice(0, 12)).toBe('ffffffffffff');
  });
});
