/**
 * Safety numbers: Signal's numeric fingerprint, byte-compatible with libsignal
 * (`rust/protocol/src/fingerprint.rs`) so a Susurro client and a libsignal-based one show the
 * same 60 digits for the same keys and ids.
 *
 * Per party: round 0 = SHA-512(0x0000 ‖ K ‖ stableId ‖ K), round i = SHA-512(round i−1 ‖ K),
 * with K the 33-byte Encode(IK). The first 30 bytes become 30 digits (six 5-byte big-endian
 * chunks mod 100 000); the displayed number is both parties' digits, smaller first. The
 * scannable (QR) form carries the first 32 bytes of each party's hash in a small protobuf.
 *
 * Synchronous and pure: no I/O, no clock, no randomness (STYLE §1).
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { equalBytes } from './bytes.ts';
import { CURVE25519_KEY_TYPE, ENCODED_PUBLIC_KEY_LENGTH, PUBLIC_KEY_LENGTH } from './constants.ts';
import { ProtocolError } from './errors.ts';

/**
 * Hash rounds per party; 5 200 is what Signal ships (libsignal tests, Signal-Desktop
 * `ITERATION_COUNT`) and interop requires it. Trade-off: more rounds make grinding for a key
 * whose 30 digits match a victim's costlier, but cost ~20 ms per safety number here (Node 20).
 */
export const SAFETY_NUMBER_ITERATIONS = 5_200;

/**
 * Scannable-format version. Signal uses 1 when stable ids are phone numbers and 2 when they
 * are opaque account ids (Signal-Desktop `SERVICE_ID_VERSION`); ours are account ids. Only the
 * scannable bytes depend on it — the displayed digits are identical across versions.
 */
export const SAFETY_NUMBER_VERSION = 2;

/** libsignal rejects `iterations <= 1 || iterations > 1_000_000`; we accept the same range. */
const MIN_ITERATIONS = 2;
const MAX_ITERATIONS = 1_000_000;

/** fingerprint.rs `fingerprint_version = [0u8, 0u8]`: the round-0 prefix, independent of `version`. */
const HASH_FORMAT_VERSION = new Uint8Array([0x00, 0x00]);
const DIGITS_BYTES = 30; // six 5-byte chunks
const SCANNABLE_BYTES = 32; // ScannableFingerprint keeps `fprint[..32]`

export interface SafetyNumberInput {
  readonly localStableId: Uint8Array;
  /** Encode(IK): 0x05 ‖ 32 bytes. A raw 32-byte key is accepted and prefixed with 0x05. */
  readonly localIdentityKey: Uint8Array;
  readonly remoteStableId: Uint8Array;
  readonly remoteIdentityKey: Uint8Array;
  readonly iterations?: number;
  readonly version?: number;
}

export interface SafetyNumber {
  /** 60 digits, the same on both sides; show it with `formatSafetyNumber`. */
  readonly displayable: string;
  /** Signal's `CombinedFingerprints` protobuf (QR payload), from the local party's view. */
  readonly scannable: Uint8Array;
}

export function computeSafetyNumber(input: SafetyNumberInput): SafetyNumber {
  const iterations = input.iterations ?? SAFETY_NUMBER_ITERATIONS;
  const version = input.version ?? SAFETY_NUMBER_VERSION;
  if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `iterations must be an integer in [${MIN_ITERATIONS}, ${MAX_ITERATIONS}]`,
    );
  }
  // The version is a protobuf uint32 (fingerprint.proto).
  if (!Number.isInteger(version) || version < 0 || version > 0xffff_ffff) {
    throw new ProtocolError('INVALID_ARGUMENT', 'version must be an integer in [0, 2^32 - 1]');
  }
  // Check every input before spending ~10 000 hashes on any of them.
  const localId = checkStableId(input.localStableId, 'localStableId');
  const localKey = encodeIdentityKey(input.localIdentityKey, 'localIdentityKey');
  const remoteId = checkStableId(input.remoteStableId, 'remoteStableId');
  const remoteKey = encodeIdentityKey(input.remoteIdentityKey, 'remoteIdentityKey');
  const local = partyFingerprint(iterations, localId, localKey);
  const remote = partyFingerprint(iterations, remoteId, remoteKey);
  const localDigits = digits(local);
  const remoteDigits = digits(remote);
  // fingerprint.rs DisplayableFingerprint: string order, smaller first, so both sides agree.
  const displayable =
    localDigits < remoteDigits ? localDigits + remoteDigits : remoteDigits + localDigits;
  return {
    displayable,
    scannable: encodeScannable(
      version,
      local.subarray(0, SCANNABLE_BYTES),
      remote.subarray(0, SCANNABLE_BYTES),
    ),
  };
}

