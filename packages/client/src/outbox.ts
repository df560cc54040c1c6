/**
 * Messages the user has written but the server has not accepted yet. `Messenger.send` needs
 * the server (it fetches the peer's devices, then posts envelopes) and throws NETWORK_ERROR
 * when it is unreachable; the outbox makes "type now, deliver when back" work, for the web
 * client and the terminal client alike:
 *
 * - entries are records in the encrypted vault (under `prefix`), so they survive a restart and
 *   are encrypted at rest like everything else;
 * - `flush` sends them one at a time, oldest first, only while `canSend()` (e.g. the socket is
 *   up), and keeps per-peer order: a peer whose entry could not go out gets no later ones this
 *   pass;
 * - a transient failure (network, rate limit, busy) puts the entry back to `queued` and retries
 *   after `retryMs`; a changed identity key blocks it until the user accepts the key; anything
 *   else marks it `failed` with the code, for the user to retry or discard (or, with
 *   `dropFailed`, drops it).
 *
 * Each entry carries the message id it is sent under (`messageId`, given `newMessageId`), so
 * every attempt is the same message, dated when it was written (`createdAt`): `Messenger.send`
 * with that id posts again only what did not complete, the server and the recipient drop
 * second copies, and a crash between a post and the entry's removal costs nothing. The SDK
 * stores the outgoing record (status `sending`) before it posts, so while an entry waits its
 * record stays in `sending`; views hide such records and show the entry, and discarding the
 * entry drops the record (`forget`). (Entries stored before ids were given send without one: a
 * lost answer then means a second copy under a new id.)
 */
import { isClientError } from './errors.ts';
import { OUTBOX_RETRY_MS } from './limits.ts';
import type { SendOptions } from './messages/message-path.ts';
import type { MessageRecord } from './store/client-store.ts';

export type OutboxState = 'queued' | 'sending' | 'blocked' | 'failed';

export interface OutboxEntry {
  readonly localId: string;
  readonly peer: string;
  readonly body: string;
  readonly createdAt: number;
  state: OutboxState;
  /** Why it failed (an error code), for `failed` entries. */
  errorCode?: string;
  /** The id every attempt sends the message under (see above). */
  readonly messageId?: string;
}

/** The part of VaultStore the outbox uses (tests pass a vault over MemoryBackend). */
export interface RecordStore {
  list(prefix: string): Promise<Array<[string, Uint8Array]>>;
  write(ops: ReadonlyArray<readonly [string, Uint8Array | undefined]>): Promise<void>;
}

export interface OutboxOptions {
  store: RecordStore;
  /**
   * Sends one entry: for an entry with a `messageId`, under that id and dated `createdAt`
   * (the options of `Messenger.send`); an entry without one gets no options.
   */
  send: (peer: string, body: string, options?: SendOptions) => Promise<MessageRecord>;
  canSend: () => boolean;
  now: () => number;
  newId: () => string;
  /** Makes each new entry's message id (`newMessageId`); without it, entries have none. */
  newMessageId?: () => string;
  /** Any entry changed state (for re-rendering). */
  onChange: () => void;
  onSent: (entry: OutboxEntry, record: MessageRecord) => void;
  /** `peer`'s identity key changed: the user must review it before anything more goes out. */
  onBlocked: (peer: string) => void;
  /**
   * An attempt failed: `entry.state` already says what follows (queued, blocked or failed) and
   * is stored; `error` is what `send` threw.
   */
  onAttemptFailed?: (entry: OutboxEntry, error: unknown) => void;
  /**
   * An entry was discarded (or dropped, see `dropFailed`): forget what an unfinished attempt
   * left behind (`Messenger.outbox` drops the message record a failed `send` stored in status
   * `sending`).
   */
  forget?: (entry: OutboxEntry) => Promise<void>;
  /** Storage failed while flushing (the entries stay where they were). */
  onError: (e: unknown) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  /**
   * Drop entries the server refused for good (after `onAttemptFailed`), as a plain send would
   * (the terminal client), instead of keeping them `failed` for the user to retry or discard
   * (the web client). A dropped entry holds no later ones to the same peer.
   */
  dropFailed?: boolean;
  /** Key prefix of the entries in the vault (default `outbox:`). */
  prefix?: string;
  /** Wait after a transient failure before the next pass (default OUTBOX_RETRY_MS). */
  retryMs?: number;
}

const TRANSIENT = new Set([
  'NETWORK_ERROR',
  'RATE_LIMITED',
  'SERVER_BUSY',
  'INTERNAL',
  'NOT_LOGGED_IN',
  'UNAUTHORIZED',
]);

const recordKey = (prefix: string, e: OutboxEntry) =>
  `${prefix}${e.createdAt.toString().padStart(15, '0')}:${e.localId}`;
const encode = (e: OutboxEntry) => {
  // `sending` is a moment, not a state to restore: a reload finds the entry queued.
  const stored = e.state === 'sending' ? { ...e, state: 'queued' } : e;
  return new TextEncoder().encode(JSON.stringify(stored));
};

