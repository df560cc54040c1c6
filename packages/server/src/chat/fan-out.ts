import type { DeviceAddress } from '../storage/types.ts';

/**
 * "A message is waiting for this device." Within one process the chat service hears it
 * directly; a cluster swaps in Redis pub/sub so the node holding the socket hears it.
 * Carries no message content: the listener reads the durable queue itself.
 */
export interface FanOut {
  publish(device: DeviceAddress): void;
  subscribe(listener: (device: DeviceAddress) => void): () => void;
}

export class InProcessFanOut implements FanOut {
  readonly #listeners = new Set<(device: DeviceAddress) => void>();

  publish(device: DeviceAddress): void {
    for (const listener of this.#listeners) listener(device);
  }

  subscribe(listener: (device: DeviceAddress) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
