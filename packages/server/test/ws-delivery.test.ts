import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { account, api, TestSocket, type Frame } from './http-client.ts';
import { testServer, type TestServer } from './harness.ts';
import type { Config } from '../src/config.ts';

let t: TestServer | undefined;
const sockets: TestSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.ws.terminate();
  await t?.close();
  t = undefined;
});

const body = (text: string) => Buffer.from(text).toString('base64');

async function world(overrides: Partial<Config> = {}) {
  t = await testServer(overrides);
  const alice = await account(t.url, 'alice');
  const bob = await account(t.url, 'bob');
  const open = async (token: string) => {
    const s = await TestSocket.open(t!.url, t!.wsUrl, token);
    sockets.push(s);
    return s;
  };
  const send = (s: TestSocket, id: string, text: string, to = 'bob', deviceId = 1) =>
    s.send({ v: 1, type: 'send', id, to, deviceId, body: body(text) });
  return { alice, bob, open, send };
}

describe('WebSocket delivery (RF03, RF04)', () => {
  it('acks the sender after storing and pushes to an online recipient at once', async () => {
    const { alice, bob, open, send } = await world();
    const a = await open(alice.token);
    const b = await open(bob.token);
    await a.nextOfType('queue-empty');
    await b.nextOfType('queue-empty');
    send(a, 'm1', 'hello bob');
    const sent = await a.nextOfType('sent');
    expect(sent).toEqual({
      v: 1,
      type: 'sent',
      id: 'm1',
      serverId: expect.any(String) as unknown,
      duplicate: false,
    });
    const message = await b.nextOfType('message');
    expect(message).toEqual({
      v: 1,
      type: 'message',
      serverId: sent.serverId,
      id: 'm1',
      from: 'alice',
      fromDevice: 1,
      body: body('hello bob'),
      sentAt: expect.any(Number) as unknown,
    });
  });

  it('delivers the backlog on connect, in order, then queue-empty; acked ones never again', async () => {
    const { alice, bob, open, send } = await world();
    const a = await open(alice.token);
    for (let i = 0; i < 30; i++) send(a, `m${i}`, `text ${i}`);
    for (let i = 0; i < 30; i++) expect((await a.nextOfType('sent')).id).toBe(`m${i}`);

    const b1 = await open(bob.token);
    const first = [];
    for (let i = 0; i < 30; i++) first.push(await b1.nextOfType('message'));
    expect(first.map((m) => m.id)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    // queue-empty comes after the backlog, never before.
    expect(b1.frames.findIndex((f) => f.type === 'queue-empty')).toBeGreaterThan(
      b1.frames.findIndex((f) => f.id === 'm29'),
    );
    await b1.nextOfType('queue-empty');
    for (const m of first.slice(0, 20)) b1.send({ v: 1, type: 'ack', serverId: m.serverId });
    b1.send({ v: 1, type: 'ping' });
    await b1.nextOfType('pong');
    b1.close();
    await b1.waitClosed();

    // Unacked messages come again (at-least-once); acked ones are gone.
    const b2 = await open(bob.token);
    await b2.nextOfType('queue-empty');
    expect(b2.frames.filter((f) => f.type === 'message').map((f) => f.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i + 20}`),
    );
  });

  it('treats a resent id as a duplicate: acked again, stored and delivered once', async () => {
    const { alice, bob, open, send } = await world();
    const a = await open(alice.token);
    send(a, 'dup', 'once');
    const first = await a.nextOfType('sent');
    send(a, 'dup', 'once');
    const second = await a.nextOfType('sent');
    expect(second).toMatchObject({ id: 'dup', serverId: first.serverId, duplicate: true });
    const b = await open(bob.token);
    await b.nextOfType('queue-empty');
    expect(b.frames.filter((f) => f.type === 'message')).toHaveLength(1);
    b.send({ v: 1, type: 'ack', serverId: first.serverId });
    // Even after the ack, a late retry is recognised and not delivered again.
    send(a, 'dup', 'once');
    expect(await a.nextOfType('sent')).toMatchObject({ duplicate: true });
    b.send({ v: 1, type: 'ping' });
    await b.nextOfType('pong');
    expect(b.frames.filter((f) => f.type === 'message')).toHaveLength(1);
  });

  it('keeps per-sender order with two concurrent senders', async () => {
    const { alice, bob, open, send } = await world();
    const carol = await account(t!.url, 'carol');
    const a = await open(alice.token);
    const c = await open(carol.token);
    const b = await open(bob.token);
    await b.nextOfType('queue-empty');
    for (let i = 0; i < 50; i++) {
      send(a, `a${i}`, 'x');
      send(c, `c${i}`, 'y');
    }
    const got: Frame[] = [];
    for (let i = 0; i < 100; i++) {
      const m = await b.nextOfType('message');
      got.push(m);
      b.send({ v: 1, type: 'ack', serverId: m.serverId });
    }
    const from = (who: string) => got.filter((m) => m.from === who).map((m) => m.id);
    expect(from('alice')).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(from('carol')).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
  });

  it('answers bad frames with error frames and keeps the connection', async () => {
    const { alice, open, send } = await world();
    const a = await open(alice.token);
    await a.nextOfType('queue-empty');
    const cases: Array<[string, string]> = [
      ['not json', 'BAD_JSON'],
      ['[1,2]', 'VALIDATION_FAILED'],
      ['{"v":2,"type":"send"}', 'UNSUPPORTED_VERSION'],
      ['{"type":"ping"}', 'UNSUPPORTED_VERSION'],
      ['{"v":1,"type":"subscribe"}', 'UNKNOWN_FRAME'],
      ['{"v":1,"type":"send","id":"x"}', 'VALIDATION_FAILED'],
      ['{"v":1,"type":"send","id":"x","to":"bob","deviceId":1,"body":"%%%"}', 'BAD_BASE64'],
      ['{"v":1,"type":"send","id":"x","to":"nobody","deviceId":1,"body":"AA=="}', 'NOT_FOUND'],
      ['{"v":1,"type":"send","id":"x","to":"bob","deviceId":9,"body":"AA=="}', 'DEVICE_NOT_FOUND'],
      [
        JSON.stringify({
          v: 1,
          type: 'send',
          id: 'big',
          to: 'bob',
          deviceId: 1,
          body: 'A'.repeat(33_000),
        }),
        'PAYLOAD_TOO_LARGE',
      ],
      [
        JSON.stringify({
          v: 1,
          type: 'send',
          id: 'big2',
          to: 'bob',
          deviceId: 1,
          body: Buffer.alloc(24_000).toString('base64'),
        }),
        'PAYLOAD_TOO_LARGE',
      ],
    ];
    for (const [text, expected] of cases) {
      a.ws.send(text);
      const error = await a.nextOfType('error');
      expect(error.code, text.slice(0, 80)).toBe(expected);
    }
    send(a, 'still-works', 'ok');
    expect((await a.nextOfType('sent')).id).toBe('still-works');
  });

  it('echoes the message id on send errors', async () => {
    const { alice, open } = await world();
    const a = await open(alice.token);
    a.send({ v: 1, type: 'send', id: 'm-42', to: 'nobody', deviceId: 1, body: 'AA==' });
    expect(await a.nextOfType('error')).toMatchObject({ id: 'm-42', code: 'NOT_FOUND' });
  });

  it('closes a frame above the hard cap with 1009 (ws) and survives', async () => {
    const { alice, open } = await world();
    const a = await open(alice.token);
    a.ws.send('x'.repeat(200 * 1024));
    expect((await a.waitClosed()).code).toBe(1009);
    const again = await open(alice.token);
    await again.nextOfType('queue-empty');
  });

  it('allows one connection per device: the newer replaces the older with 4001', async () => {
    const { alice, bob, open, send } = await world();
    const first = await open(bob.token);
    await first.nextOfType('queue-empty');
    const second = await open(bob.token);
    expect(await first.waitClosed()).toEqual({
      code: 4001,
      reason: 'replaced by a newer connection',
    });
    await second.nextOfType('queue-empty');
    const a = await open(alice.token);
    send(a, 'after-replace', 'hi');
    expect((await second.nextOfType('message')).id).toBe('after-replace');
  });

  it('authenticates with single-use tickets only', async () => {
    const { alice } = await world();
    const { body: ticket } = await api<{ ticket: string }>(
      t!.url,
      'POST',
      '/v1/ws-ticket',
      undefined,
      alice.token,
    );
    const s = await TestSocket.openWithTicket(t!.wsUrl, ticket.ticket);
    sockets.push(s);
    await expect(TestSocket.openWithTicket(t!.wsUrl, ticket.ticket)).rejects.toThrow('401');
    await expect(TestSocket.openWithTicket(t!.wsUrl, 'forged')).rejects.toThrow('401');
    await expect(TestSocket.openWithTicket(t!.wsUrl, alice.token)).rejects.toThrow('401');
    const noTicket = new WebSocket(t!.wsUrl);
    const status = await new Promise<number>((resolve) =>
      noTicket.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    const wrongPath = new WebSocket(t!.wsUrl.replace('/v1/ws', '/elsewhere'));
    const status404 = await new Promise<number>((resolve) =>
      wrongPath.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0)),
    );
    expect(status404).toBe(404);
  });

  it('refuses an expired ticket', async () => {
    const { alice } = await world({ ticketLifetimeMs: 1 });
    const { body: ticket } = await api<{ ticket: string }>(
      t!.url,
      'POST',
      '/v1/ws-ticket',
      undefined,
      alice.token,
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(TestSocket.openWithTicket(t!.wsUrl, ticket.ticket)).rejects.toThrow('401');
  });

  it('closes the socket with 4003 when its session logs out', async () => {
    const { alice, open } = await world();
    const a = await open(alice.token);
    await a.nextOfType('queue-empty');
    await api(t!.url, 'DELETE', '/v1/sessions/current', undefined, alice.token);
    expect((await a.waitClosed()).code).toBe(4003);
  });

  it('stops pushing at the unacked window and resumes on acks (back-pressure)', async () => {
    const { alice, bob, open, send } = await world();
    const a = await open(alice.token);
    const total = 130; // window is 100
    for (let i = 0; i < total; i++) send(a, `w${i}`, 'x');
    for (let i = 0; i < total; i++) await a.nextOfType('sent');
    const b = await open(bob.token);
    const firstWindow = [];
    for (let i = 0; i < 100; i++) firstWindow.push(await b.nextOfType('message'));
    b.send({ v: 1, type: 'ping' });
    await b.nextOfType('pong');
    expect(b.frames.filter((f) => f.type === 'message')).toHaveLength(100);
    expect(b.frames.some((f) => f.type === 'queue-empty')).toBe(false);
    for (const m of firstWindow.slice(0, 30)) b.send({ v: 1, type: 'ack', serverId: m.serverId });
    const rest = [];
    for (let i = 0; i < 30; i++) rest.push((await b.nextOfType('message')).id);
    expect(rest).toEqual(Array.from({ length: 30 }, (_, i) => `w${i + 100}`));
    await b.nextOfType('queue-empty');
  });

  it('pauses delivery to a reader that stops reading (byte window), resumes as it acks', async () => {
    const { alice, bob, open, send } = await world();
    const b = await open(bob.token);
    await b.nextOfType('queue-empty');
    b.ws.pause(); // stop reading
    const a = await open(alice.token);
    const big = 'x'.repeat(20_000);
    const total = 200; // ~5.4 MB of frames
    for (let i = 0; i < total; i++) send(a, `big${i}`, big);
    for (let i = 0; i < total; i++) await a.nextOfType('sent', 10_000);
    const delivered = async () => {
      const text = await (await fetch(`${t!.url}/metrics`)).text();
      return Number(/susurro_messages_delivered_total (\d+)/.exec(text)?.[1]);
    };
    // 512 KiB window / ~27 KiB frames: about 19 pushed, the rest waits in the queue.
    expect(await delivered()).toBeLessThanOrEqual(20);
    b.ws.resume();
    for (let i = 0; i < total; i++) {
      const m = await b.nextOfType('message');
      expect(m.id).toBe(`big${i}`);
      b.send({ v: 1, type: 'ack', serverId: m.serverId });
    }
    expect(await delivered()).toBe(total);
  });

  it('closes a consumer whose unsent bytes pass the cap with 4002, queue intact', async () => {
    // A window far above the cap (not the default) so pushes alone overflow the socket.
    const { alice, bob, open, send } = await world({
      deliveryWindow: 10_000,
      deliveryWindowBytes: 1e9,
      maxBufferedBytes: 256 * 1024,
    });
    const b = await open(bob.token);
    await b.nextOfType('queue-empty');
    b.ws.pause();
    const a = await open(alice.token);
    const big = 'x'.repeat(20_000);
    const total = 600; // ~16 MB, more than loopback's socket buffers hold
    for (let i = 0; i < total; i++) send(a, `big${i}`, big);
    for (let i = 0; i < total; i++) await a.nextOfType('sent', 10_000);
    b.ws.resume();
    expect((await b.waitClosed(10_000)).code).toBe(4002);
    const text = await (await fetch(`${t!.url}/metrics`)).text();
    expect(text).toContain(`susurro_queue_depth ${total}`);
  });

  it('sends over HTTP too, with the same ack semantics', async () => {
    const { alice, bob, open } = await world();
    const b = await open(bob.token);
    await b.nextOfType('queue-empty');
    const envelope = { id: 'h1', to: 'bob', deviceId: 1, body: body('via http') };
    const res = await api<{ serverId: string; duplicate: boolean }>(
      t!.url,
      'POST',
      '/v1/messages',
      envelope,
      alice.token,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'h1', duplicate: false });
    expect(await b.nextOfType('message')).toMatchObject({
      id: 'h1',
      from: 'alice',
      body: body('via http'),
    });
    const again = await api<{ duplicate: boolean }>(
      t!.url,
      'POST',
      '/v1/messages',
      envelope,
      alice.token,
    );
    expect(again.body.duplicate).toBe(true);
    // HTTP pull + ack for clients without a socket.
    const queue = await api<{ messages: Array<{ serverId: string; id: string }> }>(
      t!.url,
      'GET',
      '/v1/messages',
      undefined,
      bob.token,
    );
    expect(queue.body.messages.map((m) => m.id)).toEqual(['h1']);
    const ack = await api(
      t!.url,
      'DELETE',
      `/v1/messages/${queue.body.messages[0]!.serverId}`,
      undefined,
      bob.token,
    );
    expect(ack.status).toBe(204);
    const empty = await api<{ messages: unknown[] }>(
      t!.url,
      'GET',
      '/v1/messages',
      undefined,
      bob.token,
    );
    expect(empty.body.messages).toEqual([]);
  });

  it('reports connections and message counts in /metrics', async () => {
    const { alice, bob, open, send } = await world();
    const a = await open(alice.token);
    const b = await open(bob.token);
    send(a, 'm', 'x');
    const m = await b.nextOfType('message');
    b.send({ v: 1, type: 'ack', serverId: m.serverId });
    b.send({ v: 1, type: 'ping' });
    await b.nextOfType('pong');
    // Acked deletions commit lazily (≤ 20 ms): poll, bounded.
    let text = '';
    for (let i = 0; i < 100 && !text.includes('susurro_messages_acked_total 1'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      text = await (await fetch(`${t!.url}/metrics`)).text();
    }
    expect(text).toContain('susurro_ws_connections 2');
    expect(text).toContain('susurro_messages_received_total{transport="ws"} 1');
    expect(text).toContain('susurro_messages_delivered_total 1');
    expect(text).toContain('susurro_messages_acked_total 1');
    expect(text).toContain('susurro_queue_depth 0');
    expect(text).toMatch(/susurro_delivery_latency_seconds_count 1/);
  });

  it('closes sockets with 1001 on graceful shutdown and stops being ready', async () => {
    const { alice, open } = await world();
    const a = await open(alice.token);
    await a.nextOfType('queue-empty');
    const closing = t!.server.close();
    expect((await a.waitClosed()).code).toBe(1001);
    await closing;
    t = undefined;
  });
});
