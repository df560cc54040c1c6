import type { Logger } from 'pino';
import { hashSecret } from '../accounts/secrets.ts';
import type { Clock } from '../clock.ts';
import { toErrorResponse } from '../error-response.ts';
import { ServerError } from '../errors.ts';
import type { Storage } from '../storage/types.ts';
import type { ConnectionsTable } from './connections-table.ts';

/**
 * The parts of an API Gateway WebSocket route event these handlers read. API Gateway sends more
 * (headers, multiValue*, identity, stage, apiId, requestTimeEpoch, …); the emulator sends the
 * same fields. `queryStringParameters` only exists on `$connect`, and is null without a query.
 */
export interface WebSocketRouteEvent {
  readonly requestContext: {
    readonly connectionId: string;
    readonly routeKey: string;
    readonly eventType: 'CONNECT' | 'DISCONNECT' | 'MESSAGE';
    readonly connectedAt?: number;
    readonly requestId?: string;
    readonly disconnectStatusCode?: number;
    readonly disconnectReason?: string;
  };
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** What a route's Lambda returns; for `$connect` a non-2xx status refuses the handshake. */
export interface WebSocketRouteResult {
  readonly statusCode: number;
  readonly body?: string;
}

export interface LambdaHandlerDeps {
  /** Opened lazily and reused across warm invocations. */
  readonly storage: () => Promise<Storage>;
  readonly connections: ConnectionsTable;
  readonly clock: Clock;
  readonly log: Logger;
}

export type WebSocketHandler = (event: WebSocketRouteEvent) => Promise<WebSocketRouteResult>;

/** `$connect`: redeem the single-use ticket, then record which device owns the connection. */
export function createConnectHandler(deps: LambdaHandlerDeps): WebSocketHandler {
  return async (event) => {
    const context = event.requestContext;
    const log = deps.log.child({ connectionId: context.connectionId, route: context.routeKey });
    try {
      if (context.eventType !== 'CONNECT') {
        throw new ServerError('VALIDATION_FAILED', 'onConnect handles $connect events only.');
      }
      const ticket = event.queryStringParameters?.ticket;
      if (ticket === undefined || ticket === '') throw new ServerError('TICKET_INVALID');
      const storage = await deps.storage();
      const now = deps.clock();
      const principal = await storage.consumeTicket(hashSecret(ticket), now);
      if (principal === undefined) throw new ServerError('TICKET_INVALID');
      await deps.connections.put(context.connectionId, principal, now);
      log.info({ deviceId: principal.deviceId }, 'connection recorded');
      return { statusCode: 200 };
    } catch (e) {
      return errorResult(e, log);
    }
  };
}

/**
 * `$disconnect`: forget the connection. Best effort by API Gateway's own account (it may never
 * be called), which is why records also carry a TTL and 410s clean up stale ones.
 */
export function createDisconnectHandler(deps: LambdaHandlerDeps): WebSocketHandler {
  return async (event) => {
    const context = event.requestContext;
    const log = deps.log.child({ connectionId: context.connectionId, route: context.routeKey });
    try {
      if (context.eventType !== 'DISCONNECT') {
        throw new ServerError('VALIDATION_FAILED', 'onDisconnect handles $disconnect events only.');
      }
      await deps.connections.delete(context.connectionId);
      log.info(
        { status: context.disconnectStatusCode, reason: context.disconnectReason },
        'connection removed',
      );
      return { statusCode: 200 };
    } catch (e) {
      return errorResult(e, log);
    }
  };
}

function errorResult(error: unknown, log: Logger): WebSocketRouteResult {
  const response = toErrorResponse(error, log);
  if (response.code !== 'INTERNAL') log.info({ code: response.code }, 'refused');
  return {
    statusCode: response.status,
    body: JSON.stringify({ code: response.code, message: response.message }),
  };
}
