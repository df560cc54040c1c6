import { describe, it, expect } from 'vitest';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import vectors from './vectors/libsignal-fingerprint.json' with { type: 'json' };
import {
  SAFETY_NUMBER_ITERATIONS,
  compareScannableFingerprints,
  computeSafetyNumber,
  formatSafetyNumber,
} from '../src/fingerprint.ts';
import { isProtocolError, type ProtocolErrorCode } from '../src/errors.ts';

// libsignal fingerprint.rs test vectors (fingerprint_test_v1 / _v2, fingerprint_encodings).
// The JSON module types each vector as a union member whose other fields are `?: undefined`,
// so checking a field against undefined picks out the member.
const kats = vectors.vectors.flatMap((v) => (v.alice_identity_key === undefined ? [] : [v]));
const encodingVector = vectors.vectors.flatMap((v) =>
  v.local_fingerprint === undefined ? [] : [v],
)[0]!;

// Non-KAT tests use libsignal's own test iteration count for speed; the KAT uses the default.
const FAST = 1024;
const ALICE_ID = utf8ToBytes('+14152222222');
const BOB_ID = utf8ToBytes('+14153333333');

/** Deterministic 33-byte Encode(IK) stand-ins (no Math.random: tests must replay exactly). */
function testKey(label: string): Uint8Array {
  const key = sha512(utf8ToBytes(label)).slice(0, 33);
  key[0] = 0x05;
  return key;
}

function expectProtocolError(fn: () => unknown, code: ProtocolErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(
    isProtocolError(caught, code),
    `expected ProtocolError ${code}, got ${String(caught)}`,
  ).toBe(true);
}

function pair(aliceKey: Uint8Array, bobKey: Uint8Array, version = 2) {
  const alice = computeSafetyNumber({
    localStableId: ALICE_ID,
    localIdentityKey: aliceKey,
    remoteStableId: BOB_ID,
    remoteIdentityKey: bobKey,
    iterations: FAST,
    version,
  });
  const bob = computeSafetyNumber({
    localStableId: BOB_ID,
    localIdentityKey: bobKey,
    remoteStableId: ALICE_ID,
    remoteIdentityKey: aliceKey,
    iterations: FAST,
    version,
  });
  return { alice, bob };
}

describe('computeSafetyNumber: libsignal known answers', () => {
  it('has two KAT versions to check', () => {
    expect(kats.map((v) => v.version)).toEqual([1, 2]);
    expect(SAFETY_NUMBER_ITERATIONS).toBe(kats[0]!.iterations);
  });

  for (const v of kats) {
    it(`${v.name}: displayable and scannable match from both sides`, () => {
      const aliceKey = hexToBytes(v.alice_identity_key);
      const bobKey = hexToBytes(v.bob_identity_key);
      const aliceId = hexToBytes(v.alice_stable_id_hex);
      const bobId = hexToBytes(v.bob_stable_id_hex);
      expect(aliceId).toEqual(utf8ToBytes(v.alice_stable_id));

      const alice = computeSafetyNumber({
        localStableId: aliceId,
        localIdentityKey: aliceKey,
        remoteStableId: bobId,
        remoteIdentityKey: bobKey,
        version: v.version, // iterations: default, which must be libsignal's 5200
      });
      const bob = computeSafetyNumber({
        localStableId: bobId,
        localIdentityKey: bobKey,
        remoteStableId: aliceId,
        remoteIdentityKey: aliceKey,
        iterations: v.iterations,
        version: v.version,
      });

      expect(alice.displayable).toBe(v.displayable);
      expect(bob.displayable).toBe(v.displayable);
      expect(bytesToHex(alice.scannable)).toBe(v.alice_scannable);
      expect(bytesToHex(bob.scannable)).toBe(v.bob_scannable);
      expect(compareScannableFingerprints(alice.scannable, bob.scannable)).toBe(true);
      expect(compareScannableFingerprints(bob.scannable, alice.scannable)).toBe(true);
    });
  }

  it('accepts raw 32-byte identity keys as if prefixed with 0x05', () => {
    const v = kats[0]!;
    const encoded = computeSafetyNumber({
      localStableId: ALICE_ID,
      localIdentityKey: hexToBytes(v.alice_identity_key),
      remoteStableId: BOB_ID,
      remoteIdentityKey: hexToBytes(v.bob_identity_key),
      iterations: FAST,
    });
    const raw = computeSafetyNumber({
      localStableId: ALICE_ID,
      localIdentityKey: hexToBytes(v.alice_identity_key).subarray(1),
      remoteStableId: BOB_ID,
      remoteIdentityKey: hexToBytes(v.bob_identity_key).subarray(1),
      iterations: FAST,
    });
    expect(raw).toEqual(encoded);
  });
});

