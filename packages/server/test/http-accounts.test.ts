import { afterEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { json, signUp, testApp, type TestApp } from './harness.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  t!.app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('accounts (RF01, RF02)', () => {
  it('registers with a normalised username and logs in a new device', async () => {
    t = await testApp();
    const reg = await post('/v1/accounts', { username: 'Ａｌｉｃｅ_1', password: 'correct horse' });
    expect(reg.statusCode).toBe(201);
    expect(reg.json()).toEqual({ username: 'alice_1' });
    const login = await post('/v1/sessions', { username: 'ALICE_1', password: 'correct horse' });
    expect(login.statusCode).toBe(200);
    const body = login.json<{
      token: string;
      deviceId: number;
      username: string;
      expiresAt: number;
    }>();
    expect(body).toMatchObject({ username: 'alice_1', deviceId: 1 });
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A second install gets a second device; the first install can log in again as device 1.
    expect(
      (await post('/v1/sessions', { username: 'alice_1', password: 'correct horse' })).json(),
    ).toMatchObject({ deviceId: 2 });
    expect(
      (
        await post('/v1/sessions', { username: 'alice_1', password: 'correct horse', deviceId: 1 })
      ).json(),
    ).toMatchObject({ deviceId: 1 });
  });

  it('rejects taken, invalid and weak registrations with their codes', async () => {
    t = await testApp();
    await post('/v1/accounts', { username: 'alice', password: 'correct horse' });
    const cases: Array<[unknown, number, string]> = [
      [{ username: 'ALICE', password: 'correct horse' }, 409, 'USERNAME_TAKEN'],
      [{ username: 'al', password: 'correct horse' }, 400, 'INVALID_USERNAME'],
      [{ username: 'bob smith', password: 'correct horse' }, 400, 'INVALID_USERNAME'],
      [{ username: 'bøb', password: 'correct horse' }, 400, 'INVALID_USERNAME'],
      [{ username: 'bob', password: 'short' }, 400, 'WEAK_PASSWORD'],
      [{ username: 'bob', password: 'x'.repeat(1025) }, 400, 'VALIDATION_FAILED'],
      [{ username: 'bob' }, 400, 'VALIDATION_FAILED'],
      [{ username: 'bob', password: 12345678 }, 400, 'VALIDATION_FAILED'],
      [{ username: 'bob', password: 'correct horse', admin: true }, 400, 'VALIDATION_FAILED'],
      [['bob'], 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post('/v1/accounts', body);
      expect([res.statusCode, res.json<{ code: string }>().code], JSON.stringify(body)).toEqual([
        status,
        code,
      ]);
    }
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    t = await testApp();
    await post('/v1/accounts', { username: 'alice', password: 'correct horse' });
    const wrong = await post('/v1/sessions', { username: 'alice', password: 'wrong horse' });
    const unknown = await post('/v1/sessions', { username: 'mallory', password: 'wrong horse' });
    const invalid = await post('/v1/sessions', { username: '!!', password: 'wrong horse' });
    for (const res of [wrong, unknown, invalid]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(wrong.json());
    }
    expect(wrong.json<{ code: string }>().code).toBe('INVALID_CREDENTIALS');
  });

  it('refuses a device id the account does not have', async () => {
    t = await testApp();
    await post('/v1/accounts', { username: 'alice', password: 'correct horse' });
    const res = await post('/v1/sessions', {
      username: 'alice',
      password: 'correct horse',
      deviceId: 7,
    });
    expect([res.statusCode, res.json<{ code: string }>().code]).toEqual([404, 'DEVICE_NOT_FOUND']);
  });

  it('authenticates bearer tokens; logout revokes; expired tokens fail', async () => {
    let now = 1_700_000_000_000;
    t = await testApp({ tokenLifetimeMs: 1000 }, () => now);
    const alice = await signUp(t.app, 'alice');
    const count = () =>
      t!.app.inject({ method: 'GET', url: '/v1/keys/one-time/count', headers: alice.auth });
    expect((await count()).statusCode).toBe(200);
    for (const authorization of [
      '',
      'Bearer',
      'Bearer nope!',
      `Basic ${alice.token}`,
      `Bearer ${'A'.repeat(43)}`,
    ]) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/keys/one-time/count',
        headers: { authorization },
      });
      expect([res.statusCode, res.json<{ code: string }>().code]).toEqual([401, 'UNAUTHORIZED']);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    now += 1000;
    expect((await count()).statusCode).toBe(401);

    now -= 1000;
    const bob = await signUp(t.app, 'bob');
    const logout = await t.app.inject({
      method: 'DELETE',
      url: '/v1/sessions/current',
      headers: bob.auth,
    });
    expect(logout.statusCode).toBe(204);
    const after = await t.app.inject({
      method: 'GET',
      url: '/v1/keys/one-time/count',
      headers: bob.auth,
    });
    expect(after.statusCode).toBe(401);
  });

  it('issues single-use WebSocket tickets only to authenticated devices', async () => {
    t = await testApp();
    const alice = await signUp(t.app, 'alice');
    const res = await t.app.inject({ method: 'POST', url: '/v1/ws-ticket', headers: alice.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      path: '/v1/ws',
      ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
    });
    expect((await t.app.inject({ method: 'POST', url: '/v1/ws-ticket' })).statusCode).toBe(401);
  });

  it('rate limits login per username and registration per IP', async () => {
    t = await testApp({
      rateLimits: {
        loginPerIp: { burst: 100, perSecond: 100 },
        loginPerUsername: { burst: 3, perSecond: 0.001 },
        registerPerIp: { burst: 2, perSecond: 0.001 },
        bundleFetchPerAccount: { burst: 100, perSecond: 100 },
        sendPerDevice: { burst: 100, perSecond: 100 },
      },
    });
    expect(
      (await post('/v1/accounts', { username: 'alice', password: 'correct horse' })).statusCode,
    ).toBe(201);
    expect(
      (await post('/v1/accounts', { username: 'bob', password: 'correct horse' })).statusCode,
    ).toBe(201);
    const third = await post('/v1/accounts', { username: 'carol', password: 'correct horse' });
    expect([third.statusCode, third.json<{ code: string }>().code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);

    const codes = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (await post('/v1/sessions', { username: 'alice', password: 'guess' })).json<{
          code: string;
        }>().code,
      );
    }
    expect(codes).toEqual([
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'RATE_LIMITED',
    ]);
    // Another username is not affected by alice's bucket.
    expect(
      (await post('/v1/sessions', { username: 'bob', password: 'correct horse' })).statusCode,
    ).toBe(200);
  });
});

