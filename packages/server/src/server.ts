import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { nodeCryptoProvider } from '@susurro/protocol/node';
import { AccountService } from './accounts/account-service.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import { ChatService } from './chat/chat-service.ts';
import { InProcessFanOut, type FanOut } from './chat/fan-out.ts';
import { MessageService } from './chat/message-service.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { buildHttpApp } from './http/app.ts';
import { KeyService } from './keys/key-service.ts';
import {
  DEDUPE_WINDOW_MS,
  MAX_DEVICES_PER_ACCOUNT,
  SCRYPT_LOG2_N,
  SWEEP_INTERVAL_MS,
} from './limits.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { RateLimiter } from './rate-limiter.ts';
import { SqliteStorage } from './storage/sqlite/index.ts';
import type { Storage } from './storage/types.ts';
import { registerStaticWeb } from './http/static-web.ts';
import { WsTransport, WS_PATH } from './ws/ws-transport.ts';
import type { ConnectionSender } from './chat/connection-sender.ts';
import { RedisFanOut } from './cluster/redis-fan-out.ts';
import { ConnectionsTable } from './gateway/connections-table.ts';
import { GatewayTransport } from './gateway/gateway-transport.ts';
import { openStorage, sqliteOptions } from './storage/open-storage.ts';

export interface ServerDeps {
  /** Defaults to the configured adapter (SQLite under `config.dataDir`). */
  readonly storage?: Storage;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Defaults to Redis when `config.redisUrl` is set, else in-process. */
  readonly fanOut?: FanOut;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 (the real port when config.port was 0). */
  readonly url: string;
  /** Where clients open their WebSocket (the gateway's URL in gateway mode). */
  readonly wsUrl: string;
  readonly app: FastifyInstance;
  readonly chat: ChatService;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Graceful shutdown: stop accepting, drain sockets, finish requests, close storage. */
  close(): Promise<void>;
}

/** Who holds the sockets, seen from the server's lifecycle. */
interface RealtimeEdge {
  readonly sender: ConnectionSender;
  start(chat: ChatService, app: FastifyInstance, accounts: AccountService): void;
  /** Before draining: refuse new connections. */
  stopAccepting(): void;
  /** After draining. */
  shutdown(): void;
}

function createEdge(
  config: Config,
  parts: { log: Logger; metrics: Metrics; fanOut: FanOut; clock: Clock },
): RealtimeEdge {
  const realtime = config.realtime;
  if (realtime.kind === 'gateway') {
    const connections = new ConnectionsTable({
      tableName: realtime.connectionsTable,
      region: realtime.region,
      endpoint: realtime.dynamodbEndpoint,
    });
    const gateway = new GatewayTransport({ config: realtime, connections, ...parts });
    return {
      sender: gateway,
      start: (chat, app) => gateway.attach(app, chat),
      stopAccepting: () => undefined,
      shutdown: () => {
        gateway.shutdown();
        connections.close();
      },
    };
  }
  const ws = new WsTransport({
    log: parts.log,
    metrics: parts.metrics,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    maxBufferedBytes: config.maxBufferedBytes,
  });
  return {
    sender: ws,
    start: (chat, app, accounts) => ws.attach(app.server, chat, accounts),
    stopAccepting: () => ws.stopAccepting(),
    shutdown: () => ws.terminateAll(),
  };
}

/** Wires adapters and services together. Entry points only call this and `startServer`. */
export function composeServer(config: Config, deps: ServerDeps = {}) {
  const log = deps.log ?? createLogger(config.logLevel);
  const clock = deps.clock ?? systemClock;
  const storage = deps.storage ?? new SqliteStorage(sqliteOptions(config));
  const metrics = createMetrics(() => storage.countQueuedMessages());
  const limiter = new RateLimiter(clock);
  const fanOut = deps.fanOut ?? new InProcessFanOut();
  const { rateLimits } = config;
  const accounts = new AccountService({
    storage,
    hasher: new PasswordHasher(config.scryptLog2N),
    limiter,
    clock,
    rateLimits,
    tokenLifetimeMs: config.tokenLifetimeMs,
    ticketLifetimeMs: config.ticketLifetimeMs,
    maxDevices: MAX_DEVICES_PER_ACCOUNT,
  });
  const keys = new KeyService({ storage, crypto: nodeCryptoProvider, limiter, clock, rateLimits });
  const messages = new MessageService({ storage, fanOut, limiter, clock, metrics, rateLimits });
  const edge = createEdge(config, { log, metrics, fanOut, clock });
  const chat = new ChatService({
    storage,
    messages,
    sender: edge.sender,
    fanOut,
    metrics,
    log,
    clock,
    maxUnacked: config.deliveryWindow,
    maxUnackedBytes: config.deliveryWindowBytes,
  });
  let ready = false;
  const app = buildHttpApp({
    config,
    log,
    storage,
    metrics,
    accounts,
    keys,
    messages,
    chat,
    isReady: () => ready,
  });
  if (config.webDir !== undefined) registerStaticWeb(app, config.webDir);
  edge.start(chat, app, accounts);
  if (config.scryptLog2N < SCRYPT_LOG2_N) {
    log.warn(
      { scryptLog2N: config.scryptLog2N },
      'password hashing below the OWASP cost: tests only',
    );
  }
  return {
    log,
    storage,
    metrics,
    chat,
    app,
    edge,
    sweep: () => storage.sweep(clock(), clock() - DEDUPE_WINDOW_MS),
    setReady: (value: boolean) => {
      ready = value;
    },
  };
}

export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  const log = deps.log ?? createLogger(config.logLevel);
  // Adapters this function opens, it also closes (in reverse order) on shutdown or failure.
  const owned: Array<() => Promise<void>> = [];
  const release = async () => {
    for (const close of owned.reverse()) await close();
  };
  let parts: ReturnType<typeof composeServer>;
  try {
    let storage = deps.storage;
    if (storage === undefined) {
      const opened = await openStorage(config);
      owned.push(() => opened.close());
      storage = opened;
    }
    let fanOut = deps.fanOut;
    if (fanOut === undefined && config.redisUrl !== undefined) {
      const redis = await RedisFanOut.connect({
        url: config.redisUrl,
        nodeId: config.nodeId,
        cluster: config.clusterName,
        log,
      });
      owned.push(() => redis.close());
      fanOut = redis;
    }
    parts = composeServer(config, { ...deps, log, storage, ...(fanOut && { fanOut }) });
    await parts.app.listen({ host: config.host, port: config.port });
  } catch (e) {
    await release();
    throw e;
  }
  const { app, chat, edge } = parts;
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
  const wsUrl =
    config.realtime.kind === 'gateway'
      ? config.realtime.publicWsUrl
      : `${config.tls ? 'wss' : 'ws'}://${host}:${port}${WS_PATH}`;
  const sweeper = setInterval(() => {
    parts.sweep().catch((e: unknown) => log.error({ err: e }, 'sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  parts.setReady(true);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      log.info('shutting down');
      parts.setReady(false);
      clearInterval(sweeper);
      edge.stopAccepting();
      await chat.drain(config.shutdownGraceMs);
      edge.shutdown();
      await app.close();
      await release();
      log.info('stopped');
    })();
    return closing;
  };
  log.info(
    { url, wsUrl, storage: config.storage.kind, realtime: config.realtime.kind },
    'listening',
  );
  return { url, wsUrl, app, chat, metrics: parts.metrics, log, close };
}
