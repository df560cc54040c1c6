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

/** 128-bit random id in hex: unguessable, and inside the server's id alphabet. */
export function newMessageId(random: (n: number) => Uint8Array): string {
  return Array.from(random(16), (b) => b.toString(16).padStart(2, '0')).join('');
}
