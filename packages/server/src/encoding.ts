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
  const decoded = Buffer.from(value, 'base64');
  if (decoded.toString('base64') !== value) {
    throw new ServerError('BAD_BASE64', `${field} is not canonical base64`);
  }
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Length of the base64 text for `n` bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}
