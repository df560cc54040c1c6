import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { toErrorResponse } from '../error-response.ts';
import { ServerError } from '../errors.ts';
import {
  MAX_PENDING_FRAMES_PER_CONNECTION,
  MAX_UNACKED_DELIVERIES,
  MAX_UNACKED_DELIVERY_BYTES,
} from '../limits.ts';
import type { Metrics } from '../metrics.ts';
import type { Principal } from '../principal.ts';
import type { DeviceAddress, Storage } from '../storage/types.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { CLOSE_CODES, isImmediateSender, type ConnectionSender } from './connection-sender.ts';
import type { FanOut } from './fan-out.ts';
import { parseClientFrame, type ClientFrame, type SendFrame, type ServerFrame } from './frames.ts';
import type { MessageService, PreparedMessage } from './message-service.ts';

export interface ChatServiceOptions {
  readonly storage: Storage;
  readonly messages: MessageService;
  readonly sender: ConnectionSender;
  readonly fanOut: FanOut;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly clock: Clock;
  readonly maxUnacked?: number;
  readonly maxUnackedBytes?: number;
}

const deviceKey = (d: DeviceAddress) => `${d.accountId}:${d.deviceId}`;

/**
 * The chat core (RF03/RF04). It hears transport events (connect, frame, disconnect) and
 * answers through a ConnectionSender, so the built-in WebSocket server, API Gateway or a test
 * can hold the sockets. Each connection's deliveries come from the durable queue
 * (`QueueDelivery`), woken by fan-out notifications; a message leaves the queue only when its
 * recipient acks it.
 */
export class ChatService {
  readonly #o: ChatServiceOptions;
  readonly #connections = new Map<string, Connection>();
  readonly #byDevice = new Map<string, string>();
  readonly #unsubscribe: () => void;
  #draining = false;
  /** Shared by every connection (see Connection); `immediate`: no promise per answer. */
  readonly #host: ConnectionHost;

