/**
 * Byte helpers shared by the codecs. Isomorphic: no Buffer, no node:*.
 * `ByteReader` names the field it was reading in every error, so a malformed message says
 * exactly what was wrong without echoing its contents.
 */
import { ProtocolError, type ProtocolErrorCode } from './errors.ts';

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time equality for MACs, keys and tokens: the time depends only on the lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Overwrite secret material we own once it is no longer needed. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ProtocolError('INVALID_ARGUMENT', 'hex string has odd length or non-hex characters');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Argument check that names the argument (as noble's `abytes`). */
export function assertBytes(value: unknown, name: string, ...lengths: number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ProtocolError('INVALID_ARGUMENT', `${name} must be a Uint8Array`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `${name} must be ${lengths.join(' or ')} bytes, got ${value.length}`,
    );
  }
  return value;
}

export function assertUint32(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new ProtocolError('INVALID_ARGUMENT', `${name} must be an integer in [0, 2^32)`);
  }
  return value;
}

/** Append-only big-endian writer for the wire and state codecs. */
export class ByteWriter {
  private readonly parts: Uint8Array[] = [];

  u8(value: number): this {
    this.parts.push(Uint8Array.of(value & 0xff));
    return this;
  }

  u16(value: number): this {
    this.parts.push(Uint8Array.of((value >>> 8) & 0xff, value & 0xff));
    return this;
  }

  u32(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value);
    this.parts.push(b);
    return this;
  }

  /** Safe integers up to 2^53, stored as 8 bytes (timestamps in ms). */
  u64(value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(value));
    this.parts.push(b);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.parts.push(value);
    return this;
  }

  /** Length-prefixed (u32) byte string. */
  varBytes(value: Uint8Array): this {
    return this.u32(value.length).bytes(value);
  }

  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

/** Strict reader: every read names its field; leftovers are an error unless read explicitly. */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
    private readonly errorCode: ProtocolErrorCode = 'MALFORMED_MESSAGE',
  ) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  fail(message: string): never {
    throw new ProtocolError(this.errorCode, `${this.what}: ${message}`);
  }

  private take(length: number, field: string): Uint8Array {
    if (length > this.remaining) {
      this.fail(`truncated at ${field} (need ${length} bytes, have ${this.remaining})`);
    }
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0]!;
  }

  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0]! << 8) | b[1]!;
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }

  u64(field: string): number {
    const b = this.take(8, field);
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${field} out of range`);
    return Number(v);
  }

  /** A copy, so callers may keep or wipe it independently of the input buffer. */
  bytes(length: number, field: string): Uint8Array {
    return this.take(length, field).slice();
  }

  varBytes(field: string, maxLength: number): Uint8Array {
    const length = this.u32(`${field} length`);
    if (length > maxLength) this.fail(`${field} too long (${length} > ${maxLength})`);
    return this.bytes(length, field);
  }

  rest(field: string): Uint8Array {
    return this.bytes(this.remaining, field);
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}
