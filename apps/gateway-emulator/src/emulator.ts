import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  WebSocketHandler,
  WebSocketRouteEvent,
  WebSocketRouteResult,
} from '@susurro/server/gateway';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { gatewayEvent, type GatewayApi } from './gateway-event.ts';
import { integrate, type RouteTarget } from './integration.ts';
import {
  flatHeaders,
  multiHeaders,
  newConnectionId,
  rejectUpgrade,
  sendJson,
} from './http-wire.ts';
import { serveManagement, type ManagedConnection } from './management-api.ts';

/**
 * API Gateway's WebSocket quotas (docs: "Amazon API Gateway quotas for WebSocket APIs"), so a
 * local run fails where AWS would.
 */
export const API_GATEWAY_LIMITS = {
  /** One WebSocket frame. Browsers, `ws` and our SDK send each message as a single frame. */
  frameBytes: 32 * 1024,
  /** One message, possibly in several frames; also the cap of a PostToConnection body. */
  messageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
} as const;

export type { RouteTarget } from './integration.ts';

export interface GatewayEmulatorOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The stage: clients connect to `/{stage}`, the management API is `/{stage}/@connections`. */
  readonly stage?: string;
  readonly onConnect: WebSocketHandler;
  readonly onDisconnect: WebSocketHandler;
  /** `$default` and any custom route keys matched by `$request.body.action` (see `route`). */
  readonly routes?: Readonly<Record<string, RouteTarget>>;
  readonly limits?: Partial<typeof API_GATEWAY_LIMITS>;
  readonly log?: (line: string) => void;
}

interface Connection extends ManagedConnection {
  readonly id: string;
  lastActiveAt: number;
  /** Integrations of one connection run in arrival order. */
  chain: Promise<void>;
  idleTimer: NodeJS.Timeout | undefined;
  readonly maxTimer: NodeJS.Timeout;
  closed: boolean;
}

/**
 * A local stand-in for an API Gateway WebSocket API (`make mock`). It runs the real
 * `$connect` / `$disconnect` handler code with API Gateway's event shapes, selects routes by
 * `$request.body.action` (anything unmatched goes to `$default`), forwards to HTTP or Lambda
 * integrations, serves the `@connections` management API that the unmodified AWS SDK client
 * calls (410 + `x-amzn-errortype: GoneException` for unknown connections), and enforces
 * API Gateway's frame, message, idle and lifetime limits.
 */
export class GatewayEmulator {
  readonly #o: GatewayEmulatorOptions;
  readonly #limits: typeof API_GATEWAY_LIMITS;
  readonly #stage: string;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #connections = new Map<string, Connection>();
  readonly #routes = new Map<string, RouteTarget>();
  #url: string | undefined;

