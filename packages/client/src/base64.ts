/** Standard base64 (RFC 4648 §4) without Buffer, so the SDK runs unchanged in browsers. */
import { ClientError } from './errors.ts';

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

export function fromBase64(text: string, what = 'base64 value'): Uint8Array {
  let bin: string;
  try {
    bin = atob(text);
  } catch (cause) {
    throw new ClientError('INVALID_ARGUMENT', `${what} is not valid base64`, { cause });
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
