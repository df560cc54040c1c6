/**
 * @susurro/server — the chat service: HTTP API, WebSocket delivery, storage adapters.
 * Entry points (apps/server) call `loadConfig` and `startServer`; tests may use the parts.
 */
export { loadConfig, ConfigError, DEFAULT_CONFIG, databaseFile, type Config } from './config.ts';
export { startServer, composeServer, type RunningServer, type ServerDeps } from './server.ts';
export { runUntilSignal } from './run.ts';
export { createLogger } from './logger.ts';
export {
  ServerError,
  isServerError,
  ERROR_CATALOGUE,
  ERROR_CODES,
  type ErrorCode,
} from './errors.ts';
export * as limits from './limits.ts';
export { ChatService, type ChatServiceOptions } from './chat/chat-service.ts';
export { CLOSE_CODES, type ConnectionSender } from './chat/connection-sender.ts';
export { InProcessFanOut, type FanOut } from './chat/fan-out.ts';
export { FRAME_VERSION, type ClientFrame, type ServerFrame } from './chat/frames.ts';
export type { Principal } from './principal.ts';
export * from './storage/types.ts';
export { SqliteStorage, type SqliteStorageOptions } from './storage/sqlite/index.ts';
export { MongoStorage, type MongoStorageOptions } from './storage/mongodb/index.ts';
export { openStorage } from './storage/open-storage.ts';
export { newSecret, hashSecret } from './accounts/secrets.ts';
export { RedisFanOut, type RedisFanOutOptions } from './cluster/redis-fan-out.ts';
export type { Recipient } from './chat/fan-out.ts';
export type { GatewayConfig, RealtimeConfig, StorageConfig } from './config.ts';
