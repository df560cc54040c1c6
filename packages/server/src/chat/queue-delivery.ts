import type { Clock } from '../clock.ts';
import { encodeBase64 } from '../encoding.ts';
import type { Metrics } from '../metrics.ts';
import type { DeviceAddress, Storage, StoredMessage } from '../storage/types.ts';
import type { ServerFrame } from './frames.ts';

/** Ids, names and JSON punctuation of a `message` frame besides its body (an upper bound). */
const FRAME_OVERHEAD_BYTES = 256;
const DEFAULT_RESCAN_AFTER_MS = 1_000;
const DEFAULT_REDELIVER_AFTER_MS = 30_000;
/** Never written to: deliveries share it until they push their first message. */
const NO_UNACKED = new Map<string, number>();

/** Where one connection's deliveries go (the chat core's connection implements it). */
export interface DeliverySink {
  /** Sends on this connection; false once it is gone (then delivery stops for good). */
  send(frame: ServerFrame): Promise<boolean>;
  /**
   * The connection's sender can send synchronously (the built-in `ws` server): a read's batch
   * then goes out through `sendNow`, without an await per message.
   */
  readonly immediate: boolean;
  /** `send`, done before it returns; only called when `immediate`. */
  sendNow(frame: ServerFrame): boolean;
  /** Called when reading the queue fails; the connection should be closed. */
  fail(error: unknown): void;
  /** Told how many unacked messages a redelivery is about to resend (metrics, logs). */
  redelivering?(unacked: number): void;
}

/**
 * Settings shared by every connection's delivery: one object per chat service, so an idle
 * connection holds no copy of them (nor closures of its own).
 */
export interface QueueDeliverySettings {
  readonly storage: Storage;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly maxUnacked: number;
  readonly maxUnackedBytes: number;
  /**
   * A full window that no ack frees for this long is resent from the queue's head (acks may
   * have reached another node, or pushes been lost); the client drops duplicates by id.
   */
  readonly redeliverAfterMs?: number;
  /** How soon a wake that found nothing new re-reads the queue from its head (see `#run`). */
  readonly rescanAfterMs?: number;
}

/**
 * Delivery of one device's durable queue over one connection. It reads storage, never trusts
 * a notification from elsewhere: on connect it sends the backlog, then `queue-empty`, and
 * every `wake()` (a message arrived, an ack freed room) reads on from its cursor, in queue
 * order. The one shortcut: a message this process has just stored can be pushed as it is
 * (`offer`) when there is nothing older left to read. At most `maxUnacked` messages /
 * `maxUnackedBytes` are pushed and unacked at once, so a reader that stops reading stalls its
 * delivery instead of growing buffers.
 *
 * Two timers keep delivery at-least-once when storage or acks are shared by several nodes:
 * - rescan: with several writers a message can become visible *behind* the cursor (its id was
 *   taken before a later one committed first). A wake that finds nothing after the cursor may
 *   be that message's, so the queue is re-read from its head soon after, skipping what is
 *   already pushed. At most one rescan is pending per connection.
 * - redeliver: a window that stays full (acks went to another node, a push got lost) is
 *   forgotten and the queue is resent from its head; clients drop duplicates by id.
 */
export class QueueDelivery {
  readonly #o: QueueDeliverySettings;
  readonly #device: DeviceAddress;
  readonly #sink: DeliverySink;
  /** Last serverId pushed; the next read starts after it. */
  #cursor: string | undefined;
  /** Pushed, not yet acked: serverId → frame bytes (shared empty map until the first push). */
  #unacked: Map<string, number> = NO_UNACKED;
  #unackedBytes = 0;
  #running = false;
  /** A run is due in a microtask (see `wake`). */
  #starting = false;
  /** Set when woken mid-run, so the run reads once more before stopping. */
  #dirty = false;
  #sentQueueEmpty = false;
  #stopped = false;
  /** The last run stopped on a full window; only then does an ack need to wake us. */
  #stalled = false;
  #rescanTimer: NodeJS.Timeout | undefined;
  /** The next run is a rescan: if it finds nothing either, it does not schedule another. */
  #rescanning = false;
  #redeliverTimer: NodeJS.Timeout | undefined;

  constructor(settings: QueueDeliverySettings, device: DeviceAddress, sink: DeliverySink) {
    this.#o = settings;
    this.#device = device;
    this.#sink = sink;
  }

  /**
   * Starts delivery, or makes a running delivery look again before it stops. The read starts
   * in a microtask, so the wakes of one group commit (one per message it stored for this
   * device) cost one read, not one plus an empty one (which would also schedule a rescan).
   */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    if (this.#starting) return;
    this.#starting = true;
    queueMicrotask(() => this.#start());
  }

  /**
   * A message this process just stored for the device. Pushed at once, without reading it
   * back, when delivery is idle and caught up: queue-empty was sent, no read is due or under
   * way (so nothing older is waiting), the window has room, and the sender is immediate.
   * Otherwise it is read from the queue like any other (`wake`); since that sets a read due,
   * every later offer waits for the read too, which keeps the queue's order.
   */
  offer(message: StoredMessage): void {
    if (
      this.#stopped ||
      this.#running ||
      this.#starting ||
      !this.#sentQueueEmpty ||
      !this.#sink.immediate ||
      !this.#windowOpen()
    ) {
      this.wake();
      return;
    }
    if (!this.#sendNow(this.#frame(message))) return;
    this.#o.metrics.messagesDelivered.inc();
    this.#o.metrics.deliveryLatency.observe(
      Math.max(0, this.#o.clock() - message.createdAt) / 1000,
    );
  }

  #start(): void {
    this.#starting = false;
    if (this.#stopped || this.#running) return;
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
        this.#sink.fail(e);
      },
    );
  }

