/**
 * Test harness shared by the protocol suites. Runs in Node and in Chromium: the Node provider
 * is loaded only when node:crypto exists, so the browser run covers WebCrypto and noble.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  concatBytes,
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  nobleCryptoProvider,
  webCryptoProvider,
  type CryptoProvider,
  type IdentityKeyPair,
  type OneTimePreKey,
  type PreKeyBundle,
  type ProtocolEnv,
  type RandomSource,
  type SignedPreKey,
} from '../src/index.ts';

export const isBrowser = typeof (globalThis as { window?: unknown }).window !== 'undefined';

export async function availableProviders(): Promise<CryptoProvider[]> {
  const providers = [webCryptoProvider, nobleCryptoProvider];
  if (!isBrowser) {
    const { nodeCryptoProvider } = await import('../src/providers/node.ts');
    providers.unshift(nodeCryptoProvider);
  }
  return providers;
}

/** The fastest provider of this runtime, for the heavier suites. */
export async function fastestProvider(): Promise<CryptoProvider> {
  return (await availableProviders())[0]!;
}

/** Deterministic randomness for known-answer and property tests: SHA-256(seed ‖ counter). */
export function seededRandom(seed: string | number): RandomSource {
  const seedBytes = new TextEncoder().encode(String(seed));
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 32) {
      const block = sha256(
        concatBytes(
          seedBytes,
          Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter),
        ),
      );
      counter++;
      out.set(block.subarray(0, Math.min(32, length - off)), off);
    }
    return out;
  };
}

export function envFor(crypto: CryptoProvider, seed: string | number = 'susurro'): ProtocolEnv {
  return { crypto, random: seededRandom(seed) };
}

export interface Party {
  identity: IdentityKeyPair;
  signedPreKey: SignedPreKey;
  oneTimePreKeys: Map<number, OneTimePreKey>;
}

export async function makeParty(env: ProtocolEnv, oneTimeCount = 3): Promise<Party> {
  const identity = await generateIdentityKeyPair(env);
  const signedPreKey = await generateSignedPreKey(env, identity, 7, 1_700_000_000_000);
  const oneTime = await generateOneTimePreKeys(env, 100, oneTimeCount);
  return { identity, signedPreKey, oneTimePreKeys: new Map(oneTime.map((k) => [k.keyId, k])) };
}

/** What the server would hand out: identity, signed prekey and (optionally) one one-time prekey. */
export function bundleOf(party: Party, withOneTime = true): PreKeyBundle {
  const first = withOneTime ? [...party.oneTimePreKeys.values()][0] : undefined;
  return {
    identityKey: party.identity.publicKey,
    signedPreKey: {
      keyId: party.signedPreKey.keyId,
      publicKey: party.signedPreKey.keyPair.publicKey,
      signature: party.signedPreKey.signature,
    },
    oneTimePreKey: first && { keyId: first.keyId, publicKey: first.keyPair.publicKey },
  };
}

export function respondOptions(party: Party) {
  return {
    ourIdentity: party.identity,
    signedPreKey: (id: number) =>
      id === party.signedPreKey.keyId ? party.signedPreKey.keyPair : undefined,
    oneTimePreKey: (id: number) => party.oneTimePreKeys.get(id)?.keyPair,
  };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Every single-bit flip of `bytes`, or a sample of `limit` evenly spread positions. */
export function* bitFlips(
  bytes: Uint8Array,
  from = 0,
  to = bytes.length * 8,
): Generator<Uint8Array> {
  for (let bit = from; bit < to; bit++) {
    const copy = bytes.slice();
    copy[bit >> 3]! ^= 1 << (bit & 7);
    yield copy;
  }
}
