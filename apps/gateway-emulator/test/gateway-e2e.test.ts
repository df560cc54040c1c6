/**
 * The serverless shape end to end, locally: two SDK clients → API Gateway emulator (running the
 * real onConnect/onDisconnect handlers against dynalite) → the chat service in gateway mode
 * (frames over the HTTP integration, pushes over the @connections API) → SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Messenger } from '@susurro/client';
import { openNodeMessenger } from '@susurro/client/node';
import { createLogger, loadConfig, startServer, type RunningServer } from '@susurro/server';
import { GATEWAY_FRAMES_PATH, GATEWAY_SECRET_HEADER } from '@susurro/server/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayEmulator } from '../src/emulator.ts';
import { connectAndWait, nextMessages } from '../../../packages/client/test/messenger-waits.ts';
import { startEdge, type EdgeFixture } from './fixtures.ts';

const SECRET = 'local-test-secret-0123456789abcdef0123';
let edge: EdgeFixture;
let emulator: GatewayEmulator;
let server: RunningServer;
const clients: Messenger[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  edge = await startEdge();
  emulator = new GatewayEmulator({ onConnect: edge.onConnect, onDisconnect: edge.onDisconnect });
  await emulator.listen();
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: edge.dataDir,
    SCRYPT_LOG2_N: '10',
    REALTIME: 'gateway',
    GATEWAY_MANAGEMENT_URL: emulator.managementUrl,
    GATEWAY_SECRET: SECRET,
    PUBLIC_WS_URL: emulator.url,
    CONNECTIONS_TABLE: edge.table.tableName,
    DYNAMODB_ENDPOINT: edge.dynamo.endpoint,
  });
  server = await startServer(config, { storage: edge.storage, log: createLogger('silent') });
  emulator.route('$default', {
    kind: 'http',
    url: server.url + GATEWAY_FRAMES_PATH,
    headers: { [GATEWAY_SECRET_HEADER]: SECRET },
  });
});

afterAll(async () => {
  for (const m of clients) await m.close();
  await server.close();
  await emulator.close();
  await edge.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let n = 0;
async function user(base: string): Promise<{ m: Messenger; name: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'susurro-gw-client-'));
  dirs.push(dir);
  const m = await openNodeMessenger({
    configDir: dir,
    serverUrl: server.url,
    passphrase: 'test',
    kdfLogN: 10,
  });
  clients.push(m);
  const name = `${base}_${process.pid % 1000}_${n++}`;
  await m.register(name, 'correct horse battery');
  return { m, name };
}

describe('serverless edge, locally (emulator + gateway-mode backend + dynalite)', () => {
  it('hands out the gateway URL with each ticket', () => {
    expect(server.wsUrl).toBe(emulator.url);
  });

  it('two SDK clients chat both ways through the emulator', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await Promise.all([connectAndWait(alice.m), connectAndWait(bob.m)]);
    expect(emulator.connectionCount).toBe(2);

    const atBob = nextMessages(bob.m, alice.name, 10);
    for (let i = 0; i < 10; i++) await alice.m.send(bob.name, `a→b ${i}`);
    expect((await atBob).map((r) => r.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `a→b ${i}`),
    );
    const atAlice = nextMessages(alice.m, bob.name, 10);
    for (let i = 0; i < 10; i++) await bob.m.send(alice.name, `b→a ${i}`);
    expect((await atAlice).map((r) => r.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `b→a ${i}`),
    );
  });

  it('queues for an offline device and delivers when it connects', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await connectAndWait(alice.m);
    for (let i = 0; i < 3; i++) await alice.m.send(bob.name, `offline ${i}`);
    const arrived = nextMessages(bob.m, alice.name, 3);
    await connectAndWait(bob.m);
    expect((await arrived).map((r) => r.body)).toEqual(['offline 0', 'offline 1', 'offline 2']);
  });

  it('a 410 from the management API deletes that stale connection only; the message waits', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await connectAndWait(alice.m);
    // Bob "connected" once and vanished without a $disconnect (API Gateway does not promise one).
    const account = await edge.storage.getAccountByUsername(bob.name);
    const [device] = await edge.storage.listDevices(account!.accountId);
    await edge.table.put(
      'STALEconn12345=',
      { accountId: account!.accountId, username: bob.name, deviceId: device!.deviceId },
      Date.now(),
    );
    const aliceAccount = await edge.storage.getAccountByUsername(alice.name);
    const [aliceDevice] = await edge.table
      .findByDevice(alice.name, 1, Date.now())
      .then((rows) => rows.filter((r) => r.accountId === aliceAccount!.accountId));

    await alice.m.send(bob.name, 'are you there?');
    const deadline = Date.now() + 10_000;
    while ((await edge.table.get('STALEconn12345=', Date.now())) !== undefined) {
      if (Date.now() > deadline) throw new Error('the stale connection was not deleted');
      await new Promise((r) => setTimeout(r, 50));
    }
    // The sender's own connection is untouched.
    expect(aliceDevice).toBeDefined();
    expect(await edge.table.get(aliceDevice!.connectionId, Date.now())).toBeDefined();

    const arrived = nextMessages(bob.m, alice.name, 1);
    await connectAndWait(bob.m);
    expect((await arrived)[0]!.body).toBe('are you there?');
  });

  it('refuses integration calls without the shared secret', async () => {
    const response = await fetch(server.url + GATEWAY_FRAMES_PATH, {
      method: 'POST',
      headers: { 'x-connection-id': 'whatever=', [GATEWAY_SECRET_HEADER]: 'wrong' },
      body: '{"v":1,"type":"ping"}',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });

    const unknown = await fetch(server.url + GATEWAY_FRAMES_PATH, {
      method: 'POST',
      headers: { 'x-connection-id': 'nobody123=', [GATEWAY_SECRET_HEADER]: SECRET },
      body: '{"v":1,"type":"ping"}',
    });
    expect(unknown.status).toBe(410);
    expect(await unknown.json()).toMatchObject({ code: 'CONNECTION_GONE' });

    const malformed = await fetch(server.url + GATEWAY_FRAMES_PATH, {
      method: 'POST',
      headers: { 'x-connection-id': 'x'.repeat(200), [GATEWAY_SECRET_HEADER]: SECRET },
      body: '{"v":1,"type":"ping"}',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