  constructor(options: GatewayEmulatorOptions) {
    this.#o = options;
    this.#limits = { ...API_GATEWAY_LIMITS, ...options.limits };
    this.#stage = options.stage ?? 'local';
    for (const [key, target] of Object.entries(options.routes ?? {})) this.route(key, target);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#limits.messageBytes,
      perMessageDeflate: false,
    });
    this.#server = createServer((req, res) => {
      serveManagement(req, res, {
        stage: this.#stage,
        messageBytes: this.#limits.messageBytes,
        connection: (id) => this.#connections.get(id),
        drop: (connection) => this.#drop(connection, 1000, ''),
      }).catch((e: unknown) => {
        this.#log(`management API failure: ${String(e)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
      });
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(req, socket, head).catch((e: unknown) => {
        this.#log(`upgrade failure: ${String(e)}`);
        socket.destroy();
      });
    });
  }

  /** ws://host:port/{stage}: where clients connect. */
  get url(): string {
    if (this.#url === undefined) throw new Error('the emulator is not listening');
    return `ws://${this.#url}/${this.#stage}`;
  }

  /** http://host:port/{stage}: the management API endpoint for the AWS SDK client. */
  get managementUrl(): string {
    if (this.#url === undefined) throw new Error('the emulator is not listening');
    return `http://${this.#url}/${this.#stage}`;
  }

  /** Adds or replaces a route (e.g. `$default` once the backend's port is known). */
  route(key: string, target: RouteTarget): void {
    this.#routes.set(key, target);
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async listen(): Promise<void> {
    const host = this.#o.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port ?? 0, host, () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Closes every client connection (running `$disconnect` for each), then the listener. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#connections.values()].map((c) => this.#drop(c, 1001, 'Going away')),
    );
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // --- client side ---

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname.replace(/\/$/, '') !== `/${this.#stage}`) {
      rejectUpgrade(socket, 403, { message: 'Forbidden' });
      return;
    }
    const id = newConnectionId();
    const now = Date.now();
    const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
    const userAgent = req.headers['user-agent'] ?? '';
    const query = Object.fromEntries(url.searchParams);
    const event = gatewayEvent(
      this.#api(),
      id,
      '$connect',
      'CONNECT',
      now,
      {
        headers: flatHeaders(req),
        multiValueHeaders: multiHeaders(req),
        queryStringParameters: Object.keys(query).length > 0 ? query : null,
        multiValueQueryStringParameters:
          Object.keys(query).length > 0
            ? Object.fromEntries(
                [...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)]),
              )
            : null,
        isBase64Encoded: false,
      },
      { sourceIp, userAgent },
    );
    const result = await this.#invoke(this.#o.onConnect, event);
    if (result.statusCode < 200 || result.statusCode > 299) {
      this.#log(`$connect refused (${result.statusCode})`);
      rejectUpgrade(socket, result.statusCode, result.body);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = {
        id,
        ws,
        connectedAt: now,
        sourceIp,
        userAgent,
        lastActiveAt: now,
        chain: Promise.resolve(),
        idleTimer: undefined,
        maxTimer: setTimeout(
          () => void this.#drop(connection, 1001, 'Going away'),
          this.#limits.maxConnectionMs,
        ),
        closed: false,
      };
      this.#connections.set(id, connection);
      this.#touch(connection);
      this.#log(`connected ${id}`);
      ws.on('message', (data: RawData, isBinary: boolean) =>
        this.#onMessage(connection, data, isBinary),
      );
      ws.on('close', (code: number, reason: Buffer) => {
        void this.#drop(connection, code, reason.toString('utf8'));
      });
      ws.on('error', () => undefined); // 'close' follows
    });
  }

  #onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    this.#touch(connection);
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length > this.#limits.frameBytes) {
      // API Gateway closes a connection that sends an oversized frame.
      void this.#drop(connection, 1009, 'Message too big');
      return;
    }
    const body = isBinary ? bytes.toString('base64') : bytes.toString('utf8');
    const routeKey = this.#selectRoute(isBinary ? undefined : body);
    const event = gatewayEvent(
      this.#api(),
      connection.id,
      routeKey,
      'MESSAGE',
      Date.now(),
      {
        body,
        isBase64Encoded: isBinary,
      },
      connection,
    );
    connection.chain = connection.chain.then(() => this.#integrate(connection, routeKey, event));
  }

  /** Route selection expression `$request.body.action`; unmatched or unparsable → `$default`. */
  #selectRoute(body: string | undefined): string {
    if (body === undefined) return '$default';
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && 'action' in parsed) {
        const action = parsed.action;
        if (typeof action === 'string' && this.#routes.has(action) && !action.startsWith('$')) {
          return action;
        }
      }
    } catch {
      // not JSON: the selection expression cannot be evaluated
    }
    return '$default';
  }

  async #integrate(connection: Connection, routeKey: string, event: WebSocketRouteEvent) {
    const target = this.#routes.get(routeKey);
    if (target === undefined) {
      this.#toClient(connection, { message: 'Forbidden', connectionId: connection.id });
      return;
    }
    const ok = await integrate(target, event, (line) => this.#log(line));
    if (!ok) {
      // What API Gateway itself sends a client whose message could not be integrated.
      this.#toClient(connection, {
        message: 'Internal server error',
        connectionId: connection.id,
        requestId: event.requestContext.requestId,
      });
    }
  }

  #toClient(connection: Connection, payload: object): void {
    if (connection.ws.readyState === WebSocket.OPEN) connection.ws.send(JSON.stringify(payload));
  }

  #touch(connection: Connection): void {
    connection.lastActiveAt = Date.now();
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(
      () => void this.#drop(connection, 1001, 'Going away'),
      this.#limits.idleTimeoutMs,
    );
  }

  /** Ends a connection once: closes the socket if open, then runs `$disconnect`. */
  async #drop(connection: Connection, code: number, reason: string): Promise<void> {
    if (connection.closed) return;
    connection.closed = true;
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    this.#connections.delete(connection.id);
    if (connection.ws.readyState === WebSocket.OPEN) connection.ws.close(code, reason);
    this.#log(`disconnected ${connection.id} (${code})`);
    const event = gatewayEvent(
      this.#api(),
      connection.id,
      '$disconnect',
      'DISCONNECT',
      Date.now(),
      {
        headers: {},
        isBase64Encoded: false,
      },
      connection,
      { disconnectStatusCode: code, disconnectReason: reason },
    );
    await this.#invoke(this.#o.onDisconnect, event);
  }

  // --- helpers ---

  #api(): GatewayApi {
    return { stage: this.#stage, domainName: this.#url ?? 'localhost' };
  }

  async #invoke(
    handler: WebSocketHandler,
    event: WebSocketRouteEvent,
  ): Promise<WebSocketRouteResult> {
    try {
      return await handler(event);
    } catch (e) {
      // An unhandled Lambda error: API Gateway answers 500 (and refuses a $connect).
      this.#log(`${event.requestContext.routeKey} handler threw: ${String(e)}`);
      return { statusCode: 500, body: JSON.stringify({ message: 'Internal server error' }) };
    }
  }

  #log(line: string): void {
    this.#o.log?.(line);
  }
}
