import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger } from '../src/logger.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { account, api, TestSocket } from './http-client.ts';
import { tempDir, testConfig } from './harness.ts';
import { selfSignedCertificate } from './self-signed.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function serverWithLogs(): Promise<{ server: RunningServer; logs: () => string }> {
  const dir = await tempDir();
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const server = await startServer(testConfig(dir), { log: createLogger('trace', sink) });
  cleanups.push(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { server, logs: () => chunks.join('') };
}

describe('structured logs', () => {
  it('carry request and connection ids and never a secret or a body', async () => {
    const { server, logs } = await serverWithLogs();
    const password = 'correct horse battery';
    const alice = await account(server.url, 'alice');
    const bob = await account(server.url, 'bob');
    const { body: ticket } = await api<{ ticket: string }>(
      server.url,
      'POST',
      '/v1/ws-ticket',
      undefined,
      alice.token,
    );
    const socket = await TestSocket.openWithTicket(server.wsUrl, ticket.ticket);
    const secretBody = Buffer.from('ciphertext-that-must-not-be-logged').toString('base64');
    socket.send({ v: 1, type: 'send', id: 'm1', to: 'bob', deviceId: 1, body: secretBody });
    await socket.nextOfType('sent');
    socket.send({ v: 1, type: 'nonsense' });
    await socket.nextOfType('error');
    socket.close();
    await socket.waitClosed();
    await api(
      server.url,
      'POST',
      '/v1/messages',
      { id: 'm2', to: 'bob', deviceId: 1, body: secretBody },
      alice.token,
    );
    await api(server.url, 'GET', '/v1/users/alice/identity', undefined, bob.token);

    const text = logs();
    for (const secret of [password, alice.token, bob.token, ticket.ticket, secretBody]) {
      expect(text).not.toContain(secret);
    }
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => typeof l.requestId === 'string')).toBe(true);
    expect(lines.some((l) => typeof l.connectionId === 'string' && l.msg === 'connected')).toBe(
      true,
    );
  });
});

describe('TLS', () => {
  it('serves HTTPS and WSS when given a certificate and key', async () => {
    const dir = await tempDir();
    const { cert, key } = selfSignedCertificate(dir);
    const tls = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
    const server = await startServer(testConfig(dir, { tls }), { log: createLogger('silent') });
    cleanups.push(async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.wsUrl).toMatch(/^wss:/);
    const body = await new Promise<string>((resolve, reject) => {
      request(`${server.url}/healthz`, { ca: tls.cert }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve(data));
      })
        .on('error', reject)
        .end();
    });
    expect(JSON.parse(body)).toEqual({ status: 'ok' });
    // The upgrade happens over TLS too (rejected for lack of ticket, after the handshake).
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(server.wsUrl, { ca: tls.cert });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', reject);
    });
    expect(status).toBe(401);
  });
});
