/**
 * The web client's test stack: the real chat server as a child process (the same helper the
 * SDK and CLI suites use) plus the production build of the web client, at one origin.
 *
 * If the server already serves the web client at `/` (registerStaticWeb wired into the app,
 * WEB_DIR pointing at apps/web/dist), the browser talks to it directly. Until then a small
 * front server on 127.0.0.1 serves apps/web/dist through the same `registerStaticWeb` (so its
 * caching headers and CSP are under test either way) and proxies `/v1/*` — HTTP and the
 * WebSocket upgrade — to the server process. `mode` says which one ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fastify, type FastifyInstance } from 'fastify';
import {
  startServerProcess,
  type ServerProcess,
} from '../../../packages/client/test/server-process.ts';
import { registerStaticWeb } from '../../../packages/server/src/http/static-web.ts';
import { WEB_DIST } from '../src/build/vite-config.ts';

export interface WebStack {
  /** Where the browser goes: the server itself, or the front server. */
  readonly baseUrl: string;
  readonly mode: 'server-serves-web' | 'front-proxy';
  /** Stops the chat server process (SIGTERM); its data directory is kept. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

const isProxied = (url: string | undefined) => url === '/v1' || (url ?? '').startsWith('/v1/');

export async function startWebStack(): Promise<WebStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'susurro-web-'));
  const env = { WEB_DIR: WEB_DIST };
  let server: ServerProcess | undefined = await startServerProcess({ dataDir, env });
  const port = new URL(server.url).port;

  const stopServer = async () => {
    await server?.stop();
    server = undefined;
  };
  const startServer = async () => {
    server ??= await startServerProcess({ dataDir, env: { ...env, PORT: port } });
  };
  const cleanUp = () => rmSync(dataDir, { recursive: true, force: true });

  if (await servesWebClient(server.url)) {
    return {
      baseUrl: server.url,
      mode: 'server-serves-web',
      stopServer,
      startServer,
      async stop() {
        await stopServer();
        cleanUp();
      },
    };
  }

  const front = await startFrontServer(Number(port));
  const address = front.server.address();
  const frontPort = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${frontPort}`,
    mode: 'front-proxy',
    stopServer,
    startServer,
    async stop() {
      await front.close();
      await stopServer();
      cleanUp();
    },
  };
}

async function servesWebClient(url: string): Promise<boolean> {
  const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  return res.ok && (res.headers.get('content-type') ?? '').startsWith('text/html');
}

async function startFrontServer(upstreamPort: number): Promise<FastifyInstance> {
  const app = fastify({
    logger: false,
    serverFactory: (handler) => {
      const s = createServer((req, res) =>
        isProxied(req.url) ? proxyHttp(req, res, upstreamPort) : handler(req, res),
      );
      s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (isProxied(req.url)) proxyUpgrade(req, socket, head, upstreamPort);
        else socket.destroy();
      });
      return s;
    },
  });
  registerStaticWeb(app, WEB_DIST);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

function proxyHttp(req: IncomingMessage, res: ServerResponse, port: number): void {
  const upstream = httpRequest(
    // No keep-alive pool: after a server restart a pooled socket would be stale.
    {
      host: '127.0.0.1',
      port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent: false,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  // The server is down: drop the connection, as an unreachable origin would (no 502 body, so
  // the browser sees a network error exactly as it would against the server itself).
  upstream.on('error', () => req.socket.destroy());
  req.pipe(upstream);
}

function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, port: number): void {
  const up = connect(port, '127.0.0.1', () => {
    let lines = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    up.write(`${lines}\r\n`);
    if (head.length > 0) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
  up.on('error', () => socket.destroy());
  socket.on('error', () => up.destroy());
  up.on('close', () => socket.destroy());
  socket.on('close', () => up.destroy());
}
