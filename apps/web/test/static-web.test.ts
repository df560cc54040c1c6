/**
 * registerStaticWeb (packages/server/src/http/static-web.ts) in-process with fastify's
 * inject(): index.html for the app's routes with the CSP and no-cache, hashed assets cached
 * for a year, gzip and ETags, and the API's paths never answered with HTML.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fastify, type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStaticWeb, WEB_CSP } from '../../../packages/server/src/http/static-web.ts';

let dir: string;
let app: FastifyInstance;
const INDEX =
  '<!doctype html><title>Susurro</title><script type="module" src="/assets/app-1a2b.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'susurro-static-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', '.secret.js'), 'nope');
  writeFileSync(join(dir, 'secret.txt'), 'outside assets, but still a top-level file');
  app = fastify();
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/v1/users/:name/identity', () => ({ devices: [] }));
  registerStaticWeb(app, dir);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('static web client', () => {
  it('serves index.html at / with a strict CSP, no-cache and safe headers', async () => {
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(WEB_CSP);
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers client-side routes with index.html', async () => {
    for (const url of ['/chat/bob', '/chat/bob/safety?x=1', '/anything']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
    }
  });

  it('caches hashed assets for a year and gzips them', async () => {
    const res = await app.inject({
      url: '/assets/app-1a2b.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toBe('accept-encoding');
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(gunzipSync(res.rawPayload).toString()).toBe(SCRIPT);

    const plain = await app.inject({ url: '/assets/app-1a2b.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('answers 304 to a matching ETag', async () => {
    const first = await app.inject({ url: '/' });
    const again = await app.inject({ url: '/', headers: { 'if-none-match': first.headers.etag! } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves top-level build files such as the favicon', async () => {
    const res = await app.inject({ url: '/favicon.svg' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('never answers API paths with the app, and leaves API routes alone', async () => {
    for (const url of ['/v1/nope', '/v1', '/metrics/x', '/readyz', '/openapi.json']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).not.toMatch(/html/);
    }
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/v1/users/bob/identity' })).json()).toEqual({ devices: [] });
  });

  it('refuses missing assets, hidden files and paths that climb out', async () => {
    for (const url of [
      '/assets/missing.js',
      '/assets/.secret.js',
      '/assets/..%2findex.html',
      '/assets/a%00.js',
      '/missing.png',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
    }
  });

  it('never reads outside the build (dot segments resolve to a client route at most)', async () => {
    const res = await app.inject({ url: '/assets/%2e%2e/%2e%2e/etc/passwd' });
    expect([200, 404]).toContain(res.statusCode);
    if (res.statusCode === 200) expect(res.body).toBe(INDEX);
    expect(res.body).not.toContain('root:');
  });

  it('only answers GET and HEAD', async () => {
    expect((await app.inject({ url: '/', method: 'HEAD' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/', method: 'POST' })).statusCode).toBe(404);
  });
});
