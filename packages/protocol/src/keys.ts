/**
 * Key types and their encodings (X3DH §2.5, §3.2): identity keys, signed prekeys, one-time
 * prekeys and the bundles the server hands out. All keys are X25519 (Montgomery) keys; the
 * signed prekey's signature is XEdDSA over Encode(SPK).
 */
import { assertBytes, assertUint32, concatBytes, equalBytes } from './bytes.ts';
import {
  CURVE25519_KEY_TYPE,
  ENCODED_PUBLIC_KEY_LENGTH,
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
} from './constants.ts';
import type { ProtocolEnv } from './crypto-provider.ts';
import { ProtocolError } from './errors.ts';
import { xeddsaSign, xeddsaVerify } from './xeddsa.ts';

export interface KeyPair {
  /** Raw 32-byte little-endian u-coordinate. */
  readonly publicKey: Uint8Array;
  /** Clamped 32-byte scalar (RFC 7748 §5), as libsignal stores it. */
  readonly privateKey: Uint8Array;
}

export type IdentityKeyPair = KeyPair;

export interface SignedPreKey {
  readonly keyId: number;
  readonly keyPair: KeyPair;
  /** XEdDSA(IK, Encode(SPK.public)). */
  readonly signature: Uint8Array;
  /** Creation time in ms since the epoch, so clients can rotate on a schedule. */
  readonly timestamp: number;
}

export interface OneTimePreKey {
  readonly keyId: number;
  readonly keyPair: KeyPair;
}

/**
 * What Alice fetches to start a session (X3DH §3.2). A later PQXDH revision adds an optional
 * signed KEM prekey field; its absence keeps meaning "X3DH", so stored bundles stay valid.
 */
export interface PreKeyBundle {
  readonly identityKey: Uint8Array;
  readonly signedPreKey: {
    readonly keyId: number;
    readonly publicKey: Uint8Array;
    readonly signature: Uint8Array;
  };
  readonly oneTimePreKey?: { readonly keyId: number; readonly publicKey: Uint8Array } | undefined;
}

const P = (1n << 255n) - 19n;

/**
 * u-coordinates of points of small order (and their non-canonical aliases < 2^255). A DH with
 * any of these yields a value the attacker knows, so they are rejected up front; the all-zero
 * output check in `dh()` catches the rest.
 */
const LOW_ORDER_U: readonly bigint[] = [
  0n,
  1n,
  0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0n,
  0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5fn,
  P - 1n,
  P,
  P + 1n,
];

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * Rejects anything that is not a canonical (< p) u-coordinate of a point of large order.
 * Signal's keys are always canonical, so this never rejects an honest peer.
 */
export function assertValidPublicKey(publicKey: Uint8Array, name = 'public key'): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('INVALID_KEY', `${name} must be ${PUBLIC_KEY_LENGTH} bytes`);
  }
  const u = littleEndianToBigInt(publicKey);
  if (u >= P) {
    // Includes anything with bit 255 set: RFC 7748 would silently mask it; we refuse.
    if (LOW_ORDER_U.includes(u))
      throw new ProtocolError('LOW_ORDER_POINT', `${name} has small order`);
    throw new ProtocolError('INVALID_KEY', `${name} is not a canonical X25519 u-coordinate`);
  }
  if (LOW_ORDER_U.includes(u))
    throw new ProtocolError('LOW_ORDER_POINT', `${name} has small order`);
  return publicKey;
}

/** Encode(PK) (X3DH §2.5): the 0x05 type byte, then the 32-byte u-coordinate. */
export function encodePublicKey(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', PUBLIC_KEY_LENGTH);
  return concatBytes(Uint8Array.of(CURVE25519_KEY_TYPE), publicKey);
}

/** Inverse of Encode(PK), with type, length and point checks. */
export function decodePublicKey(encoded: Uint8Array, name = 'public key'): Uint8Array {
  if (!(encoded instanceof Uint8Array) || encoded.length !== ENCODED_PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('INVALID_KEY', `${name} must be ${ENCODED_PUBLIC_KEY_LENGTH} bytes`);
  }
  if (encoded[0] !== CURVE25519_KEY_TYPE) {
    throw new ProtocolError('INVALID_KEY', `${name} has unknown key type ${encoded[0]}`);
  }
  return assertValidPublicKey(encoded.slice(1), name);
}

/** RFC 7748 §5 clamping; applied once at generation so DH and XEdDSA use the same scalar. */
export function clampPrivateKey(random32: Uint8Array): Uint8Array {
  const k = assertBytes(random32, 'private key', PRIVATE_KEY_LENGTH).slice();
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k;
}

/** A key pair from 32 bytes of the environment's randomness. */
export async function generateKeyPair(env: ProtocolEnv): Promise<KeyPair> {
  const privateKey = clampPrivateKey(env.random(PRIVATE_KEY_LENGTH));
  return { privateKey, publicKey: await env.crypto.x25519PublicKey(privateKey) };
}

/** A key pair from a known private key (e.g. restored from storage or a test vector). */
export async function keyPairFromPrivateKey(
  env: ProtocolEnv,
  privateKey: Uint8Array,
): Promise<KeyPair> {
  const clamped = clampPrivateKey(privateKey);
  return { privateKey: clamped, publicKey: await env.crypto.x25519PublicKey(clamped) };
}

/** RF05: generate the long-term identity key pair. */
export const generateIdentityKeyPair = generateKeyPair;

/**
 * DH(priv, pub) with the checks X3DH §4.4 asks of implementations: the peer key must be a
 * valid point and the result must not be all zero (a contributory check).
 */
export async function dh(
  env: ProtocolEnv,
  privateKey: Uint8Array,
  publicKey: Uint8Array,
): Promise<Uint8Array> {
  assertValidPublicKey(publicKey);
  const shared = await env.crypto.x25519(privateKey, publicKey);
  if (equalBytes(shared, new Uint8Array(shared.length))) {
    throw new ProtocolError('LOW_ORDER_POINT', 'DH output is all zero');
  }
  return shared;
}

export async function generateSignedPreKey(
  env: ProtocolEnv,
  identity: IdentityKeyPair,
  keyId: number,
  timestamp: number,
): Promise<SignedPreKey> {
  assertUint32(keyId, 'keyId');
  const keyPair = await generateKeyPair(env);
  const signature = xeddsaSign(
    identity.privateKey,
    encodePublicKey(keyPair.publicKey),
    env.random(64),
  );
  return { keyId, keyPair, signature, timestamp };
}

/** `count` one-time prekeys with consecutive ids starting at `startId` (wrapping at 2^32 - 1). */
export async function generateOneTimePreKeys(
  env: ProtocolEnv,
  startId: number,
  count: number,
): Promise<OneTimePreKey[]> {
  assertUint32(startId, 'startId');
  const out: OneTimePreKey[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ keyId: (startId + i) % 0xffff_ffff, keyPair: await generateKeyPair(env) });
  }
  return out;
}

/** Checks Sig(IK, Encode(SPK)) (X3DH §3.3); Alice and the server both call this. */
export async function verifySignedPreKey(
  env: Pick<ProtocolEnv, 'crypto'>,
  identityKey: Uint8Array,
  signedPreKeyPublic: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  assertValidPublicKey(identityKey, 'identity key');
  assertValidPublicKey(signedPreKeyPublic, 'signed prekey');
  assertBytes(signature, 'signature', SIGNATURE_LENGTH);
  return xeddsaVerify(env.crypto, identityKey, encodePublicKey(signedPreKeyPublic), signature);
}