  /** The recipient acked `serverId`: room in the window again. */
  acked(serverId: string): void {
    const size = this.#unacked.get(serverId);
    if (size === undefined) return;
    this.#unacked.delete(serverId);
    this.#unackedBytes -= size;
    // Emptied: drop the Map, so the next push starts a young one. A connection's Map ends up
    // in the old generation, where V8 allocates each of its rehashed tables (one every few
    // set/delete pairs): old-space garbage per message (see WsTransport's #corked).
    if (this.#unacked.size === 0) this.#unacked = NO_UNACKED;
    if (this.#stalled) {
      this.#stalled = false;
      clearTimeout(this.#redeliverTimer);
      this.#redeliverTimer = undefined;
      this.wake();
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#rescanTimer);
    clearTimeout(this.#redeliverTimer);
  }

  #scheduleRescan(): void {
    if (this.#rescanTimer !== undefined || this.#stopped) return;
    this.#rescanTimer = setTimeout(() => {
      this.#rescanTimer = undefined;
      this.#cursor = undefined;
      this.#rescanning = true;
      this.wake();
    }, this.#o.rescanAfterMs ?? DEFAULT_RESCAN_AFTER_MS);
    this.#rescanTimer.unref();
  }

  #scheduleRedelivery(): void {
    if (this.#redeliverTimer !== undefined || this.#stopped) return;
    this.#redeliverTimer = setTimeout(() => {
      this.#redeliverTimer = undefined;
      if (!this.#stalled) return;
      this.#sink.redelivering?.(this.#unacked.size);
      this.#stalled = false;
      this.#unacked = NO_UNACKED;
      this.#unackedBytes = 0;
      this.#cursor = undefined;
      this.wake();
    }, this.#o.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS);
    this.#redeliverTimer.unref();
  }

  #windowOpen(): boolean {
    return this.#unacked.size < this.#o.maxUnacked && this.#unackedBytes < this.#o.maxUnackedBytes;
  }

  async #run(): Promise<void> {
    const { storage, metrics, clock } = this.#o;
    const device = this.#device;
    const immediate = this.#sink.immediate;
    for (;;) {
      this.#dirty = false;
      const rescan = this.#rescanning;
      this.#rescanning = false;
      if (this.#stopped) return;
      if (!this.#windowOpen()) {
        this.#stalled = true; // the next ack wakes us (or the redelivery timer fires)
        this.#scheduleRedelivery();
        return;
      }
      const room = this.#o.maxUnacked - this.#unacked.size;
      // From the head (a rescan) the pushed-but-unacked rows come first and are skipped. One
      // extra row tells "caught up" apart from "exactly filled the window".
      const limit = (this.#cursor === undefined ? this.#unacked.size : 0) + room + 1;
      const batch = await storage.listMessages(device, this.#cursor, limit);
      let caughtUp = batch.length < limit;
      let pushed = 0;
      let delivered = 0;
      try {
        for (let i = 0; i < batch.length && i < limit - 1; i++) {
          const m = batch[i]!;
          if (this.#stopped) return;
          if (this.#unacked.has(m.serverId)) {
            this.#cursor = m.serverId;
            continue;
          }
          if (!this.#windowOpen()) {
            caughtUp = false;
            break;
          }
          pushed++;
          const frame = this.#frame(m);
          const sent = immediate ? this.#sendNow(frame) : await this.#send(frame);
          if (!sent) return;
          delivered++;
          metrics.deliveryLatency.observe(Math.max(0, clock() - m.createdAt) / 1000);
        }
      } finally {
        // One counter update per read, not per message.
        if (delivered > 0) metrics.messagesDelivered.inc(delivered);
      }
      // Woken but nothing new: maybe a message that committed behind the cursor (see above).
      if (pushed === 0 && this.#sentQueueEmpty && !rescan) this.#scheduleRescan();
      if (caughtUp) {
        if (!this.#sentQueueEmpty) {
          this.#sentQueueEmpty = true;
          const queueEmpty: ServerFrame = { v: 1, type: 'queue-empty' };
          const sent = immediate ? this.#sendNow(queueEmpty) : await this.#send(queueEmpty);
          if (!sent) return;
        }
        if (!this.#dirty) return;
      }
    }
  }

  /** Counts `m` as pushed (window, cursor) and builds its frame. */
  #frame(m: StoredMessage): ServerFrame {
    const body = encodeBase64(m.body);
    const size = body.length + FRAME_OVERHEAD_BYTES;
    if (this.#unacked === NO_UNACKED) this.#unacked = new Map();
    this.#unacked.set(m.serverId, size);
    this.#unackedBytes += size;
    this.#cursor = m.serverId;
    return {
      v: 1,
      type: 'message',
      serverId: m.serverId,
      id: m.clientId,
      from: m.senderUsername,
      fromDevice: m.senderDeviceId,
      body,
      sentAt: m.createdAt,
    };
  }

  #sendNow(frame: ServerFrame): boolean {
    const sent = this.#sink.sendNow(frame);
    if (!sent) this.#stopped = true;
    return sent;
  }

  async #send(frame: ServerFrame): Promise<boolean> {
    const sent = await this.#sink.send(frame);
    if (!sent) this.#stopped = true;
    return sent;
  }
}
