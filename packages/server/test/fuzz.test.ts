/**
 * Fuzz-style robustness: thousands of malformed frames and bodies, generated from a fixed seed
 * (reproducible), each must get a clean catalogue error (4xx / error frame), never a 500, a
 * dropped answer or a crash; the server still works afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../src/errors.ts';
import { account, api, TestSocket } from './http-client.ts';
import { clientKeys, testServer, type TestServer } from './harness.ts';

const SEED = 20_251_125;
const CODES = new Set(Object.keys(ERROR_CATALOGUE));

/** Valid-looking objects with one or more random mutations. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...keys) }),
    fc.record({
      op: fc.constant('set' as const),
      key: fc.constantFrom(...keys),
      value: fc.anything(),
    }),
    fc.record({
      op: fc.constant('add' as const),
      key: fc.string({ maxLength: 8 }),
      value: fc.jsonValue(),
    }),
    fc.record({
      op: fc.constant('str' as const),
      key: fc.constantFrom(...keys),
      value: fc.string({ maxLength: 64 }),
    }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ops) => {
    const out: Record<string, unknown> = { ...valid };
    for (const m of ops) {
      if (m.op === 'drop') delete out[m.key];
      else out[m.key] = m.value;
    }
    return out;
  });
}

function text(valid: Record<string, unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
    mutated(valid).map((v) => {
      try {
        return JSON.stringify(v) ?? 'null';
      } catch {
        return '{"unserialisable":true}';
      }
    }),
    fc.constantFrom('{', '[]', 'null', '""', '{"v":1}', '\u0000', '{"__proto__":{"v":1}}'),
  );
}

let t: TestServer;
let alice: { token: string };
let bob: { token: string };
beforeAll(async () => {
  t = await testServer();
  alice = await account(t.url, 'alice');
  bob = await account(t.url, 'bob');
});
afterAll(async () => {
  await t.close();
});

describe('fuzz', () => {
  it('answers 3000 malformed WebSocket frames with one clean response each', async () => {
    const valid = { v: 1, type: 'send', id: 'm1', to: 'bob', deviceId: 1, body: 'AAAA' };
    const frames = fc.sample(text(valid), { seed: SEED, numRuns: 3000 });
    const socket = await TestSocket.open(t.url, t.wsUrl, alice.token);
    await socket.nextOfType('queue-empty');
    const before = socket.frames.length;
    // Chunks stay under the per-connection pending-frame cap, so every frame is parsed.
    for (let i = 0; i < frames.length; i += 200) {
      const chunk = frames.slice(i, i + 200);
      for (const f of chunk) socket.ws.send(f);
      for (let j = 0; j < chunk.length; j++) await socket.next(() => true, 10_000);
    }
    const responses = socket.frames.slice(before);
    expect(responses).toHaveLength(frames.length);
    for (const r of responses) {
      expect(['error', 'sent', 'pong']).toContain(r.type);
      if (r.type === 'error') {
        expect(CODES.has(r.code as string)).toBe(true);
        expect(r.code).not.toBe('INTERNAL');
      }
    }
    // Random binary frames too (not UTF-8 at all).
    const binaries = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), {
      seed: SEED,
      numRuns: 200,
    });
    for (const b of binaries) socket.ws.send(b);
    for (let j = 0; j < binaries.length; j++) expect((await socket.next()).type).toBe('error');
    // Still alive and correct.
    socket.send({ ...valid, id: 'after-fuzz' });
    expect(await socket.next((f) => f.type === 'sent' && f.id === 'after-fuzz')).toBeDefined();
    socket.close();
  });

  it('answers 2500 malformed HTTP bodies with 4xx catalogue errors', async () => {
    const keys = (await clientKeys(1)).upload;
    const routes: Array<[string, string, Record<string, unknown>, boolean]> = [
      ['POST', '/v1/accounts', { username: 'fuzzer', password: 'correct horse' }, false],
      ['POST', '/v1/sessions', { username: 'alice', password: 'correct horse battery' }, false],
      ['PUT', '/v1/keys', keys, true],
      ['POST', '/v1/keys/one-time', { oneTimePreKeys: keys.oneTimePreKeys }, true],
      ['POST', '/v1/messages', { id: 'h', to: 'bob', deviceId: 1, body: 'AAAA' }, true],
    ];
    let checked = 0;
    for (const [method, path, valid, auth] of routes) {
      const bodies = fc.sample(text(valid), { seed: SEED, numRuns: 500 });
      await Promise.all(
        bodies.map(async (payload) => {
          const res = await t.server.app.inject({
            method: method as 'POST',
            url: path,
            payload,
            headers: {
              'content-type': 'application/json',
              ...(auth && { authorization: `Bearer ${bob.token}` }),
            },
          });
          // A mutation can leave a valid request: that must succeed.
          if (res.statusCode < 300) return;
          const body = res.json<{ code: string; message: string }>();
          expect(res.statusCode, `${path} ${payload}`).toBeLessThan(500);
          expect(CODES.has(body.code)).toBe(true);
          checked++;
        }),
      );
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('survives hostile URLs, headers and methods', async () => {
    const paths = fc.sample(fc.string({ maxLength: 60 }), { seed: SEED, numRuns: 300 });
    for (const p of paths) {
      const res = await t.server.app.inject({
        method: 'GET',
        url: `/v1/users/${encodeURIComponent(p)}/bundle?deviceId=${encodeURIComponent(p)}`,
        headers: { authorization: `Bearer ${bob.token}` },
      });
      expect(res.statusCode).toBeLessThan(500);
    }
    for (const authorization of fc.sample(fc.string({ maxLength: 300 }), {
      seed: SEED,
      numRuns: 200,
    })) {
      const res = await t.server.app.inject({
        method: 'GET',
        url: '/v1/keys/one-time/count',
        headers: { authorization: authorization.replace(/[^\x20-\x7e]/g, '') },
      });
      expect(res.statusCode).toBe(401);
    }
    const health = await api(t.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
  });
});
