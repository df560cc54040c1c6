import type { DeviceAddress, StoredMessage } from '../storage/types.ts';

/** A device with its account's name: the gateway edge finds connections by username. */
export interface Recipient extends DeviceAddress {
  readonly username: string;
}

/**
 * Hears "a message is waiting for this device" (and, in this process, the message itself).
 */
export type FanOutListener = (recipient: Recipient, message?: StoredMessage) => void;

/**
 * "A message is waiting for this device." Within one process the chat service hears it
 * directly; a cluster swaps in Redis pub/sub so the node holding the socket hears it.
 * Across processes it carries no message content: the listener reads the durable queue
 * itself. A listener in the publishing process also gets the stored message, which it may
 * push without reading it back (see QueueDelivery.offer).
 */
export interface FanOut {
  publish(recipient: Recipient, message?: StoredMessage): void;
  subscribe(listener: FanOutListener): () => void;
  /**
   * This node now holds `device`'s live connection. A cluster records it in its registry and
   * has the node that held it before call its `evict` (one live connection per device).
   */
  attach?(device: DeviceAddress, evict: () => void): void;
  /** This node no longer holds `device`'s connection. */
  detach?(device: DeviceAddress): void;
}

export class InProcessFanOut implements FanOut {
  readonly #listeners = new Set<FanOutListener>();

  publish(recipient: Recipient, message?: StoredMessage): void {
    for (const listener of this.#listeners) listener(recipient, message);
  }

  subscribe(listener: FanOutListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
