import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
} from 'fastify';
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/account-service.ts';
import type { ChatService } from '../chat/chat-service.ts';
import type { MessageService } from '../chat/message-service.ts';
import type { Config } from '../config.ts';
import { ServerError } from '../errors.ts';
import type { KeyService } from '../keys/key-service.ts';
import { MAX_HTTP_BODY_BYTES } from '../limits.ts';
import type { Metrics } from '../metrics.ts';
import type { Storage } from '../storage/types.ts';
import { GATEWAY_FRAMES_PATH } from '../gateway/constants.ts';
import { WS_PATH } from '../ws/ws-transport.ts';
import { requireAuth } from './auth.ts';
import { sendError } from './error-handler.ts';
import { OpenApiCollector } from './openapi.ts';
import { accountRoutes } from './routes/account-routes.ts';
import { keyRoutes } from './routes/key-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { opsRoutes } from './routes/ops-routes.ts';

export interface HttpAppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly storage: Storage;
  readonly metrics: Metrics;
  readonly accounts: AccountService;
  readonly keys: KeyService;
  readonly messages: MessageService;
  /** Absent when no WebSocket transport runs (e.g. `inject` tests). */
  readonly chat?: ChatService;
  readonly isReady: () => boolean;
}

// Probes and scrapes, and gateway frames (one request per WebSocket frame, like the built-in
// WebSocket's frames, which are not logged one by one either).
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics', GATEWAY_FRAMES_PATH]);

/** The HTTP API as a fastify instance (not listening yet; tests drive it with `inject`). */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const { config, metrics } = deps;
  const tls = config.tls;
  // Our own server factory keeps one code path for HTTP and HTTPS (and one server type).
  const serverFactory: FastifyServerFactory = (handler) =>
    tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
  // Typed as fastify's logger interface so the instance type stays the default one.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = fastify({
    loggerInstance,
    serverFactory,
    genReqId: () => randomUUID(),
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: (request) => QUIET_PATHS.has(request.url),
    }),
    bodyLimit: MAX_HTTP_BODY_BYTES,
    trustProxy: config.trustProxy,
    // Strict schemas: no type coercion, unknown properties rejected rather than dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.decorateRequest('principal', null);

  const openapi = new OpenApiCollector();
  app.addHook('onRoute', openapi.onRoute);
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, metrics));
  app.setNotFoundHandler((request, reply) =>
    sendError(new ServerError('NOT_FOUND', 'No such route.'), request, reply, metrics),
  );

  const auth = requireAuth(deps.accounts);
  const wsUrl = config.realtime.kind === 'gateway' ? config.realtime.publicWsUrl : WS_PATH;
  accountRoutes(app, deps.accounts, deps.chat, auth, wsUrl);
  keyRoutes(app, deps.keys, auth);
  messageRoutes(app, deps.messages, deps.storage, auth);
  opsRoutes(app, { storage: deps.storage, metrics, openapi, isReady: deps.isReady });
  return app;
}
