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
import { CLOSE_CODES, type ConnectionSender } from './connection-sender.ts';
import type { FanOut } from './fan-out.ts';
import { parseClientFrame, type ClientFrame, type ServerFrame } from './frames.ts';
import type { MessageService } from './message-service.ts';
import { QueueDelivery } from './queue-delivery.ts';

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

interface Connection {
  readonly id: string;
  readonly principal: Principal;
  readonly log: Logger;
  readonly delivery: QueueDelivery;
  /** Frames are taken in one after another (see onFrame): per-sender order is kept. */
  chain: Promise<void>;
  pendingFrames: number;
  closed: boolean;
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

  constructor(options: ChatServiceOptions) {
    this.#o = options;
    this.#unsubscribe = options.fanOut.subscribe((device) => {
      const id = this.#byDevice.get(deviceKey(device));
      const connection = id === undefined ? undefined : this.#connections.get(id);
      connection?.delivery.wake();
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
    // A child logger per socket costs memory on every idle connection; build it on first use.
    let child: Logger | undefined;
    const base = this.#o.log;
    const logFor = () => (child ??= base.child({ connectionId, deviceId: principal.deviceId }));
    const connection: Connection = {
      id: connectionId,
      principal,
      get log() {
        return logFor();
      },
      chain: Promise.resolve(),
      pendingFrames: 0,
      closed: false,
      delivery: new QueueDelivery({
        device: principal,
        storage: this.#o.storage,
        send: (frame) => this.#send(connection, frame),
        fail: (e) => {
          logFor().error({ err: e }, 'delivery failed');
          void this.#o.sender
            .close(connectionId, CLOSE_CODES.INTERNAL_ERROR, 'delivery failed')
            .catch(() => undefined);
        },
        metrics: this.#o.metrics,
        clock: this.#o.clock,
        maxUnacked: this.#o.maxUnacked ?? MAX_UNACKED_DELIVERIES,
        maxUnackedBytes: this.#o.maxUnackedBytes ?? MAX_UNACKED_DELIVERY_BYTES,
        onRedeliver: (unacked) => {
          logFor().warn({ unacked }, 'no ack for a full window: resending the queue');
        },
      }),
    };
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
    const connection = this.#connections.get(connectionId);
    if (connection === undefined) return Promise.resolve();
    if (this.#draining || connection.pendingFrames >= MAX_PENDING_FRAMES_PER_CONNECTION) {
      const code = this.#draining ? 'SERVER_BUSY' : 'RATE_LIMITED';
      return this.#sendError(connection, new ServerError(code), parseClientFrame(text).id);
    }
    connection.pendingFrames++;
    return new Promise<void>((resolve) => {
      const finish = () => {
        connection.pendingFrames--;
        resolve();
      };
      connection.chain = connection.chain
        .then(() => this.#intake(connection, text))
        .then(
          // Not returned: the chain moves on to the next frame while this one commits.
          ({ done }) => {
            void done.finally(finish);
          },
          (e: unknown) => {
            connection.log.warn({ err: e }, 'frame handling failed');
            finish();
          },
        );
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
   * Takes one frame in and returns (wrapped, so it is not awaited here) the promise of its
   * completion. The returned `done` never rejects.
   */
  async #intake(connection: Connection, text: string): Promise<{ done: Promise<void> }> {
    const parsed = parseClientFrame(text);
    if (parsed.frame === undefined) {
      return { done: this.#sendError(connection, parsed.error, parsed.id) };
    }
    const frame = parsed.frame;
    const fail = (e: unknown) =>
      this.#sendError(connection, e, frame.type === 'send' ? frame.id : undefined);
    try {
      const { done } = await this.#dispatch(connection, frame);
      return { done: done.catch(fail) };
    } catch (e) {
      return { done: fail(e) };
    }
  }

  /** Runs a frame's in-order part; `done` is the rest (commit and answer). */
  async #dispatch(connection: Connection, frame: ClientFrame): Promise<{ done: Promise<void> }> {
    const { messages } = this.#o;
    switch (frame.type) {
      case 'send': {
        // Validation and recipient lookup in order; the commit is issued now, not awaited.
        const prepared = await messages.prepare(connection.principal, frame);
        const committed = messages.commit(prepared, 'ws');
        return {
          done: committed.then(async (result) => {
            await this.#send(connection, { v: 1, type: 'sent', id: frame.id, ...result });
          }),
        };
      }
      case 'ack':
        // An ack has no answer, so nothing waits for the deletion to commit (a crash before
        // it does means one redelivery, which clients drop by id).
        connection.delivery.acked(frame.serverId);
        messages.ack(connection.principal, frame.serverId).catch((e: unknown) => {
          connection.log.error({ err: e }, 'ack failed');
        });
        return { done: Promise.resolve() };
      case 'ping':
        return { done: this.#send(connection, { v: 1, type: 'pong' }).then(() => undefined) };
    }
  }

  async #send(connection: Connection, frame: ServerFrame): Promise<boolean> {
    if (connection.closed) return false;
    const sent = await this.#o.sender.send(connection.id, frame);
    if (!sent) connection.closed = true;
    return sent;
  }

  /** Sends an error frame; never rejects. */
  async #sendError(connection: Connection, error: unknown, id: string | undefined): Promise<void> {
    const response = toErrorResponse(error, connection.log);
    this.#o.metrics.errors.inc({ code: response.code });
    try {
      await this.#send(connection, {
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
