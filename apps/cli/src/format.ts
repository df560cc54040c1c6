import type { MessageRecord } from '@susurro/client';

/** One history line: "2026-11-25 22:31:07 alice: hi" (UTC), with delivery state for ours. */
export function formatMessage(r: MessageRecord): string {
  const time = new Date(r.sentAt).toISOString().replace('T', ' ').slice(0, 19);
  const who = r.direction === 'in' ? r.peer : 'me';
  const status = r.direction === 'out' ? ` [${r.status}]` : '';
  return `${time} ${who}: ${r.body}${status}`;
}
