import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ChatService } from '../chat/chat-service.ts';
import { CLOSE_CODES, type ConnectionSender } from '../chat/connection-sender.ts';
import type { FanOut, Recipient } from '../chat/fan-out.ts';
import { serializeFrame, type ServerFrame } from '../chat/frames.ts';
import type { Clock } from '../clock.ts';
import type { GatewayConfig } from '../config.ts';
import { ServerError } from '../errors.ts';
import { MAX_WS_PAYLOAD_BYTES, CLIENT_HEARTBEAT_MAX_INTERVAL_MS } from '../limits.ts';
import type { ConnectionRecord, ConnectionsTable } from './connections-table.ts';
import { CONNECTION_ID_HEADER, GATEWAY_FRAMES_PATH, GATEWAY_SECRET_HEADER } from './constants.ts';
import { localAwsCredentials } from './local-aws.ts';

/** API Gateway drops a connection idle for 10 minutes (and any after 2 hours). */
const IDLE_FORGET_MS = CLIENT_HEARTBEAT_MAX_INTERVAL_MS;
const SWEEP_EVERY_MS = 60_000;
/** API Gateway's ids are short base64 strings (e.g. `L0SM9cOFvHcCIhw=`); anything else is refused. */
const CONNECTION_ID = /^[A-Za-z0-9_+/=-]{1,128}$/;

export interface GatewayTransportOptions {
  readonly config: GatewayConfig;
  readonly connections: ConnectionsTable;
  readonly fanOut: FanOut;
  readonly clock: Clock;
  readonly log: Logger;
}

interface Adopted {
  readonly record: ConnectionRecord;
  lastHeard: number;
}

const deviceKey = (d: { accountId: string; deviceId: number }) => `${d.accountId}:${d.deviceId}`;
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The chat service "behind a gateway" (DESIGN deployment 2): API Gateway (or `make mock`) holds
 * the client sockets, `onConnect` has recorded each connection's device in DynamoDB, frames
 * arrive as HTTP posts from the `$default` integration, and replies go out through the
 * management API (`POST /@connections/{id}`). The chat core runs unchanged: this class feeds it
 * connect/frame/disconnect events and is its ConnectionSender.
 *
 * A connection is "adopted" (handed to the core, which then delivers its backlog) on its first
 * frame, or when a message arrives for its device. A 410 Gone from the management API deletes
 * *that* connection's record, and the core forgets it; its queue stays for the next connect.
 */
