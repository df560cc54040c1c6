import type { ServerFrame } from './frames.ts';

/**
 * How the chat core talks to whatever holds the sockets: the built-in `ws` server, the
 * API Gateway management API, or a test double. The core never imports a transport.
 */
export interface ConnectionSender {
  /**
   * Sends one frame. Resolves false when the connection is gone or was closed for being a
   * slow consumer; the core then stops using it (its queue stays intact).
   */
  send(connectionId: string, frame: ServerFrame): Promise<boolean>;
  close(connectionId: string, code: number, reason: string): Promise<void>;
}

/**
 * A ConnectionSender that can also send synchronously (the built-in `ws` server, whose socket
 * write is synchronous underneath). The core then answers and delivers without a promise per
 * frame; any other sender (API Gateway, whose send is an HTTP call) takes the async path.
 */
export interface ImmediateSender extends ConnectionSender {
  /** `send`, done now: false when the connection is gone or was closed as a slow consumer. */
  sendNow(connectionId: string, frame: ServerFrame): boolean;
}

export function isImmediateSender(sender: ConnectionSender): sender is ImmediateSender {
  return typeof (sender as Partial<ImmediateSender>).sendNow === 'function';
}

/** WebSocket close codes the server uses (4000-4999 are application-defined, RFC 6455 §7.4.2). */
export const CLOSE_CODES = {
  /** Server shutting down; reconnect with backoff. */
  GOING_AWAY: 1001,
  /** Frame above MAX_WS_PAYLOAD_BYTES (sent by the ws library). */
  MESSAGE_TOO_BIG: 1009,
  /** Unexpected server-side failure; reconnect with backoff. */
  INTERNAL_ERROR: 1011,
  /** Another connection of the same device took over; do not reconnect automatically. */
  REPLACED: 4001,
  /** Too many unsent bytes buffered for this socket; reconnect, undelivered messages remain. */
  SLOW_CONSUMER: 4002,
  /** The device's session was logged out. */
  SESSION_ENDED: 4003,
} as const;