/** 60 digits → "12345 67890 …": 12 groups of 5, the way Signal shows them. */
export function formatSafetyNumber(displayable: string): string {
  if (!/^[0-9]{60}$/.test(displayable)) {
    throw new ProtocolError('INVALID_ARGUMENT', 'displayable must be exactly 60 digits');
  }
  return displayable.match(/[0-9]{5}/g)!.join(' ');
}

/**
 * Does a scanned QR code match ours? libsignal `ScannableFingerprint::compare`: the other
 * device encodes its own hash as "local", so their local must equal our remote and vice versa.
 *
 * @throws ProtocolError 'MALFORMED_MESSAGE' if `scanned` is not a CombinedFingerprints protobuf
 *   with both fingerprints; 'INVALID_ARGUMENT' if the versions differ (the other side runs a
 *   different format: tell the user to update rather than "numbers don't match") or if `ours`
 *   is not something `computeSafetyNumber` produced.
 */
export function compareScannableFingerprints(ours: Uint8Array, scanned: Uint8Array): boolean {
  const mine = decodeScannable(ours);
  if (mine === null || mine.local === undefined || mine.remote === undefined) {
    throw new ProtocolError('INVALID_ARGUMENT', 'ours is not a scannable fingerprint');
  }
  const theirs = decodeScannable(scanned);
  if (theirs === null) {
    throw new ProtocolError('MALFORMED_MESSAGE', 'scanned fingerprint is not a valid protobuf');
  }
  // libsignal checks the version (absent = 0) before the fingerprint fields.
  const theirVersion = theirs.version ?? 0;
  const ourVersion = mine.version ?? 0;
  if (theirVersion !== ourVersion) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `scanned fingerprint version ${theirVersion} does not match ours (${ourVersion})`,
    );
  }
  if (theirs.local === undefined || theirs.remote === undefined) {
    throw new ProtocolError('MALFORMED_MESSAGE', 'scanned fingerprint lacks a fingerprint field');
  }
  // Constant-time per field (libsignal: subtle's ct_eq), both evaluated before combining.
  const sameLocal = equalBytes(theirs.local, mine.remote);
  const sameRemote = equalBytes(theirs.remote, mine.local);
  return sameLocal && sameRemote;
}

function checkStableId(id: Uint8Array, field: string): Uint8Array {
  if (!(id instanceof Uint8Array)) {
    throw new ProtocolError('INVALID_ARGUMENT', `${field} must be a Uint8Array`);
  }
  return id;
}

function encodeIdentityKey(key: Uint8Array, field: string): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length === ENCODED_PUBLIC_KEY_LENGTH && key[0] === CURVE25519_KEY_TYPE) return key;
    if (key.length === PUBLIC_KEY_LENGTH) {
      const encoded = new Uint8Array(ENCODED_PUBLIC_KEY_LENGTH);
      encoded[0] = CURVE25519_KEY_TYPE;
      encoded.set(key, 1);
      return encoded;
    }
  }
  throw new ProtocolError(
    'INVALID_KEY',
    `${field} must be 33 bytes starting with 0x05, or a raw 32-byte key`,
  );
}

/** fingerprint.rs `get_fingerprint`: the full 64-byte hash after `iterations` rounds. */
function partyFingerprint(iterations: number, stableId: Uint8Array, key: Uint8Array): Uint8Array {
  const first = new Uint8Array(HASH_FORMAT_VERSION.length + 2 * key.length + stableId.length);
  first.set(HASH_FORMAT_VERSION, 0);
  first.set(key, HASH_FORMAT_VERSION.length);
  first.set(stableId, HASH_FORMAT_VERSION.length + key.length);
  first.set(key, HASH_FORMAT_VERSION.length + key.length + stableId.length);
  let digest = sha512(first);
  // One buffer reused for every later round: previous digest ‖ K.
  const round = new Uint8Array(digest.length + key.length);
  round.set(key, digest.length);
  for (let i = 1; i < iterations; i++) {
    round.set(digest, 0);
    digest = sha512(round);
  }
  return digest;
}

