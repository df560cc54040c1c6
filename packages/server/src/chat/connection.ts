import type { Logger } from 'pino';
import type { Principal } from '../principal.ts';
import { CLOSE_CODES, type ConnectionSender, type ImmediateSender } from './connection-sender.ts';
import type { ServerFrame } from './frames.ts';
import { QueueDelivery, type DeliverySink, type QueueDeliverySettings } from './queue-delivery.ts';

/** What every connection of one chat service shares (one object, not a copy per socket). */
export interface ConnectionHost {
  readonly sender: ConnectionSender;
  /** The sender can send synchronously (see ImmediateSender): no promise per answer. */
  readonly immediate: boolean;
  readonly log: Logger;
  readonly delivery: QueueDeliverySettings;
}

/**
 * One live connection as the chat core sees it, and the sink of its queue delivery. A class,
 * so its methods live on the prototype: an idle connection (the common case, ~19k per
 * process) holds fields only, no closures of its own.
 */
export class Connection implements DeliverySink {
  readonly delivery: QueueDelivery;
  /**
   * Set while a frame's in-order part waits on storage (a recipient lookup): later frames
   * queue behind it, so per-sender order is kept. Unset, a frame is taken in at once.
   */
  chain: Promise<void> | undefined = undefined;
  pendingFrames = 0;
  closed = false;
  readonly #host: ConnectionHost;
  #log: Logger | undefined;

  constructor(
    readonly id: string,
    readonly principal: Principal,
    host: ConnectionHost,
  ) {
    this.#host = host;
    this.delivery = new QueueDelivery(host.delivery, principal, this);
  }

  get immediate(): boolean {
    return this.#host.immediate;
  }

  /** A child logger per socket costs memory on every idle connection: built on first use. */
  get log(): Logger {
    return (this.#log ??= this.#host.log.child({
      connectionId: this.id,
      deviceId: this.principal.deviceId,
    }));
  }

  async send(frame: ServerFrame): Promise<boolean> {
    if (this.closed) return false;
    const sent = await this.#host.sender.send(this.id, frame);
    if (!sent) this.closed = true;
    return sent;
  }

  /** `send` on an ImmediateSender: done before it returns. */
  sendNow(frame: ServerFrame): boolean {
    if (this.closed) return false;
    const sent = (this.#host.sender as ImmediateSender).sendNow(this.id, frame);
    if (!sent) this.closed = true;
    return sent;
  }

  fail(error: unknown): void {
    this.log.error({ err: error }, 'delivery failed');
    void this.#host.sender
      .close(this.id, CLOSE_CODES.INTERNAL_ERROR, 'delivery failed')
      .catch(() => undefined);
  }

  redelivering(unacked: number): void {
    this.log.warn({ unacked }, 'no ack for a full window: resending the queue');
  }
}
