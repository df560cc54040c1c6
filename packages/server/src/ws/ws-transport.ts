import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { AccountService } from '../accounts/account-service.ts';
import type { ChatService } from '../chat/chat-service.ts';
import { CLOSE_CODES, type ImmediateSender } from '../chat/connection-sender.ts';
import { serializeFrame, type ServerFrame } from '../chat/frames.ts';
import { toErrorResponse } from '../error-response.ts';
import { ServerError } from '../errors.ts';
import {
  MAX_BUFFERED_BYTES_PER_CONNECTION,
  MAX_WS_PAYLOAD_BYTES,
  PAUSE_READING_AT_PENDING_FRAMES,
} from '../limits.ts';
import type { Metrics } from '../metrics.ts';

export const WS_PATH = '/v1/ws';

interface Socket {
  readonly ws: WebSocket;
  /** The TCP socket under `ws`, corked while frames for it pile up in one event-loop turn. */
  readonly tcp: Duplex;
  alive: boolean;
  /** Frames handed to the core and not yet handled. */
  pending: number;
  /** Corked in this event-loop turn (listed in WsTransport's #corked). */
  corked: boolean;
}

export interface WsTransportOptions {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly heartbeatIntervalMs: number;
  readonly maxBufferedBytes?: number;
}

/**
 * The built-in real-time edge: a `ws` server on the HTTP server's `upgrade` event. It
 * authenticates with a single-use ticket *before* accepting the upgrade (a bad ticket gets a
 * plain 401, no socket), keeps sockets alive with protocol pings, and is the chat core's
 * ConnectionSender. Everything about frames and delivery lives in the core.
 */