export class GatewayTransport implements ConnectionSender {
  readonly #o: GatewayTransportOptions;
  readonly #api: ApiGatewayManagementApiClient;
  readonly #secretDigest: Buffer;
  readonly #adopted = new Map<string, Adopted>();
  readonly #byDevice = new Map<string, string>();
  /** Adoptions in progress, so two events for one connection adopt it once. */
  readonly #adopting = new Map<string, Promise<boolean>>();
  #chat: ChatService | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: GatewayTransportOptions) {
    this.#o = options;
    const endpoint = options.config.managementUrl;
    this.#api = new ApiGatewayManagementApiClient({
      endpoint,
      region: options.config.region,
      ...localAwsCredentials(endpoint),
    });
    this.#secretDigest = digest(options.config.secret);
  }

  get size(): number {
    return this.#adopted.size;
  }

  /** Adds the integration route to `app` and starts serving `chat`. */
  attach(app: FastifyInstance, chat: ChatService): void {
    this.#chat = chat;
    this.#unsubscribe = this.#o.fanOut.subscribe((recipient) => this.#onQueued(recipient, chat));
    this.#sweeper = setInterval(() => this.#sweep(chat), SWEEP_EVERY_MS);
    this.#sweeper.unref();
    void app.register((scope, _opts, done) => {
      // Frames are passed through byte for byte, whatever content type the integration sets.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(
        '*',
        { parseAs: 'string', bodyLimit: MAX_WS_PAYLOAD_BYTES },
        (_request, body, parsed) => parsed(null, body),
      );
      scope.post(
        GATEWAY_FRAMES_PATH,
        {
          schema: {
            summary: 'API Gateway `$default` integration: one client frame (gateway mode only)',
            tags: ['gateway'],
          },
        },
        async (request, reply) => {
          this.#checkSecret(request.headers[GATEWAY_SECRET_HEADER]);
          const connectionId = request.headers[CONNECTION_ID_HEADER];
          if (typeof connectionId !== 'string' || !CONNECTION_ID.test(connectionId)) {
            throw new ServerError(
              'VALIDATION_FAILED',
              `The ${CONNECTION_ID_HEADER} header must be an API Gateway connection id.`,
            );
          }
          const text = typeof request.body === 'string' ? request.body : '';
          if (!(await this.#adopt(connectionId, chat))) {
            throw new ServerError('CONNECTION_GONE');
          }
          const adopted = this.#adopted.get(connectionId);
          if (adopted !== undefined) adopted.lastHeard = this.#o.clock();
          await chat.onFrame(connectionId, text);
          return reply.code(204).send();
        },
      );
      done();
    });
  }

  async send(connectionId: string, frame: ServerFrame): Promise<boolean> {
    try {
      await this.#api.send(
        new PostToConnectionCommand({
          ConnectionId: connectionId,
          Data: new TextEncoder().encode(serializeFrame(frame)),
        }),
      );
      return true;
    } catch (e) {
      if (!isGone(e)) throw e;
      // That connection is stale — delete *it*, not whoever triggered this send.
      this.#o.log.info({ connectionId }, 'connection gone');
      this.#release(connectionId);
      this.#chat?.onDisconnect(connectionId);
      await this.#o.connections.delete(connectionId);
      return false;
    }
  }

  /**
   * API Gateway cannot send a close code: the connection is simply deleted. Except on
   * shutdown (going away): API Gateway keeps the socket and another task serves it.
   */
  async close(connectionId: string, code: number, reason: string): Promise<void> {
    this.#release(connectionId);
    if (code === CLOSE_CODES.GOING_AWAY) return;
    this.#o.log.info({ connectionId, reason }, 'closing connection');
    try {
      await this.#api.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    await this.#o.connections.delete(connectionId);
  }

  /** After the core has drained: stop sweeping and listening, release the HTTP clients. */
  shutdown(): void {
    clearInterval(this.#sweeper);
    this.#unsubscribe?.();
    this.#api.destroy();
  }

  #checkSecret(header: string | string[] | undefined): void {
    const ok = typeof header === 'string' && timingSafeEqual(digest(header), this.#secretDigest);
    if (!ok) throw new ServerError('FORBIDDEN');
  }

  /**
   * Makes sure the core holds `connectionId`; false if the connection is unknown or expired,
   * or older than the device's connection already held here (then it is closed as replaced).
   */
  #adopt(connectionId: string, chat: ChatService, known?: ConnectionRecord): Promise<boolean> {
    if (this.#adopted.has(connectionId)) return Promise.resolve(true);
    let pending = this.#adopting.get(connectionId);
    if (pending === undefined) {
      pending = this.#doAdopt(connectionId, chat, known).finally(() =>
        this.#adopting.delete(connectionId),
      );
      this.#adopting.set(connectionId, pending);
    }
    return pending;
  }

  async #doAdopt(
    connectionId: string,
    chat: ChatService,
    known: ConnectionRecord | undefined,
  ): Promise<boolean> {
    const now = this.#o.clock();
    const record = known ?? (await this.#o.connections.get(connectionId, now));
    if (record === undefined) return false;
    const key = deviceKey(record);
    const heldId = this.#byDevice.get(key);
    const held = heldId === undefined ? undefined : this.#adopted.get(heldId);
    if (held !== undefined && held.record.connectedAt > record.connectedAt) {
      await this.close(connectionId, CLOSE_CODES.REPLACED, 'replaced by a newer connection');
      return false;
    }
    this.#adopted.set(connectionId, { record, lastHeard: now });
    this.#byDevice.set(key, connectionId);
    // The core closes (through `close`) the device's older connection, then sends the backlog.
    await chat.onConnect(connectionId, {
      accountId: record.accountId,
      username: record.username,
      deviceId: record.deviceId,
    });
    return true;
  }

  /**
   * A message was queued for `recipient`. If no adopted connection of ours has it, look the
   * device up (eventually consistent: a connection not visible yet gets its queue on its first
   * frame instead) and adopt its newest connection, which delivers the queue.
   */
  #onQueued(recipient: Recipient, chat: ChatService): void {
    if (chat.hasDevice(recipient)) return; // the core wakes its own delivery
    this.#o.connections
      .findByDevice(recipient.username, recipient.deviceId, this.#o.clock())
      .then(async (records) => {
        const newest = records.find((r) => r.accountId === recipient.accountId);
        if (newest !== undefined) await this.#adopt(newest.connectionId, chat, newest);
      })
      .catch((e: unknown) => this.#o.log.warn({ err: e }, 'connection lookup failed'));
  }

  /** Forgets connections API Gateway has certainly dropped (idle 10 min, or older than 2 h). */
  #sweep(chat: ChatService): void {
    const now = this.#o.clock();
    for (const [id, adopted] of this.#adopted) {
      if (now - adopted.lastHeard > IDLE_FORGET_MS || adopted.record.expiresAt * 1000 <= now) {
        this.#release(id);
        chat.onDisconnect(id);
      }
    }
  }

  #release(connectionId: string): void {
    const adopted = this.#adopted.get(connectionId);
    if (adopted === undefined) return;
    this.#adopted.delete(connectionId);
    const key = deviceKey(adopted.record);
    if (this.#byDevice.get(key) === connectionId) this.#byDevice.delete(key);
  }
}

function isGone(e: unknown): boolean {
  return (
    e instanceof GoneException ||
    (typeof e === 'object' &&
      e !== null &&
      '$metadata' in e &&
      (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410)
  );
}
