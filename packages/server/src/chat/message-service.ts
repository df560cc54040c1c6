import { tryNormalizeUsername } from '../accounts/username.ts';
import type { Clock } from '../clock.ts';
import { decodeBase64 } from '../encoding.ts';
import { ServerError } from '../errors.ts';
import {
  MAX_CACHED_RECIPIENTS,
  MAX_ENVELOPE_BODY_BYTES,
  MAX_QUEUED_MESSAGES_PER_DEVICE,
  type RateLimits,
} from '../limits.ts';
import type { Metrics } from '../metrics.ts';
import type { Principal } from '../principal.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import {
  isStorageError,
  type EnqueueResult,
  type NewMessage,
  type Storage,
} from '../storage/types.ts';
import type { FanOut } from './fan-out.ts';

export interface Envelope {
  /** Chosen by the sender; a retry with the same id is acked, not stored twice. */
  readonly id: string;
  readonly to: string;
  readonly deviceId: number;
  /** Base64 ciphertext; the server never looks inside. */
  readonly body: string;
}

/** A recipient account as the send path needs it (cached: names and ids never change). */
interface Recipient {
  readonly accountId: string;
  readonly username: string;
}

/** A checked envelope, ready to store; the name travels along for fan-out (never stored). */
export interface PreparedMessage {
  readonly message: NewMessage;
  readonly recipientUsername: string;
}

export interface MessageServiceOptions {
  readonly storage: Storage;
  readonly fanOut: FanOut;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly rateLimits: RateLimits;
}

/** RF03: store-and-forward. Shared by the WebSocket `send` frame and `POST /v1/messages`. */
export class MessageService {
  readonly #o: MessageServiceOptions;
  /** `to` as the client spelled it → recipient account; only found accounts are cached. */
  readonly #recipients = new Map<string, Recipient>();

  /** The received counter's series per transport, made on first use (label lookup per message saved). */
  readonly #receivedBy = new Map<'ws' | 'http', { inc(): void }>();

  constructor(options: MessageServiceOptions) {
    this.#o = options;
  }

