import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FanOut, FanOutListener, Recipient } from '../chat/fan-out.ts';
import { redactUrl } from '../redact-url.ts';
import type { DeviceAddress, StoredMessage } from '../storage/types.ts';

/** Deletes the registry entry only if it still names this node (another may have taken over). */
const DELETE_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

type NodeMessage =
  | { readonly type: 'wake'; readonly recipient: Recipient }
  | { readonly type: 'evict'; readonly device: DeviceAddress };

export interface RedisFanOutOptions {
  readonly url: string;
  /** Unique per process; default `hostname:pid`. */
  readonly nodeId?: string | undefined;
  /** Namespace of keys and channels, so several clusters can share one Redis. */
  readonly cluster?: string | undefined;
  readonly log: Logger;
}

const deviceKey = (d: DeviceAddress) => `${d.accountId}:${d.deviceId}`;

/**
 * Cross-node delivery for a self-hosted cluster (DESIGN deployment 3), on Redis:
 * - a registry `{cluster}:device:{account}:{device}` → the node holding that device's socket;
 * - one pub/sub channel per node, `{cluster}:node:{nodeId}`, carrying "wake" (a message is
 *   queued for a device you hold) and "evict" (the device connected elsewhere; close yours).
 * Messages themselves never cross Redis: every node reads the shared durable queue, so a lost
 * notification (Redis down, node crashed) delays a delivery until the device reconnects, and
 * loses nothing. A registry entry left by a crashed node is overwritten when its devices
 * reconnect to another node.
 */
export class RedisFanOut implements FanOut {
  readonly nodeId: string;
  readonly #deviceKeyPrefix: string;
  readonly #nodeChannelPrefix: string;
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #log: Logger;
  readonly #listeners = new Set<FanOutListener>();
  /** Devices whose live connection this node holds → how to close it. */
  readonly #local = new Map<string, () => void>();

  private constructor(options: RedisFanOutOptions, commands: Redis, subscriber: Redis) {
    this.nodeId = options.nodeId ?? `${hostname()}:${process.pid}`;
    const cluster = options.cluster ?? 'susurro';
    this.#deviceKeyPrefix = `${cluster}:device:`;
    this.#nodeChannelPrefix = `${cluster}:node:`;
    this.#commands = commands;
    this.#subscriber = subscriber;
    this.#log = options.log.child({ component: 'redis-fan-out', nodeId: this.nodeId });
  }

  /** Connects both Redis links and subscribes to this node's channel before resolving. */
  static async connect(options: RedisFanOutOptions): Promise<RedisFanOut> {
    const connect = () =>
      new Redis(options.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 3,
        enableReadyCheck: true,
      });
    const commands = connect();
    const subscriber = connect();
    const fanOut = new RedisFanOut(options, commands, subscriber);
    let lastError: unknown;
    for (const link of [commands, subscriber]) {
      // ioredis reconnects by itself; until then notifications fail and deliveries wait.
      link.on('error', (e: unknown) => {
        lastError = e;
        fanOut.#log.warn({ err: e }, 'redis link error');
      });
    }
    try {
      await Promise.all([commands.connect(), subscriber.connect()]);
      subscriber.on('message', (_channel: string, text: string) => fanOut.#onMessage(text));
      await subscriber.subscribe(fanOut.#nodeChannelPrefix + fanOut.nodeId);
    } catch (e) {
      commands.disconnect();
      subscriber.disconnect();
      const cause = lastError ?? e;
      throw new Error(
        `cannot connect to Redis at ${redactUrl(options.url)}: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
    fanOut.#log.info('joined the cluster');
    return fanOut;
  }

  publish(recipient: Recipient, message?: StoredMessage): void {
    if (this.#local.has(deviceKey(recipient))) {
      this.#emit(recipient, message);
      return;
    }
    this.#run('publish', async () => {
      const node = await this.#commands.get(this.#deviceKeyPrefix + deviceKey(recipient));
      if (node === null) return; // offline: delivered from the queue when it connects
      if (node === this.nodeId) this.#emit(recipient);
      else await this.#send(node, { type: 'wake', recipient });
    });
  }

  subscribe(listener: FanOutListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  attach(device: DeviceAddress, evict: () => void): void {
    const key = deviceKey(device);
    this.#local.set(key, evict);
    this.#run('attach', async () => {
      const previous = await this.#commands.set(this.#deviceKeyPrefix + key, this.nodeId, 'GET');
      if (previous !== null && previous !== this.nodeId) {
        await this.#send(previous, {
          type: 'evict',
          device: { accountId: device.accountId, deviceId: device.deviceId },
        });
      }
    });
  }

  detach(device: DeviceAddress): void {
    const key = deviceKey(device);
    this.#local.delete(key);
    this.#run('detach', () =>
      this.#commands.eval(DELETE_IF_OURS, 1, this.#deviceKeyPrefix + key, this.nodeId),
    );
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await Promise.allSettled([this.#subscriber.quit(), this.#commands.quit()]);
  }

  /** `message` only from this process's own publish: other nodes send no content. */
  #emit(recipient: Recipient, message?: StoredMessage): void {
    for (const listener of this.#listeners) listener(recipient, message);
  }

  async #send(node: string, message: NodeMessage): Promise<void> {
    await this.#commands.publish(this.#nodeChannelPrefix + node, JSON.stringify(message));
  }

  #onMessage(text: string): void {
    let message: NodeMessage;
    try {
      message = JSON.parse(text) as NodeMessage;
    } catch {
      this.#log.warn('ignored a malformed cluster message');
      return;
    }
    if (message.type === 'wake') {
      if (this.#local.has(deviceKey(message.recipient))) this.#emit(message.recipient);
    } else if (message.type === 'evict') {
      this.#local.get(deviceKey(message.device))?.();
    }
  }

  /** Fire-and-forget: a failed notification only delays delivery (see the class comment). */
  #run(what: string, task: () => Promise<unknown>): void {
    task().catch((e: unknown) => this.#log.warn({ err: e, what }, 'cluster notification failed'));
  }
}
