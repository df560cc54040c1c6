import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseClientFrame,
  parseFrameJson,
  serializeFrame,
  type ServerFrame,
} from '../src/chat/frames.ts';
import { PasswordHasher, checkPassword } from '../src/accounts/password-hasher.ts';
import { normalizeUsername } from '../src/accounts/username.ts';
import { decodeBase64, encodeBase64 } from '../src/encoding.ts';
import { isServerError } from '../src/errors.ts';
import { SCRYPT_LOG2_N } from '../src/limits.ts';
import { RateLimiter } from '../src/rate-limiter.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return isServerError(e) ? e.code : 'not a ServerError';
  }
}

describe('base64 (RFC 4648 §4, strict)', () => {
  it('round-trips and rejects other spellings', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
    // Decoding gives a Buffer (a Uint8Array); encoding takes any Uint8Array.
    expect([...decodeBase64(encodeBase64(bytes), 'x')]).toEqual([...bytes]);
    expect(encodeBase64(decodeBase64('AAEC+vv8/Q==', 'x'))).toBe('AAEC+vv8/Q==');
    expect(decodeBase64('', 'x')).toHaveLength(0);
    for (const bad of [
      'AAA',
      'AA=',
      'A===',
      '-_8=',
      'AA==AA==',
      ' AAAA',
      'AAAA\n',
      'AB==',
      'AAB=',
    ]) {
      expect(
        codeOf(() => decodeBase64(bad, 'x')),
        bad,
      ).toBe('BAD_BASE64');
    }
  });

  it('accepts exactly the encodings Node re-encodes identically (every final character)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (const c of alphabet) {
      for (const text of [`AA${c}=`, `A${c}==`, `AAA${c}`]) {
        const canonical = Buffer.from(text, 'base64').toString('base64') === text;
        expect(
          codeOf(() => decodeBase64(text, 'x')),
          text,
        ).toBe(canonical ? undefined : 'BAD_BASE64');
      }
    }
  });
});

describe('base64 check', () => {
  // The RFC 4648 §4 grammar as a pattern: the oracle for the table-driven check.
  const PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  it('accepts exactly what the RFC 4648 pattern accepts (and is canonical)', () => {
    const chars = fc.constantFrom(...'AQgw+/9z=-_ \né'.split(''), '\u{1f600}');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const canonical =
          PATTERN.test(text) && Buffer.from(text, 'base64').toString('base64') === text;
        expect(codeOf(() => decodeBase64(text, 'x'))).toBe(canonical ? undefined : 'BAD_BASE64');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('ack frames', () => {
  const result = (parsed: ReturnType<typeof parseClientFrame>) => ({
    frame: parsed.frame,
    code: parsed.error?.code,
  });

  it('reads the plain spelling without JSON.parse exactly as the general path does', () => {
    const head = '{"v":1,"type":"ack","serverId":"';
    const chars = fc.constantFrom(...'0aZ_.:- "\\/\u0000\u001fé'.split(''), '\u{1f600}', '\\"');
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 70 }),
        fc.constantFrom('"}', '" }', '"}x'),
        (parts, tail) => {
          const text = `${head}${parts.join('')}${tail}`;
          expect(result(parseClientFrame(text))).toEqual(result(parseFrameJson(text)));
        },
      ),
      { numRuns: 5000 },
    );
    // What clients send, in every spelling the schema accepts.
    for (const serverId of ['1', '9007199254740993', 'a'.repeat(64), 'x"y', 'é']) {
      const text = JSON.stringify({ v: 1, type: 'ack', serverId });
      expect(parseClientFrame(text)).toEqual({ frame: { v: 1, type: 'ack', serverId } });
    }
    expect(result(parseClientFrame(`${head}${'a'.repeat(65)}"}`)).code).toBe('VALIDATION_FAILED');
    expect(result(parseClientFrame(`${head}"}`)).code).toBe('VALIDATION_FAILED');
  });
});

