/**
 * X3DH key agreement (signal.org/docs/specifications/x3dh, revision 1).
 *
 * Both sides compute SK = KDF(DH1 ‖ DH2 ‖ DH3 [‖ DH4]) and AD = Encode(IK_A) ‖ Encode(IK_B).
 * The caller feeds SK into the Double Ratchet (§3.3 "Alice may then continue using SK") and
 * authenticates every message with AD.
 */
import { concatBytes, utf8, wipe } from './bytes.ts';
import { X3DH_INFO } from './constants.ts';
import type { ProtocolEnv } from './crypto-provider.ts';
import { ProtocolError } from './errors.ts';
import {
  assertValidPublicKey,
  dh,
  encodePublicKey,
  generateKeyPair,
  verifySignedPreKey,
  type IdentityKeyPair,
  type KeyPair,
  type PreKeyBundle,
} from './keys.ts';

/** §2.2: F = 32 × 0xFF for X25519, so the KDF input is never a valid raw X25519 output alone. */
const F = new Uint8Array(32).fill(0xff);
/** §2.2: HKDF salt = a zero-filled byte sequence of the hash output length. */
const ZERO_SALT = new Uint8Array(32);
const INFO = utf8(X3DH_INFO);

async function kdf(env: ProtocolEnv, dhOutputs: Uint8Array[]): Promise<Uint8Array> {
  const ikm = concatBytes(F, ...dhOutputs);
  const sk = await env.crypto.hkdfSha256(ikm, ZERO_SALT, INFO, 32);
  wipe(ikm, ...dhOutputs);
  return sk;
}

/** §3.3: AD = Encode(IK_A) ‖ Encode(IK_B). */
export function associatedData(
  initiatorIdentity: Uint8Array,
  responderIdentity: Uint8Array,
): Uint8Array {
  return concatBytes(encodePublicKey(initiatorIdentity), encodePublicKey(responderIdentity));
}

export interface X3dhInitiation {
  readonly sharedSecret: Uint8Array;
  readonly associatedData: Uint8Array;
  /** EK_A's public half; the private half is already wiped (§3.3). */
  readonly ephemeralPublicKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
}

/** Alice's side (§3.3). Verifies the signed prekey before any DH and aborts on failure. */
export async function x3dhInitiate(
  env: ProtocolEnv,
  ourIdentity: IdentityKeyPair,
  bundle: PreKeyBundle,
): Promise<X3dhInitiation> {
  const { identityKey, signedPreKey, oneTimePreKey } = bundle;
  assertValidPublicKey(identityKey, 'bundle identity key');
  assertValidPublicKey(signedPreKey.publicKey, 'bundle signed prekey');
  if (oneTimePreKey) assertValidPublicKey(oneTimePreKey.publicKey, 'bundle one-time prekey');
  if (
    !(await verifySignedPreKey(env, identityKey, signedPreKey.publicKey, signedPreKey.signature))
  ) {
    throw new ProtocolError('INVALID_SIGNATURE', 'signed prekey signature does not verify');
  }

  const ephemeral = await generateKeyPair(env);
  const outputs = [
    await dh(env, ourIdentity.privateKey, signedPreKey.publicKey), // DH1 = DH(IK_A, SPK_B)
    await dh(env, ephemeral.privateKey, identityKey), // DH2 = DH(EK_A, IK_B)
    await dh(env, ephemeral.privateKey, signedPreKey.publicKey), // DH3 = DH(EK_A, SPK_B)
  ];
  if (oneTimePreKey) outputs.push(await dh(env, ephemeral.privateKey, oneTimePreKey.publicKey)); // DH4
  wipe(ephemeral.privateKey);

  return {
    sharedSecret: await kdf(env, outputs),
    associatedData: associatedData(ourIdentity.publicKey, identityKey),
    ephemeralPublicKey: ephemeral.publicKey,
    signedPreKeyId: signedPreKey.keyId,
    oneTimePreKeyId: oneTimePreKey?.keyId,
  };
}

/** Bob's side (§3.4): the same DHs from his private keys. The caller deletes the OPK after. */
export async function x3dhRespond(
  env: ProtocolEnv,
  ourIdentity: IdentityKeyPair,
  signedPreKey: KeyPair,
  oneTimePreKey: KeyPair | undefined,
  theirIdentityKey: Uint8Array,
  theirEphemeralKey: Uint8Array,
): Promise<{ sharedSecret: Uint8Array; associatedData: Uint8Array }> {
  assertValidPublicKey(theirIdentityKey, 'initiator identity key');
  assertValidPublicKey(theirEphemeralKey, 'initiator ephemeral key');
  const outputs = [
    await dh(env, signedPreKey.privateKey, theirIdentityKey),
    await dh(env, ourIdentity.privateKey, theirEphemeralKey),
    await dh(env, signedPreKey.privateKey, theirEphemeralKey),
  ];
  if (oneTimePreKey) outputs.push(await dh(env, oneTimePreKey.privateKey, theirEphemeralKey));
  return {
    sharedSecret: await kdf(env, outputs),
    associatedData: associatedData(theirIdentityKey, ourIdentity.publicKey),
  };
}
