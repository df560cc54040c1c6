/**
 * Load-generator clients for both targets. A client's message ids carry the scheduled send time
 * and the sender index, so the receiving side measures latency with one clock.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { LatencyLog } from './latencies.ts';

export type TargetKind = 'full' | 'relay';

export interface Target {
  readonly kind: TargetKind;
  readonly url: string;
}

export interface Stats {
  delivered: number;
  errors: number;
  /** Per sender: sent and not yet received by its peer. */
  outstanding: number[];
  /** Latencies (ms) of messages received while `recording`. */
  latencies: LatencyLog;
  recording: boolean;
  /** Called with the sender index of every delivered message. */
  onDelivered: (sender: number) => void;
}

const PASSWORD = 'bench password 1';

export function newStats(n: number): Stats {
  return {
    delivered: 0,
    errors: 0,
    outstanding: new Array<number>(n).fill(0),
    latencies: new LatencyLog(),
    recording: false,
    onDelivered: () => undefined,
  };
}

async function http<T>(url: string, path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Runs `work(i)` for i < n with at most `parallel` at once. */
export async function pool(n: number, parallel: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

/** A WebSocket URL for device `i` (full: an authenticated device of `account`). */
export async function socketUrl(target: Target, i: number, account?: string): Promise<string> {
  const ws = target.url.replace(/^http/, 'ws');
  if (target.kind === 'relay') return `${ws}/?id=${i}`;
  const login = await http<{ token: string }>(target.url, '/v1/sessions', {
    username: account,
    password: PASSWORD,
  });
  const { ticket } = await http<{ ticket: string }>(
    target.url,
    '/v1/ws-ticket',
    undefined,
    login.token,
  );
  return `${ws}/v1/ws?ticket=${ticket}`;
}

export async function register(target: Target, username: string): Promise<void> {
  if (target.kind === 'full')
    await http(target.url, '/v1/accounts', { username, password: PASSWORD });
}

/** Opens a socket; resolves when it can be used (full: after its queue-empty). */
export function open(target: Target, url: string, stats: Stats | undefined): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    if (target.kind === 'relay') ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as {
        type: string;
        id?: string;
        serverId?: string;
      };
      if (frame.type === 'queue-empty') resolve(ws);
      else if (frame.type === 'message' && stats !== undefined) {
        const [sentAt, sender] = (frame.id ?? '').split('-');
        const from = Number(sender);
        stats.delivered++;
        stats.outstanding[from]!--;
        if (stats.recording) stats.latencies.push(performance.now() - Number(sentAt));
        // Both targets get the recipient's ack (the relay parses and drops it): same frame work.
        ws.send(`{"v":1,"type":"ack","serverId":"${frame.serverId}"}`);
        stats.onDelivered(from);
      } else if (frame.type === 'error') {
        if (stats) stats.errors++;
      }
    });
  });
}

/** The frame sender `i` sends to its ring neighbour, scheduled at `at` (performance.now()). */
export function sendFrame(
  target: Target,
  n: number,
  i: number,
  seq: number,
  at: number,
  body: string,
) {
  const to = (i + 1) % n;
  const recipient = target.kind === 'full' ? `bench_${to}` : String(to);
  // Time first and fixed width, like the clients' ids (see `newMessageId`): they sort by time.
  const id = `${at.toFixed(3).padStart(13, '0')}-${i}-${seq}`;
  return `{"v":1,"type":"send","id":"${id}","to":"${recipient}","deviceId":1,"body":"${body}"}`;
}