export function classifySendError(e: unknown): { state: OutboxState; code: string } {
  const code = isClientError(e) ? e.code : 'UNKNOWN';
  if (code === 'UNTRUSTED_IDENTITY') return { state: 'blocked', code };
  if (TRANSIENT.has(code) || /^HTTP_5\d\d$/.test(code)) return { state: 'queued', code };
  return { state: 'failed', code };
}

export class Outbox {
  private items: OutboxEntry[] = [];
  private flushing: Promise<void> | undefined;
  private flushAgain = false;
  private retryPending = false;

  private readonly prefix: string;

  constructor(private readonly o: OutboxOptions) {
    this.prefix = o.prefix ?? 'outbox:';
  }

  async load(): Promise<void> {
    const rows = await this.o.store.list(this.prefix);
    this.items = rows.map(([, v]) => JSON.parse(new TextDecoder().decode(v)) as OutboxEntry);
  }

  get entries(): readonly OutboxEntry[] {
    return this.items;
  }

  async enqueue(peer: string, body: string): Promise<OutboxEntry> {
    const entry: OutboxEntry = {
      localId: this.o.newId(),
      peer,
      body,
      createdAt: this.o.now(),
      state: 'queued',
      ...(this.o.newMessageId && { messageId: this.o.newMessageId() }),
    };
    await this.persist(entry);
    this.items.push(entry);
    this.o.onChange();
    void this.flush();
    return entry;
  }

  /** The user accepted `peer`'s new key: their blocked messages may go now. */
  async unblock(peer: string): Promise<void> {
    for (const e of this.items) {
      if (e.peer === peer && e.state === 'blocked') {
        e.state = 'queued';
        await this.persist(e);
      }
    }
    this.o.onChange();
    void this.flush();
  }

  async retry(localId: string): Promise<void> {
    const e = this.items.find((i) => i.localId === localId);
    if (!e || (e.state !== 'failed' && e.state !== 'blocked')) return;
    e.state = 'queued';
    delete e.errorCode;
    await this.persist(e);
    this.o.onChange();
    void this.flush();
  }

  async discard(localId: string): Promise<void> {
    const e = this.items.find((i) => i.localId === localId);
    if (!e || e.state === 'sending') return;
    await this.remove(e);
    this.o.onChange();
    await this.o.forget?.(e);
  }

  /**
   * Resolves once no flush is running, without asking for another pass (a command that exits
   * afterwards waits for the pass its `enqueue` started).
   */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Sends what can be sent now. Concurrent calls coalesce into one more pass. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    const run = async () => {
      try {
        do {
          this.flushAgain = false;
          await this.pass();
        } while (this.flushAgain);
      } catch (e) {
        this.o.onError(e);
      } finally {
        // In the same tick as the last `flushAgain` check: a flush() asked for after it
        // starts a new run instead of joining one that is already over.
        this.flushing = undefined;
      }
    };
    this.flushing = run();
    return this.flushing;
  }

  private async pass(): Promise<void> {
    const held = new Set<string>(); // peers whose earlier message is still waiting
    for (const entry of [...this.items]) {
      if (!this.o.canSend()) return;
      if (entry.state !== 'queued') {
        held.add(entry.peer);
        continue;
      }
      if (held.has(entry.peer)) continue;
      entry.state = 'sending';
      this.o.onChange();
      let record: MessageRecord;
      try {
        record = await this.o.send(
          entry.peer,
          entry.body,
          entry.messageId === undefined
            ? undefined
            : { id: entry.messageId, sentAt: entry.createdAt },
        );
      } catch (e) {
        const { state, code } = classifySendError(e);
        entry.state = state;
        if (state === 'failed') entry.errorCode = code;
        if (state === 'failed' && this.o.dropFailed) {
          await this.remove(entry);
          this.o.onAttemptFailed?.(entry, e);
          this.o.onChange();
          await this.o.forget?.(entry);
          continue;
        }
        await this.persist(entry);
        this.o.onAttemptFailed?.(entry, e);
        this.o.onChange();
        if (state === 'blocked') this.o.onBlocked(entry.peer);
        if (state === 'queued') {
          this.scheduleRetry();
          return; // the server or the link is struggling: stop this pass
        }
        held.add(entry.peer);
        continue;
      }
      // A crash right here sends it again after the reload: under its message id that only
      // returns the stored record (an entry without one goes out twice).
      await this.remove(entry);
      this.o.onSent(entry, record);
      this.o.onChange();
    }
  }

  private scheduleRetry(): void {
    if (this.retryPending) return;
    this.retryPending = true;
    (this.o.setTimer ?? setTimeout)(() => {
      this.retryPending = false;
      void this.flush();
    }, this.o.retryMs ?? OUTBOX_RETRY_MS);
  }

  private async remove(entry: OutboxEntry): Promise<void> {
    await this.o.store.write([[recordKey(this.prefix, entry), undefined]]);
    this.items = this.items.filter((i) => i !== entry);
  }

  private persist(entry: OutboxEntry): Promise<void> {
    return this.o.store.write([[recordKey(this.prefix, entry), encode(entry)]]);
  }
}