describe('computeSafetyNumber: properties', () => {
  const aliceKey = testKey('alice');
  const bobKey = testKey('bob');

  it('gives both parties the same 60 digits', () => {
    const { alice, bob } = pair(aliceKey, bobKey);
    expect(alice.displayable).toMatch(/^[0-9]{60}$/);
    expect(bob.displayable).toBe(alice.displayable);
    expect(alice.scannable).not.toEqual(bob.scannable); // local/remote swapped
  });

  it('changes when any bit of either identity key changes', () => {
    const reference = pair(aliceKey, bobKey);
    expect(compareScannableFingerprints(reference.alice.scannable, reference.bob.scannable)).toBe(
      true,
    );
    for (const who of ['alice', 'bob'] as const) {
      // Bits in the first, a middle and the last byte of the 32-byte u-coordinate.
      for (const bit of [8, 135, 263]) {
        const flipped = (who === 'alice' ? aliceKey : bobKey).slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const changed =
          who === 'alice' ? pair(flipped, bobKey).alice : pair(aliceKey, flipped).alice;
        expect(changed.displayable, `${who} bit ${bit}`).not.toBe(reference.alice.displayable);
        expect(compareScannableFingerprints(changed.scannable, reference.bob.scannable)).toBe(
          false,
        );
      }
    }
  });

  it('changes when a stable id changes (fingerprint_mismatching_identifiers)', () => {
    const bob = pair(aliceKey, bobKey).bob;
    const alice = computeSafetyNumber({
      localStableId: utf8ToBytes('+141512222222'),
      localIdentityKey: aliceKey,
      remoteStableId: BOB_ID,
      remoteIdentityKey: bobKey,
      iterations: FAST,
    });
    expect(alice.displayable).not.toBe(bob.displayable);
    expect(compareScannableFingerprints(alice.scannable, bob.scannable)).toBe(false);
    expect(compareScannableFingerprints(bob.scannable, alice.scannable)).toBe(false);
  });

  it('detects a key substituted by a man in the middle (fingerprint_mismatching_fingerprints)', () => {
    const mitmKey = testKey('mallory');
    const alice = pair(aliceKey, mitmKey).alice; // Alice was given Mallory's key for Bob
    const bob = pair(aliceKey, bobKey).bob;
    expect(alice.displayable).not.toBe(bob.displayable);
    expect(compareScannableFingerprints(alice.scannable, bob.scannable)).toBe(false);
    expect(compareScannableFingerprints(bob.scannable, alice.scannable)).toBe(false);
  });

  it('keeps the digits but changes the scannable bytes across versions', () => {
    const v1 = pair(aliceKey, bobKey, 1);
    const v2 = pair(aliceKey, bobKey, 2);
    expect(v1.alice.displayable).toBe(v2.alice.displayable);
    expect(v1.alice.scannable).not.toEqual(v2.alice.scannable);
  });

  it('rejects bad iteration counts, versions and keys, naming the field', () => {
    const base = {
      localStableId: ALICE_ID,
      localIdentityKey: aliceKey,
      remoteStableId: BOB_ID,
      remoteIdentityKey: bobKey,
    };
    for (const iterations of [0, 1, 1.5, 1_000_001, Number.NaN]) {
      expectProtocolError(() => computeSafetyNumber({ ...base, iterations }), 'INVALID_ARGUMENT');
    }
    for (const version of [-1, 2 ** 32, 0.5]) {
      expectProtocolError(
        () => computeSafetyNumber({ ...base, iterations: FAST, version }),
        'INVALID_ARGUMENT',
      );
    }
    const badType = aliceKey.slice();
    badType[0] = 0x06;
    for (const key of [badType, aliceKey.subarray(0, 31), new Uint8Array(34), new Uint8Array(0)]) {
      expectProtocolError(
        () => computeSafetyNumber({ ...base, remoteIdentityKey: key, iterations: FAST }),
        'INVALID_KEY',
      );
    }
    expect(() => computeSafetyNumber({ ...base, localIdentityKey: badType })).toThrow(
      /localIdentityKey/,
    );
  });
});

