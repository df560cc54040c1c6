import { isClientError, type MessageRecord, type OutboxEntry } from '@susurro/client';

/** "2026-11-25 22:31:07" (UTC). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** An error as one line: "CODE: message" for the SDK's errors, the message otherwise. */
export function describeError(e: unknown): string {
  const code = isClientError(e) ? `${e.code}: ` : '';
  return `${code}${(e as Error | undefined)?.message ?? 'refused'}`;
}

/**
 * Whether a record belongs in history: a send that failed mid-post leaves its record in
 * `sending`, and the outbox entry (listed by `susurro outbox`) stands for that message.
 */
export const inHistory = (r: MessageRecord): boolean => r.status !== 'sending';

/** One history line: "2026-11-25 22:31:07 alice: hi" (UTC), with delivery state for ours. */
export function formatMessage(r: MessageRecord): string {
  const who = r.direction === 'in' ? r.peer : 'me';
  const status = r.direction === 'out' ? ` [${r.status}]` : '';
  return `${formatTime(r.sentAt)} ${who}: ${r.body}${status}`;
}

/** One `susurro outbox` line: "2026-11-25 22:31:07 me → bob: hi [queued]". */
export function formatEntry(e: OutboxEntry): string {
  const why = e.state === 'blocked' ? ', waits for accept' : '';
  return `${formatTime(e.createdAt)} me → ${e.peer}: ${e.body} [${e.state}${why}]`;
}
