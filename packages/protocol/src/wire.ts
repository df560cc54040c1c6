/**
 * Versioned binary wire formats. Every message starts with (version, type) so future
 * revisions (e.g. PQXDH) are recognised rather than misparsed.
 *
 * RatchetMessage v1 (header = first 43 bytes, authenticated as AD ‖ header):
 *   u8 version=1 ‖ u8 type=1 ‖ Encode(DHs) (33) ‖ u32 PN ‖ u32 N ‖ AES-GCM ciphertext‖tag (≥ 16)
 * InitialMessage v1 (X3DH §3.3 "initial message"):
 *   u8 version=1 ‖ u8 type=2 ‖ Encode(IK_A) ‖ Encode(EK_A) ‖ u32 SPK id ‖ u8 flags
 *   [‖ u32 OPK id if flags bit 0] ‖ u16 extension count ‖ extensions ‖ u32 len ‖ RatchetMessage
 * Extensions are (u16 tag, u32 length, bytes); v1 defines none and rejects unknown tags. PQXDH
 * will add one carrying the KEM prekey id and ciphertext, leaving v1 sessions untouched.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import {
  AEAD_TAG_LENGTH,
  ENCODED_PUBLIC_KEY_LENGTH,
  MAX_WIRE_MESSAGE_LENGTH,
} from './constants.ts';
import { ProtocolError } from './errors.ts';
import { decodePublicKey, encodePublicKey } from './keys.ts';

export const WIRE_VERSION = 1;
export const MESSAGE_TYPE_RATCHET = 1;
export const MESSAGE_TYPE_INITIAL = 2;
export const RATCHET_HEADER_LENGTH = 2 + ENCODED_PUBLIC_KEY_LENGTH + 4 + 4;
const FLAG_ONE_TIME_PREKEY = 0x01;

export interface RatchetHeader {
  readonly ratchetKey: Uint8Array;
  readonly previousChainLength: number;
  readonly messageNumber: number;
}

export interface RatchetMessage {
  readonly header: RatchetHeader;
  /** The exact header bytes as received: what the AEAD authenticates. */
  readonly headerBytes: Uint8Array;
  readonly sealed: Uint8Array;
}

export interface InitialMessage {
  readonly identityKey: Uint8Array;
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
  readonly ratchetMessage: RatchetMessage;
  /** The encoded inner message, so a repeat of the same initial message can be matched. */
  readonly ratchetMessageBytes: Uint8Array;
}

export function encodeRatchetHeader(header: RatchetHeader): Uint8Array {
  return new ByteWriter()
    .u8(WIRE_VERSION)
    .u8(MESSAGE_TYPE_RATCHET)
    .bytes(encodePublicKey(header.ratchetKey))
    .u32(header.previousChainLength)
    .u32(header.messageNumber)
    .finish();
}

function checkLength(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array))
    throw new ProtocolError('MALFORMED_MESSAGE', `${what} must be bytes`);
  if (bytes.length > MAX_WIRE_MESSAGE_LENGTH) {
    throw new ProtocolError(
      'MALFORMED_MESSAGE',
      `${what} is longer than ${MAX_WIRE_MESSAGE_LENGTH} bytes`,
    );
  }
}

function readVersionAndType(r: ByteReader, expectedType: number): void {
  const version = r.u8('version');
  if (version !== WIRE_VERSION) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `message version ${version} is not supported`);
  }
  const type = r.u8('type');
  if (type !== expectedType) r.fail(`unexpected message type ${type}`);
}

function readKey(r: ByteReader, field: string): Uint8Array {
  const encoded = r.bytes(ENCODED_PUBLIC_KEY_LENGTH, field);
  try {
    return decodePublicKey(encoded, field);
  } catch (cause) {
    throw new ProtocolError('MALFORMED_MESSAGE', `${field} is not a valid Curve25519 key`, {
      cause,
    });
  }
}

export function decodeRatchetMessage(bytes: Uint8Array): RatchetMessage {
  checkLength(bytes, 'ratchet message');
  const r = new ByteReader(bytes, 'ratchet message');
  readVersionAndType(r, MESSAGE_TYPE_RATCHET);
  const header: RatchetHeader = {
    ratchetKey: readKey(r, 'ratchet key'),
    previousChainLength: r.u32('previous chain length'),
    messageNumber: r.u32('message number'),
  };
  const sealed = r.rest('ciphertext');
  if (sealed.length < AEAD_TAG_LENGTH) r.fail('ciphertext shorter than the authentication tag');
  return { header, headerBytes: bytes.slice(0, RATCHET_HEADER_LENGTH), sealed };
}

export function encodeInitialMessage(m: Omit<InitialMessage, 'ratchetMessage'>): Uint8Array {
  const w = new ByteWriter()
    .u8(WIRE_VERSION)
    .u8(MESSAGE_TYPE_INITIAL)
    .bytes(encodePublicKey(m.identityKey))
    .bytes(encodePublicKey(m.baseKey))
    .u32(m.signedPreKeyId)
    .u8(m.oneTimePreKeyId === undefined ? 0 : FLAG_ONE_TIME_PREKEY);
  if (m.oneTimePreKeyId !== undefined) w.u32(m.oneTimePreKeyId);
  return w.u16(0).varBytes(m.ratchetMessageBytes).finish();
}

export function decodeInitialMessage(bytes: Uint8Array): InitialMessage {
  checkLength(bytes, 'initial message');
  const r = new ByteReader(bytes, 'initial message');
  readVersionAndType(r, MESSAGE_TYPE_INITIAL);
  const identityKey = readKey(r, 'identity key');
  const baseKey = readKey(r, 'base key');
  const signedPreKeyId = r.u32('signed prekey id');
  const flags = r.u8('flags');
  if ((flags & ~FLAG_ONE_TIME_PREKEY) !== 0) r.fail(`unknown flags 0x${flags.toString(16)}`);
  const oneTimePreKeyId = flags & FLAG_ONE_TIME_PREKEY ? r.u32('one-time prekey id') : undefined;
  const extensions = r.u16('extension count');
  if (extensions !== 0) {
    const tag = r.u16('extension tag');
    throw new ProtocolError(
      'UNSUPPORTED_VERSION',
      `initial message extension ${tag} is not supported`,
    );
  }
  const ratchetMessageBytes = r.varBytes('ratchet message', MAX_WIRE_MESSAGE_LENGTH);
  r.end();
  return {
    identityKey,
    baseKey,
    signedPreKeyId,
    oneTimePreKeyId,
    ratchetMessageBytes,
    ratchetMessage: decodeRatchetMessage(ratchetMessageBytes),
  };
}

/** Which kind of message this is, without decoding the rest (for routing). */
export function messageType(bytes: Uint8Array): 'initial' | 'ratchet' {
  checkLength(bytes, 'message');
  if (bytes.length < 2) throw new ProtocolError('MALFORMED_MESSAGE', 'message: truncated at type');
  if (bytes[0] !== WIRE_VERSION) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `message version ${bytes[0]} is not supported`);
  }
  if (bytes[1] === MESSAGE_TYPE_INITIAL) return 'initial';
  if (bytes[1] === MESSAGE_TYPE_RATCHET) return 'ratchet';
  throw new ProtocolError('MALFORMED_MESSAGE', `message: unknown type ${bytes[1]}`);
}
