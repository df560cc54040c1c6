/**
 * @susurro/client — the SDK every Susurro client uses (isomorphic). Node helpers (SQLite
 * store, `ws`) live at `@susurro/client/node`; browsers bring IndexedDB and WebSocket.
 */
export {
  Messenger,
  type MessengerEvents,
  type MessengerOptions,
  type SendOptions,
} from './messenger.ts';
export { ClientError, isClientError, CLIENT_ERROR_CODES, type ClientErrorCode } from './errors.ts';
export * from './limits.ts';
export { HttpApi, type FetchLike } from './api/http-api.ts';
export type * from './api/types.ts';
export {
  RealtimeConnection,
  type ConnectionState,
  type WebSocketConstructor,
  type WebSocketLike,
} from './realtime/connection.ts';
export { MemoryBackend, type KeyValueBackend, type WriteOp } from './store/backend.ts';
export { VaultStore, type VaultOptions } from './store/vault.ts';
export {
  ClientStore,
  type AccountRecord,
  type ContactRecord,
  type MessageRecord,
  type MessageStatus,
} from './store/client-store.ts';
export { observeIdentity } from './sessions/peer-sessions.ts';
export { toBase64, fromBase64 } from './base64.ts';
export { newMessageId } from './content.ts';
export {
  Outbox,
  classifySendError,
  type OutboxEntry,
  type OutboxOptions,
  type OutboxState,
  type RecordStore,
} from './outbox.ts';