  constructor(options: ChatServiceOptions) {
    this.#o = options;
    this.#host = {
      sender: options.sender,
      immediate: isImmediateSender(options.sender),
      log: options.log,
      delivery: {
        storage: options.storage,
        metrics: options.metrics,
        clock: options.clock,
        maxUnacked: options.maxUnacked ?? MAX_UNACKED_DELIVERIES,
        maxUnackedBytes: options.maxUnackedBytes ?? MAX_UNACKED_DELIVERY_BYTES,
      },
    };
    this.#unsubscribe = options.fanOut.subscribe((device, message) => {
      const id = this.#byDevice.get(deviceKey(device));
      const connection = id === undefined ? undefined : this.#connections.get(id);
      if (message === undefined) connection?.delivery.wake();
      else connection?.delivery.offer(message);
    });
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Whether this process holds a live connection of `device`. */
  hasDevice(device: DeviceAddress): boolean {
    return this.#byDevice.has(deviceKey(device));
  }

  /** One live connection per device: a newer one replaces (closes) the older. */
  async onConnect(connectionId: string, principal: Principal): Promise<void> {
    const key = deviceKey(principal);
    const previous = this.#byDevice.get(key);
    const base = this.#o.log;
    const connection = new Connection(connectionId, principal, this.#host);
    this.#connections.set(connectionId, connection);
    this.#byDevice.set(key, connectionId);
    this.#o.fanOut.attach?.(principal, () => void this.#evict(connectionId));
    this.#o.metrics.connections.inc();
    base.info({ connectionId, deviceId: principal.deviceId }, 'connected');
    if (previous !== undefined && previous !== connectionId) {
      this.#forget(previous);
      await this.#o.sender.close(previous, CLOSE_CODES.REPLACED, 'replaced by a newer connection');
    }
    connection.delivery.wake();
  }

  onDisconnect(connectionId: string): void {
    if (this.#forget(connectionId)) this.#o.log.info({ connectionId }, 'disconnected');
  }

  /**
   * Handles one text frame; resolves when it is completely handled (stored and answered).
   * Never rejects: every failure becomes an `error` frame. Frames of a connection are taken in
   * strictly in order, but a `send` does not wait for its commit before the next frame is taken
   * in, so one connection's pipelined sends share a group commit and keep their order.
   */
  onFrame(connectionId: string, text: string): Promise<void> {
    return new Promise<void>((resolve) => this.takeFrame(connectionId, text, resolve));
  }

  /** `onFrame` with a callback instead of a promise (one allocation less per frame). */
  takeFrame(connectionId: string, text: string, handled: () => void): void {
    const connection = this.#connections.get(connectionId);
    if (connection === undefined) {
      handled();
      return;
    }
    if (this.#draining || connection.pendingFrames >= MAX_PENDING_FRAMES_PER_CONNECTION) {
      const code = this.#draining ? 'SERVER_BUSY' : 'RATE_LIMITED';
      void this.#sendError(connection, new ServerError(code), parseClientFrame(text).id).then(
        handled,
      );
      return;
    }
    connection.pendingFrames++;
    const finish = () => {
      connection.pendingFrames--;
      handled();
    };
    const waiting =
      connection.chain === undefined
        ? this.#intake(connection, text, finish)
        : connection.chain.then(() => this.#intake(connection, text, finish));
    if (waiting === undefined) return;
    // Later frames wait for this one's in-order part; the chain is dropped once it is done.
    connection.chain = waiting;
    void waiting.then(() => {
      if (connection.chain === waiting) connection.chain = undefined;
    });
  }

  /** Another node took the device over (cluster): close ours as replaced. */
  async #evict(connectionId: string): Promise<void> {
    if (this.#forget(connectionId) === undefined) return;
    await this.#o.sender
      .close(connectionId, CLOSE_CODES.REPLACED, 'replaced by a newer connection')
      .catch((e: unknown) => this.#o.log.warn({ err: e, connectionId }, 'evict failed'));
  }

  /** Closes a device's live connection, e.g. when its session is logged out. */
  async closeDevice(device: DeviceAddress): Promise<void> {
    const id = this.#byDevice.get(deviceKey(device));
    if (id === undefined) return;
    this.#forget(id);
    await this.#o.sender.close(id, CLOSE_CODES.SESSION_ENDED, 'logged out');
  }

  /**
   * Shutdown step 1: refuse new frames, wait (bounded) for in-flight ones to finish so every
   * stored message gets its ack to the sender, then close every socket with 1001.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    this.#unsubscribe();
    // Bounded poll: frames finish within a commit or two; the grace period caps a stuck store.
    const deadline = Date.now() + timeoutMs;
    const busy = () => [...this.#connections.values()].some((c) => c.pendingFrames > 0);
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const ids = [...this.#connections.keys()];
    await Promise.allSettled(
      ids.map((id) => this.#o.sender.close(id, CLOSE_CODES.GOING_AWAY, 'server shutting down')),
    );
    for (const id of ids) this.#forget(id);
  }

  /**
   * Takes one frame in; `finish` is called once it is completely handled (stored and
   * answered). Returns a promise only when the frame's in-order part could not be done now (a
   * recipient lookup): it resolves when that part is done. Never throws, never rejects.
   */
  #intake(connection: Connection, text: string, finish: () => void): Promise<void> | undefined {
    const parsed = parseClientFrame(text);
    if (parsed.frame === undefined) {
      void this.#sendError(connection, parsed.error, parsed.id).then(finish);
      return undefined;
    }
    const frame = parsed.frame;
    try {
      switch (frame.type) {
        case 'send': {
          // Validation and recipient lookup in order; the commit is issued now, not awaited.
          const prepared = this.#o.messages.prepare(connection.principal, frame);
          if (!(prepared instanceof Promise)) {
            this.#commit(connection, frame, prepared, finish);
            return undefined;
          }
          return prepared.then(
            (p) => this.#commit(connection, frame, p, finish),
            (e: unknown) => this.#failed(connection, e, frame, finish),
          );
        }
        case 'ack':
          // An ack has no answer, so nothing waits for the deletion to commit (a crash before
          // it does means one redelivery, which clients drop by id).
          connection.delivery.acked(frame.serverId);
          this.#o.messages.ackQuietly(connection.principal, frame.serverId, (e: unknown) => {
            connection.log.error({ err: e }, 'ack failed');
          });
          finish();
          return undefined;
        case 'ping':
          this.#answer(connection, { v: 1, type: 'pong' }, frame, finish);
          return undefined;
      }
    } catch (e) {
      this.#failed(connection, e, frame, finish);
      return undefined;
    }
  }

  /** Issues the commit now (keeping order with the connection's other sends); answers `sent`. */
  #commit(
    connection: Connection,
    frame: SendFrame,
    prepared: PreparedMessage,
    finish: () => void,
  ): void {
    this.#o.messages.commit(prepared, 'ws').then(
      (result) => {
        const sent: ServerFrame = {
          v: 1,
          type: 'sent',
          id: frame.id,
          serverId: result.serverId,
          duplicate: result.duplicate,
        };
        this.#answer(connection, sent, frame, finish);
      },
      (e: unknown) => this.#failed(connection, e, frame, finish),
    );
  }

  /** Sends a frame's answer, then calls `finish`; a failure becomes an error frame. */
  #answer(
    connection: Connection,
    answer: ServerFrame,
    frame: ClientFrame,
    finish: () => void,
  ): void {
    if (this.#host.immediate) {
      try {
        connection.sendNow(answer);
      } catch (e) {
        this.#failed(connection, e, frame, finish);
        return;
      }
      finish();
      return;
    }
    connection
      .send(answer)
      .then(finish, (e: unknown) => this.#failed(connection, e, frame, finish));
  }

  /** A frame failed: the client hears an error frame, then the frame counts as handled. */
  #failed(connection: Connection, error: unknown, frame: ClientFrame, finish: () => void): void {
    void this.#sendError(connection, error, frame.type === 'send' ? frame.id : undefined).then(
      finish,
    );
  }

  /** Sends an error frame; never rejects. */
  async #sendError(connection: Connection, error: unknown, id: string | undefined): Promise<void> {
    const response = toErrorResponse(error, connection.log);
    this.#o.metrics.errors.inc({ code: response.code });
    try {
      await connection.send({
        v: 1,
        type: 'error',
        code: response.code,
        message: response.message,
        ...(id !== undefined && { id }),
      });
    } catch (e) {
      connection.log.warn({ err: e }, 'could not send error frame');
    }
  }

  #forget(connectionId: string): Connection | undefined {
    const connection = this.#connections.get(connectionId);
    if (connection === undefined) return undefined;
    connection.closed = true;
    connection.delivery.stop();
    this.#connections.delete(connectionId);
    const key = deviceKey(connection.principal);
    if (this.#byDevice.get(key) === connectionId) {
      this.#byDevice.delete(key);
      this.#o.fanOut.detach?.(connection.principal);
    }
    this.#o.metrics.connections.dec();
    return connection;
  }
}