/** fingerprint.rs `get_encoded_string`: 30 bytes → six 5-digit groups (40-bit values fit a double). */
function digits(fingerprint: Uint8Array): string {
  let out = '';
  for (let chunk = 0; chunk < DIGITS_BYTES; chunk += 5) {
    let value = 0;
    for (let i = chunk; i < chunk + 5; i++) value = value * 256 + fingerprint[i]!;
    out += String(value % 100_000).padStart(5, '0');
  }
  return out;
}

// fingerprint.proto: CombinedFingerprints { uint32 version = 1; LogicalFingerprint
// local_fingerprint = 2; LogicalFingerprint remote_fingerprint = 3; } and
// LogicalFingerprint { bytes content = 1; }. Hand-encoded: the layout is fixed and tiny.
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function encodeScannable(version: number, local: Uint8Array, remote: Uint8Array): Uint8Array {
  const out: number[] = [(1 << 3) | WIRE_VARINT, ...encodeVarint(version)];
  for (const [field, content] of [
    [2, local],
    [3, remote],
  ] as const) {
    // LogicalFingerprint { 1: content }: tag 0x0a, length, bytes.
    out.push((field << 3) | WIRE_LEN, content.length + 2, (1 << 3) | WIRE_LEN, content.length);
    out.push(...content);
  }
  return Uint8Array.from(out);
}

function encodeVarint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return bytes;
}

interface DecodedScannable {
  version?: number;
  local?: Uint8Array;
  remote?: Uint8Array;
}

/**
 * Minimal protobuf reader with prost's semantics for this schema: fields in any order, unknown
 * fields skipped, a repeated scalar keeps the last value, a repeated sub-message is merged.
 * Returns null on any wire-format error (truncation, bad wire type, overlong varint).
 */
function decodeScannable(bytes: Uint8Array): DecodedScannable | null {
  if (!(bytes instanceof Uint8Array)) return null;
  const result: DecodedScannable = {};
  const ok = readFields(bytes, (field, wire, value) => {
    if (field === 1) {
      if (wire !== WIRE_VARINT) return false;
      result.version = Number(BigInt.asUintN(32, value as bigint)); // prost: `as u32`
    } else if (field === 2 || field === 3) {
      if (wire !== WIRE_LEN) return false;
      const key = field === 2 ? 'local' : 'remote';
      let content = result[key];
      const nestedOk = readFields(value as Uint8Array, (f, w, v) => {
        if (f !== 1) return true;
        if (w !== WIRE_LEN) return false;
        content = v as Uint8Array;
        return true;
      });
      if (!nestedOk) return false;
      // A LogicalFingerprint without `content` leaves the field absent (an error in compare).
      if (content !== undefined) result[key] = content;
    }
    return true;
  });
  return ok ? result : null;
}

type FieldVisitor = (field: number, wire: number, value: bigint | Uint8Array | null) => boolean;

function readFields(bytes: Uint8Array, visit: FieldVisitor): boolean {
  let pos = 0;
  const varint = (): bigint | null => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) return null;
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return shift === 63n && b > 1 ? null : result;
    }
    return null; // more than 10 bytes
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === null || tag > 0xffff_ffffn) return false;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) return false;
    let value: bigint | Uint8Array | null = null;
    if (wire === WIRE_VARINT) {
      value = varint();
      if (value === null) return false;
    } else if (wire === WIRE_LEN) {
      const length = varint();
      if (length === null || length > BigInt(bytes.length - pos)) return false;
      value = bytes.subarray(pos, pos + Number(length));
      pos += Number(length);
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      const size = wire === WIRE_I64 ? 8 : 4;
      if (pos + size > bytes.length) return false;
      pos += size;
    } else {
      return false; // groups (3, 4) and invalid wire types 6, 7
    }
    if (!visit(field, wire, value)) return false;
  }
  return true;
}
