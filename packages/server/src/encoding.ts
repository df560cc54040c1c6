import { ServerError } from './errors.ts';

// RFC 4648 §4 standard alphabet with padding. Checked by pattern first because Node's decoder
// silently skips invalid characters instead of failing.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard base64, rejecting other alphabets, missing padding and non-canonical
 * encodings (non-zero pad bits), so every byte string has exactly one accepted spelling.
 */
export function decodeBase64(value: string, field: string): Uint8Array {
  if (!BASE64.test(value)) throw new ServerError('BAD_BASE64', `${field} is not standard base64`);
  // Past the pattern, only the pad bits can make an encoding non-canonical (RFC 4648 §3.5):
  // checking them is O(1), where re-encoding to compare cost a full pass per message.
  if (padBits(value) !== 0) {
    throw new ServerError('BAD_BASE64', `${field} is not canonical base64`);
  }
  const decoded = Buffer.from(value, 'base64');
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The unused low bits of the last data character: 4 bits before `==`, 2 before `=`. */
function padBits(value: string): number {
  if (!value.endsWith('=')) return 0;
  const double = value.endsWith('==');
  const last = ALPHABET.indexOf(value.charAt(value.length - (double ? 3 : 2)));
  return last & (double ? 0x0f : 0x03);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Length of the base64 text for `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}