describe('compareScannableFingerprints', () => {
  const { alice, bob } = pair(testKey('alice'), testKey('bob'));

  it('matches the other side and not our own code (fingerprint_matching_identifiers)', () => {
    expect(compareScannableFingerprints(alice.scannable, bob.scannable)).toBe(true);
    expect(compareScannableFingerprints(bob.scannable, alice.scannable)).toBe(true);
    expect(compareScannableFingerprints(alice.scannable, alice.scannable)).toBe(false);
    expect(compareScannableFingerprints(bob.scannable, bob.scannable)).toBe(false);
  });

  it('decodes libsignal fingerprint_encodings bytes', () => {
    const ours = hexToBytes(encodingVector.scannable); // local 0x12…, remote 0xba…
    const theirs = hexToBytes(
      '080212220a20' +
        encodingVector.remote_fingerprint +
        '1a220a20' +
        encodingVector.local_fingerprint,
    );
    expect(compareScannableFingerprints(ours, theirs)).toBe(true);
    expect(compareScannableFingerprints(ours, ours)).toBe(false);
  });

  it('rejects every single-bit flip inside either fingerprint', () => {
    // Bytes 6..37 are the local content, 42..73 the remote content (see the encoding above).
    for (const index of [6, 20, 37, 42, 60, 73]) {
      for (let bit = 0; bit < 8; bit++) {
        const scanned = bob.scannable.slice();
        scanned[index]! ^= 1 << bit;
        expect(compareScannableFingerprints(alice.scannable, scanned), `${index}:${bit}`).toBe(
          false,
        );
      }
    }
  });

  it('accepts reordered fields and skips unknown ones, as protobuf requires', () => {
    const hex = bytesToHex(bob.scannable);
    const versionField = hex.slice(0, 4);
    const localField = hex.slice(4, 4 + 72);
    const remoteField = hex.slice(4 + 72);
    const unknown = '2001' + '2a03abcdef' + '3d01020304' + '3901020304050607f8'; // fields 4, 5, 7 (fixed32), 7 (fixed64)
    const reordered = hexToBytes(remoteField + unknown + localField + versionField);
    expect(compareScannableFingerprints(alice.scannable, reordered)).toBe(true);
  });

  it('returns false (not an error) for fingerprints of the wrong length, as libsignal does', () => {
    const short = hexToBytes('080212210a1f' + '00'.repeat(31) + '1a220a20' + '00'.repeat(32));
    expect(compareScannableFingerprints(alice.scannable, short)).toBe(false);
  });

  it('throws INVALID_ARGUMENT on a version mismatch (fingerprint_mismatching_versions)', () => {
    const v1 = pair(testKey('alice'), testKey('bob'), 1);
    expectProtocolError(
      () => compareScannableFingerprints(alice.scannable, v1.bob.scannable),
      'INVALID_ARGUMENT',
    );
    expect(() => compareScannableFingerprints(alice.scannable, v1.bob.scannable)).toThrow(
      /version 1 .*\(2\)/,
    );
    // A missing version field reads as 0 (libsignal `unwrap_or(0)`): a mismatch, checked first.
    expectProtocolError(
      () => compareScannableFingerprints(alice.scannable, new Uint8Array(0)),
      'INVALID_ARGUMENT',
    );
  });

  it('throws MALFORMED_MESSAGE on bytes that are not a complete CombinedFingerprints', () => {
    const good = bob.scannable;
    const malformed = [
      good.subarray(0, good.length - 1), // truncated content
      good.subarray(0, 1), // tag without value
      hexToBytes('0802' + '12ff01'), // length beyond the end
      hexToBytes('0802' + '0b'), // group wire type
      hexToBytes('0802' + '0f'), // invalid wire type 7
      hexToBytes('0a0102'), // version with the wrong wire type
      hexToBytes('0802' + 'ffffffffffffffffffff01'), // overlong varint tag
      hexToBytes('0802' + '120a'), // sub-message truncated
      hexToBytes(bytesToHex(good).slice(0, 4 + 72)), // remote fingerprint missing
      hexToBytes('0802' + '1200' + '1a220a20' + '00'.repeat(32)), // local present but no content
      hexToBytes('0802' + '1202' + '0800' + '1a220a20' + '00'.repeat(32)), // content with wrong wire type
    ];
    for (const scanned of malformed) {
      expectProtocolError(
        () => compareScannableFingerprints(alice.scannable, scanned),
        'MALFORMED_MESSAGE',
      );
    }
  });

  it('throws INVALID_ARGUMENT when our own bytes are not a scannable fingerprint', () => {
    expectProtocolError(
      () => compareScannableFingerprints(new Uint8Array([0x08]), bob.scannable),
      'INVALID_ARGUMENT',
    );
  });
});

describe('formatSafetyNumber', () => {
  it('prints 12 groups of 5 digits', () => {
    const formatted = formatSafetyNumber(kats[0]!.displayable);
    expect(formatted).toBe(
      '30035 44776 92869 39689 28698 76765 45825 75691 62576 84344 09180 79131',
    );
    expect(formatted.replaceAll(' ', '')).toBe(kats[0]!.displayable);
  });

  it('rejects anything but 60 digits', () => {
    for (const bad of ['', '1'.repeat(59), '1'.repeat(61), 'a'.repeat(60), `${'1'.repeat(59)}\n`]) {
      expectProtocolError(() => formatSafetyNumber(bad), 'INVALID_ARGUMENT');
    }
  });
});