describe('HTTP edge', () => {
  it('maps malformed requests to stable codes', async () => {
    t = await testApp();
    const inject = (opts: InjectOptions) => t!.app.inject(opts);
    const cases: Array<[Awaited<ReturnType<typeof inject>>, number, string]> = [
      [
        await inject({
          method: 'POST',
          url: '/v1/accounts',
          payload: '{"username":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'BAD_JSON',
      ],
      [
        await inject({
          method: 'POST',
          url: '/v1/accounts',
          payload: '',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'BAD_JSON',
      ],
      [
        await inject({
          method: 'POST',
          url: '/v1/accounts',
          payload: 'username=a',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        await inject({
          method: 'POST',
          url: '/v1/accounts',
          ...json({ username: 'a'.repeat(70_000), password: 'x' }),
        }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [await inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'NOT_FOUND'],
      [await inject({ method: 'PATCH', url: '/v1/accounts' }), 404, 'NOT_FOUND'],
    ];
    for (const [res, status, code] of cases) {
      expect([res.statusCode, res.json<{ code: string }>().code]).toEqual([status, code]);
    }
  });

  it('serves health, readiness, metrics and an OpenAPI document of every route', async () => {
    t = await testApp();
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
    });
    // Not ready until startServer has listened.
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    await post('/v1/accounts', { username: '!!', password: 'correct horse' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of [
      'susurro_ws_connections',
      'susurro_messages_received_total',
      'susurro_queue_depth 0',
      'susurro_delivery_latency_seconds_bucket',
      'susurro_errors_total{code="INVALID_USERNAME"} 1',
    ]) {
      expect(metrics.body).toContain(name);
    }
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/readyz',
      '/v1/accounts',
      '/v1/keys',
      '/v1/keys/one-time',
      '/v1/keys/one-time/count',
      '/v1/messages',
      '/v1/messages/{serverId}',
      '/v1/sessions',
      '/v1/sessions/current',
      '/v1/users/{username}/bundle',
      '/v1/users/{username}/identity',
      '/v1/ws-ticket',
    ]);
    expect(doc.paths['/v1/users/{username}/bundle']?.get).toMatchObject({
      security: [{ bearer: [] }],
    });
  });
});
