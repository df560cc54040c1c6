/**
 * Shared setup for the serverless-edge tests: a dynalite with the connections table, a SQLite
 * storage in a temp dir, and the Lambda handlers wired to both exactly as in Lambda.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, SqliteStorage, type Storage } from '@susurro/server';
import {
  ConnectionsTable,
  createConnectHandler,
  createDisconnectHandler,
  type LambdaHandlerDeps,
  type WebSocketRouteEvent,
} from '@susurro/server/gateway';
import { startLocalDynamoDb, type LocalDynamoDb } from '../src/local-dynamodb.ts';

export interface EdgeFixture {
  readonly dynamo: LocalDynamoDb;
  readonly table: ConnectionsTable;
  readonly storage: Storage;
  readonly dataDir: string;
  readonly deps: LambdaHandlerDeps;
  readonly onConnect: ReturnType<typeof createConnectHandler>;
  readonly onDisconnect: ReturnType<typeof createDisconnectHandler>;
  close(): Promise<void>;
}

let tables = 0;

export async function startEdge(clock: () => number = Date.now): Promise<EdgeFixture> {
  const dynamo = await startLocalDynamoDb();
  const table = new ConnectionsTable({
    tableName: `connections_${process.pid}_${tables++}`,
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
  });
  await table.ensureTable();
  const dataDir = await mkdtemp(join(tmpdir(), 'susurro-edge-'));
  const storage = new SqliteStorage({ file: join(dataDir, 'susurro.db') });
  const deps: LambdaHandlerDeps = {
    storage: () => Promise.resolve(storage),
    connections: table,
    clock,
    log: createLogger('silent'),
  };
  return {
    dynamo,
    table,
    storage,
    dataDir,
    deps,
    onConnect: createConnectHandler(deps),
    onDisconnect: createDisconnectHandler(deps),
    async close() {
      table.close();
      await storage.close();
      await dynamo.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A `$connect` event as API Gateway sends it (fields from its documentation's sample). */
export function connectEvent(
  connectionId: string,
  query: Record<string, string> | null,
): WebSocketRouteEvent {
  const now = Date.now();
  return {
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com', 'Sec-WebSocket-Version': '13' },
    multiValueHeaders: {
      Host: ['abc123.execute-api.us-east-1.amazonaws.com'],
      'Sec-WebSocket-Version': ['13'],
    },
    queryStringParameters: query,
    multiValueQueryStringParameters:
      query === null ? null : Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      extendedRequestId: 'Fh3RzGL2oAMFtVw=',
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: 'prod',
      connectedAt: now,
      requestTimeEpoch: now,
      identity: { sourceIp: '203.0.113.7', userAgent: 'susurro-test' },
      requestId: 'Fh3RzGL2oAMFtVw=',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      connectionId,
      apiId: 'abc123',
    },
    isBase64Encoded: false,
  } as WebSocketRouteEvent;
}

/** A `$disconnect` event as API Gateway sends it. */
export function disconnectEvent(connectionId: string, code = 1001): WebSocketRouteEvent {
  const now = Date.now();
  return {
    headers: { Host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    multiValueHeaders: { Host: ['abc123.execute-api.us-east-1.amazonaws.com'] },
    requestContext: {
      routeKey: '$disconnect',
      disconnectStatusCode: code,
      eventType: 'DISCONNECT',
      extendedRequestId: 'Fh3TwGL2oAMFtVx=',
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      disconnectReason: 'Client-side close frame status code',
      stage: 'prod',
      connectedAt: now - 60_000,
      requestTimeEpoch: now,
      identity: { sourceIp: '203.0.113.7', userAgent: 'susurro-test' },
      requestId: 'Fh3TwGL2oAMFtVx=',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      connectionId,
      apiId: 'abc123',
    },
    isBase64Encoded: false,
  } as WebSocketRouteEvent;
}
