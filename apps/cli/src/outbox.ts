/**
 * The terminal client's outbox: the SDK's Outbox over this device's encrypted store. A message
 * the server could not take (unreachable, busy, rate limited, token expired) stays queued and
 * goes out, oldest first, with the next command that reaches the server (`send`, `receive`,
 * `login`, `accept`, `chat`); one to a contact whose safety number changed waits for `accept`.
 * A message the server refused for good (no such user, no devices, too long) is reported and
 * dropped, as a plain `send` always did.
 */
import { randomBytes } from 'node:crypto';
import {
  ClientError,
  isClientError,
  type Messenger,
  type MessageRecord,
  type Outbox,
  type OutboxEntry,
} from '@susurro/client';
import { describeError, formatTime } from './format.ts';

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

/** Where one-shot commands write their notes: stderr, so stdout stays data (`--json`). */
export interface NoteSink {
  err(line: string): void;
}

export class CliOutbox {
  readonly outbox: Outbox;
  /** The error of the latest failed attempt: the outbox sends one entry at a time. */
  lastError: unknown;

  private constructor(m: Messenger, hooks: CliOutboxHooks) {
    this.outbox = m.outbox({
      canSend: () => hooks.canSend(),
      now: () => Date.now(),
      newId: () => randomBytes(8).toString('hex'),
      onChange: () => undefined,
      onSent: (entry, record) => hooks.sent?.(entry, record),
      onBlocked: (peer) => hooks.blocked?.(peer),
      onAttemptFailed: (entry, error) => {
        this.lastError = error;
        if (entry.state === 'failed') hooks.failed(entry, error);
      },
      dropFailed: true,
      onError: (e) => hooks.error(e),
      setTimer: hooks.retry ? (fn, ms) => setTimeout(fn, ms).unref() : () => undefined,
    });
  }

  static async open(m: Messenger, hooks: CliOutboxHooks): Promise<CliOutbox> {
    const box = new CliOutbox(m, hooks);
    await box.outbox.load();
    return box;
  }
}

function noteSent(io: NoteSink, record: MessageRecord): void {
  io.err(`Sent queued message to ${record.peer} (${record.id})`);
}

function noteDropped(io: NoteSink, entry: OutboxEntry, error: unknown): void {
  io.err(
    `Dropped a message to ${entry.peer} written ${formatTime(entry.createdAt)} UTC: ` +
      describeError(error),
  );
}

/**
 * `susurro send`: the new message joins the outbox behind any older ones and the outbox sends
 * them in order. Resolves with its record once the server took it; otherwise throws what
 * stopped it: the server's refusal (the message is dropped), or why it is still waiting (it is
 * kept). Older messages that went out or were dropped are noted on `io`.
 */
export async function sendThroughOutbox(
  m: Messenger,
  to: string,
  text: string,
  io: NoteSink,
): Promise<MessageRecord> {
  const sent = new Map<string, MessageRecord>();
  const refused = new Map<string, { entry: OutboxEntry; error: unknown }>();
  const store: { error?: Error } = {};
  const box = await CliOutbox.open(m, {
    canSend: () => true,
    retry: false,
    sent: (entry, record) => sent.set(entry.localId, record),
    failed: (entry, error) => refused.set(entry.localId, { entry, error }),
    error: (e) => (store.error ??= e instanceof Error ? e : new Error(String(e))),
  });
  const mine = await box.outbox.enqueue(to, text);
  await box.outbox.idle();
  if (store.error !== undefined) throw store.error;
  for (const [id, record] of sent) if (id !== mine.localId) noteSent(io, record);
  for (const [id, { entry, error }] of refused)
    if (id !== mine.localId) noteDropped(io, entry, error);
  const record = sent.get(mine.localId);
  if (record) return record;
  const own = refused.get(mine.localId);
  if (own) throw own.error;
  const entry = box.outbox.entries.find((e) => e.localId === mine.localId) ?? mine;
  // Blocked itself, or held behind an older message to the same contact that is.
  const held = box.outbox.entries.some((e) => e.peer === entry.peer && e.state === 'blocked');
  if (held || box.lastError === undefined) {
    throw new ClientError(
      'UNTRUSTED_IDENTITY',
      `${entry.peer}'s identity key changed: compare safety numbers ` +
        `(susurro safety-number ${entry.peer}), then "susurro accept ${entry.peer}" sends the ` +
        `message, which waits in the outbox`,
    );
  }
  const cause = box.lastError;
  throw new ClientError(
    isClientError(cause) ? cause.code : 'NETWORK_ERROR',
    `${(cause as Error).message}; the message waits in the outbox and goes out with the next ` +
      `send, receive or chat ("susurro outbox" lists it)`,
    { cause },
  );
}

/**
 * Sends what waits in the outbox (after `receive`, `login` or `accept`, which passes the
 * contact to unblock), noting on `io` what went out, what was dropped and what still waits.
 * Never fails the command it follows.
 */
export async function flushOutbox(m: Messenger, io: NoteSink, unblock?: string): Promise<void> {
  const box = await CliOutbox.open(m, {
    canSend: () => true,
    retry: false,
    sent: (_entry, record) => noteSent(io, record),
    failed: (entry, error) => noteDropped(io, entry, error),
    error: (e) => io.err(`error: ${(e as Error).message}`),
  });
  if (unblock !== undefined) await box.outbox.unblock(unblock);
  else if (box.outbox.entries.length > 0) await box.outbox.flush();
  await box.outbox.idle();
  const left = box.outbox.entries.length;
  if (left > 0) io.err(`${left} message(s) still wait in the outbox ("susurro outbox" lists them)`);
}
