/**
 * DESIGN: "A crash of any process at any point loses no acknowledged message." The real entry
 * point runs as a child process; it is SIGKILLed while a sender has hundreds of envelopes in
 * flight, restarted on the same data directory, and the recipient must then receive every
 * envelope the server acked exactly once. The sender then retries the unacked ones (same ids)
 * and the recipient must end with every id exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'apps/server/src/main.ts');
const TOTAL = 1500;
/** Sends in flight at once (see sendAll). */
const IN_FLIGHT = 100;
const PASSWORD = 'correct horse battery';

const children: ChildProcess[] = [];
/** Error frames seen by senders; there must be none. */
const errors: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', SCRYPT_LOG2_N: '10', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return { child, url };
}

async function call<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

async function login(url: string, username: string, deviceId?: number) {
  return call<{ token: string; deviceId: number }>(url, 'POST', '/v1/sessions', {
    username,
    password: PASSWORD,
    ...(deviceId !== undefined && { deviceId }),
  });
}

/**
 * Opens a socket with its message handler attached *before* the upgrade completes: frames can
 * arrive in the same TCP read as the upgrade response and are emitted right away.
 */
async function socket(
  url: string,
  token: string,
  onMessage: (frame: Frame, ws: WebSocket) => void,
): Promise<WebSocket> {
  const { ticket } = await call<{ ticket: string }>(url, 'POST', '/v1/ws-ticket', undefined, token);
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws?ticket=${ticket}`);
  ws.on('message', (data: Buffer) => onMessage(JSON.parse(data.toString('utf8')) as Frame, ws));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

interface Frame {
  type: string;
  id?: string;
  code?: string;
  serverId?: string;
}

/**
 * Opens a sender socket and streams the ids with up to IN_FLIGHT unacked at a time (as a
 * client's pipeline would); `onAck` sees the set of ids acked (`sent`). The window keeps the
 * crash mid-stream however fast the server is: when it dies, some sends are in flight and the
 * rest were never sent.
 */
async function sendAll(
  url: string,
  token: string,
  ids: string[],
  onAck: (acked: Set<string>) => void,
) {
  const acked = new Set<string>();
  let next = 0;
  const sendNext = (ws: WebSocket) => {
    const id = ids[next++];
    if (id === undefined) return;
    ws.send(
      JSON.stringify({
        v: 1,
        type: 'send',
        id,
        to: 'bob',
        deviceId: 1,
        body: Buffer.from(id).toString('base64'),
      }),
    );
  };
  const ws = await socket(url, token, (frame, socket) => {
    if (frame.type === 'sent' && frame.id !== undefined) {
      acked.add(frame.id);
      onAck(acked);
      sendNext(socket);
    } else if (frame.type === 'error') {
      errors.push(frame.code ?? '?');
    }
  });
  for (let i = 0; i < IN_FLIGHT; i++) sendNext(ws);
  return { ws, acked };
}

/** Drains bob's queue until queue-empty, acking everything; returns the ids in order. */
async function receiveAll(url: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  let empty!: () => void;
  let pong!: () => void;
  const queueEmpty = new Promise<void>((resolve) => (empty = resolve));
  const ponged = new Promise<void>((resolve) => (pong = resolve));
  const ws = await socket(url, token, (frame, socket) => {
    if (frame.type === 'message') {
      ids.push(frame.id ?? '');
      socket.send(JSON.stringify({ v: 1, type: 'ack', serverId: frame.serverId }));
    } else if (frame.type === 'queue-empty') empty();
    else if (frame.type === 'pong') pong();
  });
  await withTimeout(queueEmpty, `no queue-empty after ${ids.length}`);
  // Frames of a connection are handled in order: the pong proves every ack was processed.
  ws.send(JSON.stringify({ v: 1, type: 'ping' }));
  await withTimeout(ponged, 'no pong');
  ws.close();
  return [...ids];
}

async function withTimeout<T>(promise: Promise<T>, message: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('crash safety', () => {
  it('delivers every acked message exactly once after SIGKILL and restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'susurro-crash-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    for (const username of ['alice', 'bob']) {
      await call(first.url, 'POST', '/v1/accounts', { username, password: PASSWORD });
    }
    const alice = await login(first.url, 'alice');
    expect((await login(first.url, 'bob')).deviceId).toBe(1);

    const ids = Array.from({ length: TOTAL }, (_, i) => `msg-${i}`);
    const killed = new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
    // Kill mid-stream: after a third of the acks, with up to IN_FLIGHT sends in flight.
    const { ws, acked } = await sendAll(first.url, alice.token, ids, (set) => {
      if (set.size === Math.floor(TOTAL / 3)) first.child.kill('SIGKILL');
    });
    await killed;
    ws.terminate();
    const ackedBeforeCrash = new Set(acked);
    expect(ackedBeforeCrash.size).toBeGreaterThanOrEqual(Math.floor(TOTAL / 3));
    expect(ackedBeforeCrash.size).toBeLessThan(TOTAL);

    const second = await start(dataDir);
    const bob = await login(second.url, 'bob', 1);
    const delivered = await receiveAll(second.url, bob.token);
    // Every acked envelope survived, none twice; unacked ones may or may not have been stored.
    expect(new Set(delivered).size).toBe(delivered.length);
    for (const id of ackedBeforeCrash) expect(delivered).toContain(id);
    // Order per sender is the send order.
    const order = delivered.map((id) => Number(id.slice(4)));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // The sender retries everything it has no ack for, with the same ids.
    const retry = ids.filter((id) => !ackedBeforeCrash.has(id));
    const alice2 = await login(second.url, 'alice', alice.deviceId);
    let allAcked!: () => void;
    const done = new Promise<void>((resolve) => (allAcked = resolve));
    const { ws: ws2 } = await sendAll(second.url, alice2.token, retry, (set) => {
      if (set.size === retry.length) allAcked();
    });
    await withTimeout(done, 'retries not all acked');
    ws2.close();
    const rest = await receiveAll(second.url, bob.token);
    const all = [...delivered, ...rest];
    expect(errors).toEqual([]);
    const missing = ids.filter((id) => !all.includes(id));
    expect(missing).toEqual([]);
    expect(all).toHaveLength(TOTAL);
    expect(new Set(all)).toEqual(new Set(ids));
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(second.child.exitCode).toBe(0);
  }, 90_000);
});
