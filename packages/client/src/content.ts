/**
 * What travels inside the end-to-end encryption: a small versioned JSON document. The server
 * never sees it. `id` is the sender's message id, used by the recipient to drop duplicates and
 * by receipts to say which messages arrived.
 */
import { ClientError } from './errors.ts';

export type Content =
  | { v: 1; t: 'text'; id: string; body: string; sentAt: number }
  | { v: 1; t: 'receipt'; ids: string[] };

export function encodeContent(content: Content): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(content));
}

export function decodeContent(bytes: Uint8Array): Content {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new ClientError('UNSUPPORTED_CONTENT', 'decrypted content is not JSON', { cause });
  }
  const c = value as Partial<Record<string, unknown>> | null;
  if (
    c?.v === 1 &&
    c.t === 'text' &&
    typeof c.id === 'string' &&
    typeof c.body === 'string' &&
    typeof c.sentAt === 'number'
  ) {
    return { v: 1, t: 'text', id: c.id, body: c.body, sentAt: c.sentAt };
  }
  if (
    c?.v === 1 &&
    c.t === 'receipt' &&
    Array.isArray(c.ids) &&
    c.ids.every((i) => typeof i === 'string')
  ) {
    return { v: 1, t: 'receipt', ids: c.ids };
  }
  throw new ClientError('UNSUPPORTED_CONTENT', 'unknown content type or version');
}

/**
 * 32 hex digits, inside the server's id alphabet: the creation time in milliseconds (12 digits,
 * as in a UUIDv7, RFC 9562 §5.7) then 80 random bits. Time first, because the server keeps a
 * week of ids in a tree keyed by id: ids that sort by time are appended there instead of each
 * rewriting a random page of it. The random part keeps ids unguessable and distinct. The time
 * tells the recipient what the encrypted `sentAt` already does, and the server this device's
 * clock reading next to its own receive time (the clock's skew, not when the user wrote).
 */
export function newMessageId(random: (n: number) => Uint8Array, now: number): string {
  const time = Math.max(0, Math.min(Math.floor(now), 0xffff_ffff_ffff));
  const tail = Array.from(random(10), (b) => b.toString(16).padStart(2, '0')).join('');
  return time.toString(16).padStart(12, '0') + tail;
}

/** What `newMessageId` makes. */
export const MESSAGE_ID = /^[0-9a-f]{32}$/;
