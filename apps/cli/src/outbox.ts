/**
 * The terminal client's outbox: the SDK's Outbox over this device's encrypted store. A message
 * the server could not take (unreachable, busy, rate limited, token expired) stays queued and
 * goes out, oldest first, with the next command that reaches the server (`send`, `receive`,
 * `login`, `accept`, `chat`); one to a contact whose safety number changed waits for `accept`.
 * A message the server refused for good (no such user, no devices, too long) is reported and
 * dropped, as a plain `send` always did.
 */
import { randomBytes } from 'node:crypto';
import type { Messenger, MessageRecord, Outbox, OutboxEntry } from '@susurro/client';

export interface CliOutboxHooks {
  /** Whether sending is worth a try now (chat: the socket is up; one-shot commands: yes). */
  canSend(): boolean;
  /** An entry the server refused for good, with the error; it is dropped right after. */
  failed(entry: OutboxEntry, error: unknown): void;
  sent?(entry: OutboxEntry, record: MessageRecord): void;
  /** `peer`'s identity key changed: their entries wait for the user to accept it. */
  blocked?(peer: string): void;
  /** The store failed (the entries stay where they were). */
  error(e: unknown): void;
  /**
   * Retry transient failures on a timer (chat). One-shot commands leave them queued for the
   * next command instead: a pending timer would keep the process alive.
   */
  retry: boolean;
}

export class CliOutbox {
  readonly outbox: Outbox;
  /** The error of the latest failed attempt: the outbox sends one entry at a time. */
  lastError: unknown;
  readonly #hooks: CliOutboxHooks;
  /** Entries refused for good and dropped, by local id. */
  readonly droppedEntries = new Map<string, OutboxEntry>();
  readonly #dropping: Array<Promise<void>> = [];

  private constructor(m: Messenger, hooks: CliOutboxHooks) {
    this.#hooks = hooks;
    this.outbox = m.outbox({
      send: (peer, body, options) =>
        m.send(peer, body, options).catch((e: unknown) => {
          this.lastError = e;
          throw e;
        }),
      canSend: () => hooks.canSend(),
      now: () => Date.now(),
      newId: () => randomBytes(8).toString('hex'),
      onChange: () => this.#dropFailed(),
      onSent: (entry, record) => hooks.sent?.(entry, record),
      onBlocked: (peer) => hooks.blocked?.(peer),
      onError: (e) => hooks.error(e),
      setTimer: hooks.retry ? (fn, ms) => setTimeout(fn, ms).unref() : () => undefined,
    });
  }

  static async open(m: Messenger, hooks: CliOutboxHooks): Promise<CliOutbox> {
    const box = new CliOutbox(m, hooks);
    await box.outbox.load();
    return box;
  }

  /** Waits for the running pass and for the failed entries it dropped (before exiting). */
  async idle(): Promise<void> {
    await this.outbox.idle();
    await Promise.all(this.#dropping);
  }

  get dropped(): number {
    return this.droppedEntries.size;
  }

  #dropFailed(): void {
    for (const entry of this.outbox.entries) {
      if (entry.state !== 'failed' || this.droppedEntries.has(entry.localId)) continue;
      this.droppedEntries.set(entry.localId, entry);
      this.#hooks.failed(entry, this.lastError);
      this.#dropping.push(
        this.outbox.discard(entry.localId).catch((e: unknown) => this.#hooks.error(e)),
      );
    }
  }
}
