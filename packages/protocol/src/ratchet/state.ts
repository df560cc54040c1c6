/**
 * Double Ratchet state (signal.org/docs/specifications/doubleratchet §3.2) and its versioned
 * binary serialisation, so clients can persist a session and resume it later.
 */
import type { ByteReader, ByteWriter } from '../bytes.ts';
import { wipe } from '../bytes.ts';
import {
  MAX_RECEIVER_CHAINS,
  MAX_SKIPPED_KEYS_PER_CHAIN,
  PUBLIC_KEY_LENGTH,
} from '../constants.ts';
import type { KeyPair } from '../keys.ts';

export interface ChainState {
  readonly chainKey: Uint8Array;
  /** How many message keys this chain has produced: Ns or Nr in the spec. */
  readonly index: number;
}

/** MKSKIPPED for one remote ratchet key: message number → message key, oldest first. */
export interface SkippedChain {
  readonly ratchetKey: Uint8Array;
  readonly keys: Map<number, Uint8Array>;
}

export interface RatchetState {
  rootKey: Uint8Array;
  sendingRatchetKey: KeyPair; // DHs
  sendingChain: ChainState | undefined; // CKs, Ns
  remoteRatchetKey: Uint8Array | undefined; // DHr
  receivingChain: ChainState | undefined; // CKr, Nr
  previousChainLength: number; // PN
  /**
   * Receiving chains seen so far, oldest first (at most MAX_RECEIVER_CHAINS), each with its
   * unused skipped keys. Remembering a chain even with no keys left lets a late copy of one of
   * its messages be reported as a duplicate instead of triggering a bogus DH ratchet.
   */
  skippedChains: SkippedChain[];
}

const STATE_VERSION = 1;

function writeChain(w: ByteWriter, chain: ChainState | undefined): void {
  if (!chain) {
    w.u8(0);
    return;
  }
  w.u8(1).bytes(chain.chainKey).u32(chain.index);
}

function readChain(r: ByteReader, field: string): ChainState | undefined {
  const present = r.u8(`${field} present`);
  if (present === 0) return undefined;
  if (present !== 1) r.fail(`${field} present flag must be 0 or 1`);
  return { chainKey: r.bytes(32, `${field} key`), index: r.u32(`${field} index`) };
}

export function writeRatchetState(w: ByteWriter, s: RatchetState): void {
  w.u8(STATE_VERSION)
    .bytes(s.rootKey)
    .bytes(s.sendingRatchetKey.publicKey)
    .bytes(s.sendingRatchetKey.privateKey);
  writeChain(w, s.sendingChain);
  w.u8(s.remoteRatchetKey ? 1 : 0);
  if (s.remoteRatchetKey) w.bytes(s.remoteRatchetKey);
  writeChain(w, s.receivingChain);
  w.u32(s.previousChainLength).u8(s.skippedChains.length);
  for (const chain of s.skippedChains) {
    w.bytes(chain.ratchetKey).u16(chain.keys.size);
    for (const [index, key] of chain.keys) w.u32(index).bytes(key);
  }
}

export function readRatchetState(r: ByteReader): RatchetState {
  const version = r.u8('ratchet state version');
  if (version !== STATE_VERSION) r.fail(`ratchet state version ${version} is not supported`);
  const rootKey = r.bytes(32, 'root key');
  const sendingRatchetKey = {
    publicKey: r.bytes(PUBLIC_KEY_LENGTH, 'sending ratchet public key'),
    privateKey: r.bytes(32, 'sending ratchet private key'),
  };
  const sendingChain = readChain(r, 'sending chain');
  const hasRemote = r.u8('remote ratchet key present');
  if (hasRemote > 1) r.fail('remote ratchet key present flag must be 0 or 1');
  const remoteRatchetKey = hasRemote ? r.bytes(PUBLIC_KEY_LENGTH, 'remote ratchet key') : undefined;
  const receivingChain = readChain(r, 'receiving chain');
  const previousChainLength = r.u32('previous chain length');
  const chainCount = r.u8('skipped chain count');
  if (chainCount > MAX_RECEIVER_CHAINS) r.fail(`too many skipped chains (${chainCount})`);
  const skippedChains: SkippedChain[] = [];
  for (let c = 0; c < chainCount; c++) {
    const ratchetKey = r.bytes(PUBLIC_KEY_LENGTH, 'skipped chain ratchet key');
    const count = r.u16('skipped key count');
    if (count > MAX_SKIPPED_KEYS_PER_CHAIN) r.fail(`too many skipped keys (${count})`);
    const keys = new Map<number, Uint8Array>();
    for (let i = 0; i < count; i++)
      keys.set(r.u32('skipped key index'), r.bytes(32, 'skipped key'));
    skippedChains.push({ ratchetKey, keys });
  }
  return {
    rootKey,
    sendingRatchetKey,
    sendingChain,
    remoteRatchetKey,
    receivingChain,
    previousChainLength,
    skippedChains,
  };
}

/** Best-effort wipe of every secret in a state that is being discarded. */
export function wipeRatchetState(s: RatchetState): void {
  wipe(
    s.rootKey,
    s.sendingRatchetKey.privateKey,
    s.sendingChain?.chainKey,
    s.receivingChain?.chainKey,
  );
  for (const chain of s.skippedChains) for (const key of chain.keys.values()) wipe(key);
}
