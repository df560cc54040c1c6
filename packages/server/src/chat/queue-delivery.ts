import type { Clock } from '../clock.ts';
import { encodeBase64 } from '../encoding.ts';
import type { Metrics } from '../metrics.ts';
import type { DeviceAddress, Storage } from '../storage/types.ts';
import type { ServerFrame } from './frames.ts';

/** Ids, names and JSON punctuation of a `message` frame besides its body (an upper bound). */
const FRAME_OVERHEAD_BYTES = 256;

export interface QueueDeliveryOptions {
  readonly device: DeviceAddress;
  readonly storage: Storage;
  /** Sends on this connection; false once it is gone (then delivery stops for good). */
  readonly send: (frame: ServerFrame) => Promise<boolean>;
  /** Called when reading the queue fails; the connection should be closed. */
  readonly fail: (error: unknown) => void;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly maxUnacked: number;
  readonly maxUnackedBytes: number;
}

/**
 * Delivery of one device's durable queue over one connection. It always reads storage, never
 * trusts a notification's content: on connect it sends the backlog, then `queue-empty`, and
 * every `wake()` (a message arrived, an ack freed room) reads on from its cursor, in queue
 * order. At most `maxUnacked` messages / `maxUnackedBytes` are pushed and unacked at once,
 * so a reader that stops reading stalls its delivery instead of growing buffers.
 */
export class QueueDelivery {
  readonly #o: QueueDeliveryOptions;
  /** Last serverId pushed; the next read starts after it. */
  #cursor: string | undefined;
  /** Pushed, not yet acked: serverId → frame bytes. */
  readonly #unacked = new Map<string, number>();
  #unackedBytes = 0;
  #running = false;
  /** Set when woken mid-run, so the run reads once more before stopping. */
  #dirty = false;
  #sentQueueEmpty = false;
  #stopped = false;
  /** The last run stopped on a full window; only then does an ack need to wake us. */
  #stalled = false;

  constructor(options: QueueDeliveryOptions) {
    this.#o = options;
  }

  /** Starts delivery, or makes a running delivery look again before it stops. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    void this.#run().then(
      () => {
        this.#running = false;
        // A wake that landed between the last read and now must not be lost.
        if (this.#dirty) this.wake();
      },
      (e: unknown) => {
        this.#running = false;
        this.#stopped = true;
        this.#o.fail(e);
      },
    );
  }

  /** The recipient acked `serverId`: room in the window again. */
  acked(serverId: string): void {
    const size = this.#unacked.get(serverId);
    if (size === undefined) return;
    this.#unacked.delete(serverId);
    this.#unackedBytes -= size;
    if (this.#stalled) {
      this.#stalled = false;
      this.wake();
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  #windowOpen(): boolean {
    return this.#unacked.size < this.#o.maxUnacked && this.#unackedBytes < this.#o.maxUnackedBytes;
  }

  async #run(): Promise<void> {
    const { storage, metrics, clock, device } = this.#o;
    for (;;) {
      this.#dirty = false;
      if (this.#stopped) return;
      if (!this.#windowOpen()) {
        this.#stalled = true; // the next ack wakes us
        return;
      }
      const room = this.#o.maxUnacked - this.#unacked.size;
      // One extra row tells "caught up" apart from "exactly filled the window".
      const batch = await storage.listMessages(device, this.#cursor, room + 1);
      let caughtUp = batch.length <= room;
      for (const m of batch.slice(0, room)) {
        if (this.#stopped) return;
        if (!this.#windowOpen()) {
          caughtUp = false;
          break;
        }
        const body = encodeBase64(m.body);
        const size = body.length + FRAME_OVERHEAD_BYTES;
        this.#unacked.set(m.serverId, size);
        this.#unackedBytes += size;
        this.#cursor = m.serverId;
        const sent = await this.#send({
          v: 1,
          type: 'message',
          serverId: m.serverId,
          id: m.clientId,
          from: m.senderUsername,
          fromDevice: m.senderDeviceId,
          body,
          sentAt: m.createdAt,
        });
        if (!sent) return;
        metrics.messagesDelivered.inc();
        metrics.deliveryLatency.observe(Math.max(0, clock() - m.createdAt) / 1000);
      }
      if (caughtUp) {
        if (!this.#sentQueueEmpty) {
          this.#sentQueueEmpty = true;
          if (!(await this.#send({ v: 1, type: 'queue-empty' }))) return;
        }
        if (!this.#dirty) return;
      }
    }
  }

  async #send(frame: ServerFrame): Promise<boolean> {
    const sent = await this.#o.send(frame);
    if (!sent) this.#stopped = true;
    return sent;
  }
}
