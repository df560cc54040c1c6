import type { DeviceAddress } from '../storage/types.ts';

/** A device with its account's name: the gateway edge finds connections by username. */
export interface Recipient extends DeviceAddress {
  readonly username: string;
}

/**
 * "A message is waiting for this device." Within one process the chat service hears it
 * directly; a cluster swaps in Redis pub/sub so the node holding the socket hears it.
 * Carries no message content: the listener reads the durable queue itself.
 */
export interface FanOut {
  publish(recipient: Recipient): void;
  subscribe(listener: (recipient: Recipient) => void): () => void;
  /**
   * This node now holds `device`'s live connection. A cluster records it in its registry and
   * has the node that held it before call its `evict` (one live connection per device).
   */
  attach?(device: DeviceAddress, evict: () => void): void;
  /** This node no longer holds `device`'s connection. */
  detach?(device: DeviceAddress): void;
}

export class InProcessFanOut implements FanOut {
  readonly #listeners = new Set<(recipient: Recipient) => void>();

  publish(recipient: Recipient): void {
    for (const listener of this.#listeners) listener(recipient);
  }

  subscribe(listener: (recipient: Recipient) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
