import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { WebSocketRouteEvent, WebSocketRouteResult } from '@susurro/server/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { GatewayEmulator, type GatewayEmulatorOptions } from '../src/emulator.ts';

interface Integration {
  readonly url: string;
  readonly requests: Array<{ headers: IncomingMessage['headers']; body: string }>;
  status: number;
  close(): Promise<void>;
}

/** A stand-in backend for the HTTP integration that records what it was sent. */
async function integration(): Promise<Integration> {
  const requests: Integration['requests'] = [];
  const state = { status: 204 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/gateway/frames`,
    requests,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const until = async (check: () => boolean, what: string, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function setup(overrides: Partial<GatewayEmulatorOptions> = {}) {
  const backend = await integration();
  const events: WebSocketRouteEvent[] = [];
  const record =
    (status: number) =>
    (event: WebSocketRouteEvent): Promise<WebSocketRouteResult> => {
      events.push(event);
      return Promise.resolve({ statusCode: status });
    };
  const emulator = new GatewayEmulator({
    onConnect: (event) =>
      event.queryStringParameters?.ticket === 'good'
        ? record(200)(event)
        : Promise.resolve({ statusCode: 401, body: '{"code":"TICKET_INVALID"}' }),
    onDisconnect: record(200),
    routes: {
      $default: { kind: 'http', url: backend.url, headers: { 'x-gateway-secret': 's3cret' } },
    },
    ...overrides,
  });
  await emulator.listen();
  const api = new ApiGatewayManagementApiClient({
    endpoint: emulator.managementUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  cleanups.push(async () => {
    api.destroy();
    await emulator.close();
    await backend.close();
  });
  return { emulator, backend, events, api };
}

async function connect(url: string) {
  const ws = new WebSocket(url);
  const received: string[] = [];
  ws.on('message', (d: Buffer) => received.push(d.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  cleanups.push(async () => {
    ws.terminate();
    await Promise.resolve();
  });
  return { ws, received, closed };
}

describe('API Gateway emulator', () => {
  it('runs $connect with the real event shape, and refuses the handshake on a non-2xx', async () => {
    const { emulator, events } = await setup();
    await connect(`${emulator.url}?ticket=good`);
    const event = events[0]!;
    expect(event.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      messageDirection: 'IN',
      stage: 'local',
      connectionId: expect.stringMatching(/^[A-Za-z0-9_-]+=$/) as string,
    });
    expect(event.queryStringParameters).toEqual({ ticket: 'good' });
    expect(event.headers).toMatchObject({ 'sec-websocket-version': '13' });

    const refused = new WebSocket(`${emulator.url}?ticket=bad`);
    const status = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    expect(emulator.connectionCount).toBe(1);
  });

  it('selects routes by $request.body.action and sends the rest to $default', async () => {
    const custom: WebSocketRouteEvent[] = [];
    const { emulator, backend } = await setup();
    emulator.route('typing', {
      kind: 'lambda',
      handler: (event) => {
        custom.push(event);
        return Promise.resolve({ statusCode: 200 });
      },
    });
    const { ws } = await connect(`${emulator.url}?ticket=good`);
    ws.send('{"action":"typing","to":"bob"}');
    ws.send('{"v":1,"type":"ping"}');
    ws.send('{"action":"nope"}');
    ws.send('not json at all');
    await until(() => backend.requests.length === 3 && custom.length === 1, 'integrations');
    expect(custom[0]!.requestContext).toMatchObject({ routeKey: 'typing', eventType: 'MESSAGE' });
    expect(custom[0]!.body).toBe('{"action":"typing","to":"bob"}');
    // $default: in order, body passed through, connection id and secret as headers.
    expect(backend.requests.map((r) => r.body)).toEqual([
      '{"v":1,"type":"ping"}',
      '{"action":"nope"}',
      'not json at all',
    ]);
    expect(backend.requests[0]!.headers).toMatchObject({
      'x-gateway-secret': 's3cret',
      'x-connection-id': custom[0]!.requestContext.connectionId,
    });
  });

  it('tells the client when the integration fails, as API Gateway does', async () => {
    const { emulator, backend } = await setup();
    backend.status = 502;
    const { ws, received } = await connect(`${emulator.url}?ticket=good`);
    ws.send('{"v":1,"type":"ping"}');
    await until(() => received.length === 1, 'error message');
    expect(JSON.parse(received[0]!)).toMatchObject({ message: 'Internal server error' });
  });

  it('serves the @connections API to the unmodified AWS SDK client, with 410 GoneException', async () => {
    const { emulator, api, events } = await setup();
    const { received, closed } = await connect(`${emulator.url}?ticket=good`);
    const id = events[0]!.requestContext.connectionId;

    await api.send(
      new PostToConnectionCommand({ ConnectionId: id, Data: '{"v":1,"type":"pong"}' }),
    );
    await until(() => received.length === 1, 'pushed frame');
    expect(received[0]).toBe('{"v":1,"type":"pong"}');

    const info = await api.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    expect(info.ConnectedAt).toBeInstanceOf(Date);

    const tooBig = new Uint8Array(128 * 1024 + 1);
    await expect(
      api.send(new PostToConnectionCommand({ ConnectionId: id, Data: tooBig })),
    ).rejects.toBeInstanceOf(PayloadTooLargeException);

    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await closed;
    await until(
      () => events.some((e) => e.requestContext.eventType === 'DISCONNECT'),
      'disconnect',
    );

    for (const command of [
      new PostToConnectionCommand({ ConnectionId: id, Data: 'x' }),
      new GetConnectionCommand({ ConnectionId: id }),
      new DeleteConnectionCommand({ ConnectionId: id }),
    ]) {
      const error = await api.send(command as PostToConnectionCommand).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GoneException);
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    }
  });

  it('closes a connection that sends a frame over 32 KB, and runs $disconnect', async () => {
    const { emulator, events, backend } = await setup();
    const { ws, closed } = await connect(`${emulator.url}?ticket=good`);
    ws.send('x'.repeat(32 * 1024));
    ws.send('y'.repeat(32 * 1024 + 1));
    expect((await closed).code).toBe(1009);
    await until(
      () => events.some((e) => e.requestContext.eventType === 'DISCONNECT'),
      'disconnect',
    );
    expect(events.at(-1)!.requestContext).toMatchObject({
      routeKey: '$disconnect',
      disconnectStatusCode: 1009,
    });
    await until(() => backend.requests.length === 1, 'the 32 KB frame');
  });

  it('refuses messages over 128 KB', async () => {
    const { emulator } = await setup();
    const { ws, closed } = await connect(`${emulator.url}?ticket=good`);
    ws.send('z'.repeat(128 * 1024 + 1));
    expect((await closed).code).toBe(1009);
  });

  it('drops idle connections and connections past their maximum age', async () => {
    const idle = await setup({ limits: { idleTimeoutMs: 150 } });
    const a = await connect(`${idle.emulator.url}?ticket=good`);
    expect((await a.closed).code).toBe(1001);
    await until(() => idle.emulator.connectionCount === 0, 'idle drop');

    const aged = await setup({ limits: { maxConnectionMs: 200 } });
    const b = await connect(`${aged.emulator.url}?ticket=good`);
    const chatter = setInterval(() => b.ws.send('{"v":1,"type":"ping"}'), 20);
    try {
      expect((await b.closed).code).toBe(1001);
    } finally {
      clearInterval(chatter);
    }
  });

  it('answers 403 on a path other than the stage', async () => {
    const { emulator } = await setup();
    const ws = new WebSocket(emulator.url.replace(/\/local$/, '/prod'));
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(403);
  });
});
