/**
 * Pure view state: merges the SDK's history with the outbox into what a conversation shows,
 * and summarises conversations for the list (last message, unread count, trust flags).
 * No I/O, no clock: unit-tested in Node (test/chat-state.test.ts).
 */
import type { ContactRecord, MessageRecord, OutboxEntry } from '@susurro/client';

export type DisplayStatus =
  'queued' | 'sending' | 'blocked' | 'failed' | 'sent' | 'delivered' | 'received';

export interface DisplayMessage {
  /** Stable React key: the message id, or the outbox id until it is sent. */
  readonly key: string;
  readonly peer: string;
  readonly direction: 'in' | 'out';
  readonly body: string;
  /** Epoch ms shown next to the message: when it was written. */
  readonly at: number;
  readonly status: DisplayStatus;
  /** For outbox entries: their id (retry / discard) and why they failed. */
  readonly localId?: string;
  readonly errorCode?: string;
}

export interface ConversationSummary {
  readonly peer: string;
  readonly last: DisplayMessage | undefined;
  readonly unread: number;
  /** The contact's identity key changed and the user has not accepted it yet. */
  readonly identityChanged: boolean;
  readonly verified: boolean;
}

/** When an incoming message counts as arrived, for unread marks. */
export const arrivedAt = (m: MessageRecord): number => m.receivedAt ?? m.sentAt;

/**
 * `list` with `record` added: a new record, or the completion of one that an earlier attempt
 * left in `sending` (an outbox retry finishes it under the same id). Undefined when nothing
 * changes: any other record already listed stays as it is (a delivery receipt may have
 * overtaken the `sent` one).
 */
export function withRecord(
  list: readonly MessageRecord[],
  record: MessageRecord,
): MessageRecord[] | undefined {
  const at = list.findIndex((m) => m.id === record.id);
  if (at < 0) return [...list, record];
  if (list[at]!.status !== 'sending' || record.status === 'sending') return undefined;
  return list.map((m, i) => (i === at ? record : m));
}

export function displayMessages(
  history: readonly MessageRecord[],
  outbox: readonly OutboxEntry[],
): DisplayMessage[] {
  const out: DisplayMessage[] = [];
  for (const m of history) {
    // `sending` records are left behind by a send that failed mid-way (see outbox.ts); the
    // outbox entry, or its retried copy, stands for that message.
    if (m.status === 'sending') continue;
    out.push({
      key: m.id,
      peer: m.peer,
      direction: m.direction,
      body: m.body,
      at: m.sentAt,
      status: m.status === 'failed' ? 'failed' : m.status,
    });
  }
  out.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  // Not yet accepted by the server, so after everything that was, in the order written.
  for (const e of outbox) {
    out.push({
      key: e.localId,
      peer: e.peer,
      direction: 'out',
      body: e.body,
      at: e.createdAt,
      status: e.state,
      localId: e.localId,
      ...(e.errorCode === undefined ? {} : { errorCode: e.errorCode }),
    });
  }
  return out;
}

export function unreadCount(history: readonly MessageRecord[], readUpTo: number): number {
  let n = 0;
  for (const m of history) if (m.direction === 'in' && arrivedAt(m) > readUpTo) n++;
  return n;
}

/** The newest arrival time among incoming messages (what "read up to here" should record). */
export function latestArrival(history: readonly MessageRecord[]): number {
  let latest = 0;
  for (const m of history) if (m.direction === 'in') latest = Math.max(latest, arrivedAt(m));
  return latest;
}

export function summarize(input: {
  messages: ReadonlyMap<string, readonly DisplayMessage[]>;
  history: ReadonlyMap<string, readonly MessageRecord[]>;
  contacts: ReadonlyMap<string, ContactRecord>;
  readUpTo: ReadonlyMap<string, number>;
}): ConversationSummary[] {
  const peers = new Set([...input.messages.keys(), ...input.contacts.keys()]);
  const list: ConversationSummary[] = [];
  for (const peer of peers) {
    const messages = input.messages.get(peer) ?? [];
    const contact = input.contacts.get(peer);
    list.push({
      peer,
      last: messages.at(-1),
      unread: unreadCount(input.history.get(peer) ?? [], input.readUpTo.get(peer) ?? 0),
      identityChanged: contact?.pendingKey !== undefined,
      verified: contact?.verified ?? false,
    });
  }
  // Most recent conversation first; conversations without messages last, by name.
  return list.sort(
    (a, b) => (b.last?.at ?? -1) - (a.last?.at ?? -1) || a.peer.localeCompare(b.peer),
  );
}

/** Groups records by peer, keeping the SDK's order (oldest first). */
export function groupByPeer<T extends { peer: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    let list = map.get(item.peer);
    if (!list) map.set(item.peer, (list = []));
    list.push(item);
  }
  return map;
}
