/**
 * @susurro/server/gateway — the serverless edge's shared code: the Lambda handlers for
 * `$connect` / `$disconnect`, their wiring from the environment, and the `connections` table.
 * A separate entry so Lambda bundles do not pull in the HTTP server.
 */
export {
  createConnectHandler,
  createDisconnectHandler,
  type LambdaHandlerDeps,
  type WebSocketHandler,
  type WebSocketRouteEvent,
  type WebSocketRouteResult,
} from './lambda-handlers.ts';
export { lambdaDepsFromEnv } from './lambda-env.ts';
export {
  ConnectionsTable,
  MAX_CONNECTION_TTL_SECONDS,
  USERNAME_INDEX,
  type ConnectionRecord,
  type ConnectionsTableOptions,
} from './connections-table.ts';
export { GATEWAY_FRAMES_PATH, CONNECTION_ID_HEADER, GATEWAY_SECRET_HEADER } from './constants.ts';