export class WsTransport implements ImmediateSender {
  readonly #o: WsTransportOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_PAYLOAD_BYTES,
    // Compression of ciphertext gains nothing and costs memory per socket (and CRIME-style risk).
    perMessageDeflate: false,
  });
  readonly #sockets = new Map<string, Socket>();
  #heartbeat: NodeJS.Timeout | undefined;
  #accepting = true;
  /**
   * Sockets corked in this event-loop turn; uncorked together by #uncorkAll. A fresh array
   * each turn rather than a long-lived Set that is cleared: V8 allocates a cleared or rehashed
   * Set's new table in the old generation once the Set lives there, so each turn's clear() was
   * old-space garbage and brought full mark-compacts (packages/server/README.md, round 7).
   */
  #corked: Socket[] = [];

  constructor(options: WsTransportOptions) {
    this.#o = options;
  }

  /** Starts serving upgrades on `server`, handing authenticated sockets to `chat`. */
  attach(server: Server, chat: ChatService, accounts: AccountService): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(request, socket, head, chat, accounts).catch((e: unknown) => {
        this.#o.log.error({ err: e }, 'upgrade failed');
        socket.destroy();
      });
    });
    this.#heartbeat = setInterval(() => this.#beat(), this.#o.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#sockets.size;
  }

  send(connectionId: string, frame: ServerFrame): Promise<boolean> {
    return Promise.resolve(this.sendNow(connectionId, frame));
  }

  sendNow(connectionId: string, frame: ServerFrame): boolean {
    const socket = this.#sockets.get(connectionId);
    if (socket === undefined || socket.ws.readyState !== WebSocket.OPEN) return false;
    // Back-pressure: a reader this far behind gets closed, not an ever-growing buffer.
    if (
      socket.ws.bufferedAmount > (this.#o.maxBufferedBytes ?? MAX_BUFFERED_BYTES_PER_CONNECTION)
    ) {
      this.#o.log.warn({ connectionId }, 'closing slow consumer');
      socket.ws.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
      return false;
    }
    this.#cork(socket);
    socket.ws.send(serializeFrame(frame));
    return true;
  }

  /**
   * A group commit answers many frames of the same socket at once (its `sent` acks, its
   * deliveries). Unbuffered, each `ws.send` is its own writev syscall; corked until the task
   * that sends them is done (the commit, the sync's completion, with their promise
   * callbacks), a socket's frames leave in one. Not until `setImmediate`: a commit runs in the
   * check phase, so its deliveries would wait for the whole next poll phase. `bufferedAmount`
   * counts corked bytes, so the slow-consumer check above still sees them.
   */
  #cork(socket: Socket): void {
    if (socket.corked) return;
    // nextTick runs once the current task and its microtasks are done, before any I/O.
    if (this.#corked.length === 0) process.nextTick(this.#uncorkAll);
    socket.tcp.cork();
    socket.corked = true;
    this.#corked.push(socket);
  }

  readonly #uncorkAll = (): void => {
    const corked = this.#corked;
    this.#corked = [];
    for (const socket of corked) {
      socket.corked = false;
      socket.tcp.uncork();
    }
  };

  close(connectionId: string, code: number, reason: string): Promise<void> {
    this.#sockets.get(connectionId)?.ws.close(code, reason);
    return Promise.resolve();
  }

  /** Shutdown: refuse new upgrades (the core closes open sockets with 1001). */
  stopAccepting(): void {
    this.#accepting = false;
    clearInterval(this.#heartbeat);
  }

  /** Last resort after the grace period: drop whatever is still open. */
  terminateAll(): void {
    for (const { ws } of this.#sockets.values()) ws.terminate();
    this.#wss.close();
  }

  async #upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    chat: ChatService,
    accounts: AccountService,
  ): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return this.#reject(socket, new ServerError('NOT_FOUND'));
    if (!this.#accepting) return this.#reject(socket, new ServerError('SERVER_BUSY'));
    const ticket = url.searchParams.get('ticket');
    let principal;
    try {
      if (ticket === null || ticket.length > 128) throw new ServerError('TICKET_INVALID');
      principal = await accounts.redeemTicket(ticket);
    } catch (e) {
      return this.#reject(socket, e);
    }
    const tcp = socket;
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      // Not randomUUID(): Node builds it by concatenation, and the id, kept for the life of the
      // connection, stayed a tree of ~14 cons strings (~450 bytes per idle connection in a heap
      // snapshot). A hex string from randomBytes is one flat string.
      const connectionId = randomBytes(16).toString('hex');
      const socket: Socket = { ws, tcp, alive: true, pending: 0, corked: false };
      this.#sockets.set(connectionId, socket);
      ws.on('pong', () => {
        socket.alive = true;
      });
      ws.on('message', (data: RawData) => {
        // Stop reading while the core is behind: TCP flow control slows the client down.
        if (++socket.pending >= PAUSE_READING_AT_PENDING_FRAMES) ws.pause();
        chat.takeFrame(connectionId, rawToString(data), () => {
          if (--socket.pending < PAUSE_READING_AT_PENDING_FRAMES && ws.isPaused) ws.resume();
        });
      });
      ws.on('error', (e) => this.#o.log.debug({ err: e, connectionId }, 'socket error'));
      ws.on('close', () => {
        this.#sockets.delete(connectionId);
        chat.onDisconnect(connectionId);
      });
      chat.onConnect(connectionId, principal).catch((e: unknown) => {
        this.#o.log.error({ err: e, connectionId }, 'connect failed');
        ws.close(CLOSE_CODES.INTERNAL_ERROR, 'internal error');
      });
    });
  }

  /** Refuses an upgrade with a plain HTTP error carrying the usual `{ code, message }`. */
  #reject(socket: Duplex, error: unknown): void {
    const response = toErrorResponse(error, this.#o.log);
    this.#o.metrics.errors.inc({ code: response.code });
    const body = JSON.stringify({ code: response.code, message: response.message });
    socket.end(
      `HTTP/1.1 ${response.status} ${response.code}\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  /** A socket that has not answered the previous ping is dead (NAT timeout, pulled cable). */
  #beat(): void {
    for (const socket of this.#sockets.values()) {
      if (!socket.alive) {
        socket.ws.terminate();
        continue;
      }
      socket.alive = false;
      socket.ws.ping();
    }
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