describe('send frames', () => {
  const result = (parsed: ReturnType<typeof parseClientFrame>) => ({
    frame: parsed.frame,
    code: parsed.error?.code,
  });
  // Characters that matter to JSON or to the schema, and pieces of the frame's own layout.
  const piece = fc.constantFrom(
    ...'0aZ_.:-+/= ",:{}\\\u0000\u001fé'.split(''),
    '\u{1f600}',
    '\\"',
    '\\u0041',
    '","to":"',
    '","deviceId":',
    ',"body":"',
    '"}',
  );
  const text = (parts: string[]) => parts.join('');
  const messy = fc.array(piece, { maxLength: 12 }).map(text);
  const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,66}$/), messy);
  const to = fc.oneof(fc.constantFrom('bob', 'a'.repeat(128), 'a'.repeat(129), 'Bö b'), messy);
  const deviceId = fc.oneof(
    fc.constantFrom('1', '0', '01', '-1', '1.0', '1e0', ' 1', '2147483647', '2147483648'),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }).map(String),
    messy,
  );
  const body = fc.oneof(fc.base64String({ maxLength: 40 }), messy);
  const tail = fc.constantFrom('"}', '" }', '"}x', '","x":1}');

  it('reads the plain spelling without JSON.parse exactly as the general path does', () => {
    fc.assert(
      fc.property(id, to, deviceId, body, tail, (i, t, d, b, end) => {
        const frame = `{"v":1,"type":"send","id":"${i}","to":"${t}","deviceId":${d},"body":"${b}${end}`;
        expect(result(parseClientFrame(frame))).toEqual(result(parseFrameJson(frame)));
      }),
      { numRuns: 10_000 },
    );
    const send = { v: 1, type: 'send', id: '0001-a.b:c', to: 'Bob', deviceId: 7, body: 'AAAA' };
    expect(parseClientFrame(JSON.stringify(send))).toEqual({ frame: send });
    const big = { ...send, body: 'A'.repeat(40_000) };
    expect(result(parseClientFrame(JSON.stringify(big))).code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('server frames', () => {
  it('are written from templates exactly as JSON.stringify writes them', () => {
    const string = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.base64String({ maxLength: 40 }),
      fc.stringMatching(/^[0-9]{1,16}$/),
    );
    const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 53, NaN, Infinity));
    const message = fc.record({
      v: fc.constant(1 as const),
      type: fc.constant('message' as const),
      serverId: string,
      id: string,
      from: string,
      fromDevice: number,
      body: fc.uint8Array({ maxLength: 40 }).map(encodeBase64),
      sentAt: number,
    });
    const sent = fc.record({
      v: fc.constant(1 as const),
      type: fc.constant('sent' as const),
      id: string,
      serverId: string,
      duplicate: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.oneof(message, sent), (frame: ServerFrame) => {
        expect(serializeFrame(frame)).toBe(JSON.stringify(frame));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('usernames', () => {
  it('normalises with NFKC + lowercase and validates the alphabet', () => {
    expect(normalizeUsername('Alice')).toBe('alice');
    expect(normalizeUsername('ＢＯＢ_２')).toBe('bob_2');
    for (const bad of ['ab', 'a'.repeat(33), 'al ice', 'alice!', 'аlice' /* Cyrillic а */, '']) {
      expect(
        codeOf(() => normalizeUsername(bad)),
        bad,
      ).toBe('INVALID_USERNAME');
    }
  });
});

describe('passwords', () => {
  it('enforces length in characters and bytes', () => {
    expect(codeOf(() => checkPassword('1234567'))).toBe('WEAK_PASSWORD');
    expect(checkPassword('ｐａｓｓｗｏｒｄ')).toBe('password');
    expect(codeOf(() => checkPassword('é'.repeat(600)))).toBe('WEAK_PASSWORD');
  });

  it('hashes at the production cost (N=2^17) and verifies', async () => {
    const hasher = new PasswordHasher(SCRYPT_LOG2_N);
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify('correct horse', hash)).toBe(true);
    expect(await hasher.verify('correct horsf', hash)).toBe(false);
  });

  it('verifies hashes made at another cost, and rejects garbage hashes', async () => {
    const cheap = await new PasswordHasher(10).hash('pw');
    const hasher = new PasswordHasher(11);
    expect(await hasher.verify('pw', cheap)).toBe(true);
    expect(await hasher.verify('pw', 'plaintext')).toBe(false);
    await expect(hasher.verifyDummy('whatever')).resolves.toBeUndefined();
  });

  it('sheds load beyond its queue with SERVER_BUSY', async () => {
    const hasher = new PasswordHasher(12);
    const results = await Promise.allSettled(Array.from({ length: 80 }, () => hasher.hash('pw')));
    const busy = results.filter(
      (r) => r.status === 'rejected' && isServerError(r.reason, 'SERVER_BUSY'),
    );
    expect(busy.length).toBe(80 - 4 - 64);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(68);
  });
});

describe('rate limiter', () => {
  it('allows a burst, then refills at the rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = { burst: 2, perSecond: 1 };
    limiter.take('a', limit);
    limiter.take('a', limit);
    let error: unknown;
    try {
      limiter.take('a', limit);
    } catch (e) {
      error = e;
    }
    expect(isServerError(error, 'RATE_LIMITED')).toBe(true);
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBe(1);
    limiter.take('b', limit);
    now += 1000;
    limiter.take('a', limit);
  });

  it('bounds memory by evicting the least recently used keys', () => {
    const limiter = new RateLimiter(() => 0, 100);
    for (let i = 0; i < 1000; i++) limiter.take(`k${i}`, { burst: 1, perSecond: 1 });
    expect(limiter.size).toBe(100);
  });

  it('orders keys by last use to within a second', () => {
    const limit = { burst: 1, perSecond: 0.001 }; // no refill within the test
    const setup = () => {
      const clock = { now: 0 };
      const limiter = new RateLimiter(() => clock.now, 2);
      const limited = (key: string) => codeOf(() => limiter.take(key, limit)) === 'RATE_LIMITED';
      limiter.take('a', limit);
      limiter.take('b', limit);
      return { clock, limiter, limited };
    };
    // Used again a second later, `a` moves behind `b`: a new key evicts `b`.
    const later = setup();
    later.clock.now = 1000;
    expect(later.limited('a')).toBe(true);
    later.limiter.take('c', limit);
    expect(later.limiter.size).toBe(2);
    expect(later.limited('a')).toBe(true); // kept its empty bucket
    // Used again within the second, `a` keeps its place and is the one evicted, which only
    // forgets its bucket (lenient, never wrongly strict).
    const soon = setup();
    soon.clock.now = 500;
    expect(soon.limited('a')).toBe(true);
    soon.limiter.take('c', limit);
    expect(soon.limited('b')).toBe(true); // kept
  });
});