  #received(transport: 'ws' | 'http'): { inc(): void } {
    let series = this.#receivedBy.get(transport);
    if (series === undefined) {
      series = this.#o.metrics.messagesReceived.labels({ transport });
      this.#receivedBy.set(transport, series);
    }
    return series;
  }

  /**
   * Resolves only after the envelope is durable in the recipient device's queue (DESIGN:
   * "stored before the sender gets its ack"); the recipient's connection is woken as soon as
   * the envelope is readable (see `commit`).
   */
  async send(sender: Principal, envelope: Envelope, transport: 'ws' | 'http') {
    return this.commit(await this.prepare(sender, envelope), transport);
  }

  /**
   * Step 1 of `send`: checks the envelope and resolves its recipient; stores nothing. The
   * checks run (and throw) now; only a recipient missing from the cache makes it return a
   * promise (the storage lookup), so the WebSocket path allocates none per frame.
   */
  prepare(sender: Principal, envelope: Envelope): PreparedMessage | Promise<PreparedMessage> {
    const { limiter, rateLimits } = this.#o;
    limiter.take(`send:${sender.accountId}:${sender.deviceId}`, rateLimits.sendPerDevice);
    const body = decodeBase64(envelope.body, 'body');
    if (body.length > MAX_ENVELOPE_BODY_BYTES) {
      throw new ServerError(
        'PAYLOAD_TOO_LARGE',
        `Envelope bodies are at most ${MAX_ENVELOPE_BODY_BYTES} bytes.`,
      );
    }
    const cached = this.#recipients.get(envelope.to);
    if (cached === undefined) {
      return this.#lookUp(envelope.to).then((found) =>
        this.#prepared(sender, envelope, found, body),
      );
    }
    return this.#prepared(sender, envelope, cached, body);
  }

  #prepared(
    sender: Principal,
    envelope: Envelope,
    recipient: Recipient,
    body: Uint8Array,
  ): PreparedMessage {
    return {
      message: {
        recipient: { accountId: recipient.accountId, deviceId: envelope.deviceId },
        senderAccountId: sender.accountId,
        senderUsername: sender.username,
        senderDeviceId: sender.deviceId,
        clientId: envelope.id,
        body,
        createdAt: this.#o.clock(),
      },
      recipientUsername: recipient.username,
    };
  }

  /** Resolves a recipient name (NOT_FOUND if none) and remembers it: see MAX_CACHED_RECIPIENTS. */
  async #lookUp(to: string): Promise<Recipient> {
    const username = tryNormalizeUsername(to);
    const account =
      username === undefined ? undefined : await this.#o.storage.getAccountByUsername(username);
    if (account === undefined) throw new ServerError('NOT_FOUND', 'No such user.');
    if (this.#recipients.size >= MAX_CACHED_RECIPIENTS) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.#recipients.delete(this.#recipients.keys().next().value!);
    }
    const recipient = { accountId: account.accountId, username: account.username };
    this.#recipients.set(to, recipient);
    return recipient;
  }

  /**
   * Step 2: stores durably. The storage call is issued synchronously, so commits issued one
   * after another (without awaiting) are applied in that order: the WebSocket path pipelines a
   * connection's sends this way and keeps per-sender order.
   */
  commit(prepared: PreparedMessage, transport: 'ws' | 'http'): Promise<EnqueueResult> {
    const { message, recipientUsername } = prepared;
    // The recipient is woken as soon as the message is readable, and handed the message so a
    // connection in this process can push it without reading it back; the sender's ack (the
    // promise) still waits until it is durable. Delivering a message that a power cut could
    // still take back is safe: its sender got no ack, retries with the same id, and the
    // recipient drops the second copy by id (DESIGN, delivery semantics).
    const wake = (result: EnqueueResult) => {
      if (result.duplicate) return;
      this.#o.fanOut.publish(
        {
          accountId: message.recipient.accountId,
          deviceId: message.recipient.deviceId,
          username: recipientUsername,
        },
        {
          serverId: result.serverId,
          senderUsername: message.senderUsername,
          senderDeviceId: message.senderDeviceId,
          clientId: message.clientId,
          body: message.body,
          createdAt: message.createdAt,
        },
      );
    };
    let stored: Promise<EnqueueResult>;
    try {
      stored = this.#o.storage.enqueueMessage(message, MAX_QUEUED_MESSAGES_PER_DEVICE, wake);
    } catch (e) {
      // As from an async function: a synchronous throw becomes a rejection.
      return Promise.resolve().then(() => {
        throw enqueueError(e);
      });
    }
    return stored.then(
      (result) => {
        if (!result.duplicate) this.#received(transport).inc();
        return result;
      },
      (e: unknown) => {
        throw enqueueError(e);
      },
    );
  }

  /** The recipient confirms a delivery; only then is the message deleted. Idempotent. */
  ack(recipient: Principal, serverId: string): Promise<boolean> {
    return this.#o.storage.deleteMessage(recipient, serverId).then(this.#counted);
  }

  /** `ack` for a caller that answers nobody (the WebSocket `ack` frame): one promise less. */
  ackQuietly(recipient: Principal, serverId: string, failed: (error: unknown) => void): void {
    this.#o.storage.deleteMessage(recipient, serverId).then(this.#counted, failed);
  }

  readonly #counted = (deleted: boolean): boolean => {
    if (deleted) this.#o.metrics.messagesAcked.inc();
    return deleted;
  };
}

/** A storage failure of an enqueue as the client should hear it. */
function enqueueError(e: unknown): unknown {
  if (isStorageError(e, 'NOT_FOUND')) {
    return new ServerError('DEVICE_NOT_FOUND', undefined, { cause: e });
  }
  if (isStorageError(e, 'LIMIT')) return new ServerError('QUEUE_FULL', undefined, { cause: e });
  return e;
}
