import { ServerError } from './errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** RFC 4648 §4's standard alphabet by character code (ASCII). */
const IN_ALPHABET = new Uint8Array(128);
for (let i = 0; i < ALPHABET.length; i++) IN_ALPHABET[ALPHABET.charCodeAt(i)] = 1;

/**
 * Whether `value` is standard base64 with padding: a multiple of 4 characters from the
 * alphabet, with at most two `=` at the end. Checked before decoding because Node's decoder
 * silently skips characters it does not know (and takes the URL-safe alphabet too). A loop
 * over a table, not a regular expression: run on every message body, the pattern alone was
 * ~1 % of the server's core at 10k msg/s (packages/server/README.md, round 10).
 */
function isBase64(value: string): boolean {
  const n = value.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && value.charCodeAt(n - 1) === 0x3d)
    end = value.charCodeAt(n - 2) === 0x3d ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || IN_ALPHABET[c] === 0) return false;
  }
  return true;
}

/**
 * Decodes standard base64, rejecting other alphabets, missing padding and non-canonical
 * encodings (non-zero pad bits), so every byte string has exactly one accepted spelling.
 */
export function decodeBase64(value: string, field: string): Uint8Array {
  if (!isBase64(value)) throw new ServerError('BAD_BASE64', `${field} is not standard base64`);
  // Past that check, only the pad bits can make an encoding non-canonical (RFC 4648 §3.5):
  // checking them is O(1), where re-encoding to compare cost a full pass per message.
  if (padBits(value) !== 0) {
    throw new ServerError('BAD_BASE64', `${field} is not canonical base64`);
  }
  // A Buffer is a Uint8Array: returned as is, since a second view over its memory cost a typed
  // array and its array buffer per message on the send path.
  return Buffer.from(value, 'base64');
}

/** The unused low bits of the last data character: 4 bits before `==`, 2 before `=`. */
function padBits(value: string): number {
  if (!value.endsWith('=')) return 0;
  const double = value.endsWith('==');
  const last = ALPHABET.indexOf(value.charAt(value.length - (double ? 3 : 2)));
  return last & (double ? 0x0f : 0x03);
}

/** Text as `encodeBase64` writes it: only the standard alphabet and `=` (no JSON escapes). */
export type Base64 = string & { readonly __encoding: 'base64' };

export function encodeBase64(bytes: Uint8Array): Base64 {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('base64') as Base64;
}

/** Length of the base64 text for `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}
