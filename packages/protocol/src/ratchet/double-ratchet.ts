/**
 * Double Ratchet encryption and decryption (signal.org/docs/specifications/doubleratchet
 * §3.4 RatchetEncrypt, §3.5 RatchetDecrypt with skipped message keys).
 *
 * Decryption is transactional as §3.5 requires ("changes to the state object are discarded"
 * if authentication fails): everything is computed into locals and committed only after the
 * AEAD has authenticated the message.
 */
import { concatBytes, equalBytes } from '../bytes.ts';
import {
  MAX_FORWARD_JUMPS,
  MAX_PLAINTEXT_LENGTH,
  MAX_RECEIVER_CHAINS,
  MAX_SKIPPED_KEYS_PER_CHAIN,
} from '../constants.ts';
import type { ProtocolEnv } from '../crypto-provider.ts';
import { ProtocolError } from '../errors.ts';
import { dh, generateKeyPair, type KeyPair } from '../keys.ts';
import { encodeRatchetHeader, type RatchetMessage } from '../wire.ts';
import { kdfChainKey, kdfRootKey, openMessage, sealMessage } from './kdf.ts';
import type { ChainState, RatchetState, SkippedChain } from './state.ts';

/** §3.3 RatchetInitAlice: Bob's signed prekey is his first ratchet public key. */
export async function initAlice(
  env: ProtocolEnv,
  sharedSecret: Uint8Array,
  bobRatchetKey: Uint8Array,
): Promise<RatchetState> {
  const sendingRatchetKey = await generateKeyPair(env);
  const { rootKey, chainKey } = await kdfRootKey(
    env.crypto,
    sharedSecret,
    await dh(env, sendingRatchetKey.privateKey, bobRatchetKey),
  );
  return {
    rootKey,
    sendingRatchetKey,
    sendingChain: { chainKey, index: 0 },
    remoteRatchetKey: bobRatchetKey,
    receivingChain: undefined,
    previousChainLength: 0,
    skippedChains: [],
  };
}

/** §3.3 RatchetInitBob: he starts with his signed prekey pair and SK as the root key. */
export function initBob(sharedSecret: Uint8Array, signedPreKey: KeyPair): RatchetState {
  return {
    rootKey: sharedSecret,
    sendingRatchetKey: {
      publicKey: signedPreKey.publicKey.slice(),
      privateKey: signedPreKey.privateKey.slice(),
    },
    sendingChain: undefined,
    remoteRatchetKey: undefined,
    receivingChain: undefined,
    previousChainLength: 0,
    skippedChains: [],
  };
}

/** §3.4 RatchetEncrypt. Returns the encoded RatchetMessage. */
export async function ratchetEncrypt(
  env: ProtocolEnv,
  state: RatchetState,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  const chain = state.sendingChain;
  if (!chain)
    throw new ProtocolError('SESSION_NOT_READY', 'no sending chain until a message is received');
  if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `plaintext longer than ${MAX_PLAINTEXT_LENGTH} bytes`,
    );
  }
  if (chain.index >= 0xffff_ffff)
    throw new ProtocolError('SESSION_NOT_READY', 'sending chain exhausted');
  const { chainKey, messageKey } = await kdfChainKey(env.crypto, chain.chainKey);
  const headerBytes = encodeRatchetHeader({
    ratchetKey: state.sendingRatchetKey.publicKey,
    previousChainLength: state.previousChainLength,
    messageNumber: chain.index,
  });
  const sealed = await sealMessage(
    env.crypto,
    messageKey,
    plaintext,
    concatBytes(associatedData, headerBytes),
  );
  state.sendingChain = { chainKey, index: chain.index + 1 };
  return concatBytes(headerBytes, sealed);
}

interface PendingKey {
  ratchetKey: Uint8Array;
  index: number;
  messageKey: Uint8Array;
}

/** §3.5 SkipMessageKeys, collecting into `pending` instead of mutating the state. */
async function skipMessageKeys(
  env: ProtocolEnv,
  ratchetKey: Uint8Array,
  chain: ChainState,
  until: number,
  pending: PendingKey[],
): Promise<ChainState> {
  if (until - chain.index > MAX_FORWARD_JUMPS) {
    throw new ProtocolError(
      'TOO_MANY_SKIPPED_MESSAGES',
      `message skips ${until - chain.index} keys (limit ${MAX_FORWARD_JUMPS})`,
    );
  }
  let { chainKey, index } = chain;
  // Only the newest MAX_SKIPPED_KEYS_PER_CHAIN keys would survive eviction: don't keep the rest.
  const keepFrom = until - MAX_SKIPPED_KEYS_PER_CHAIN;
  while (index < until) {
    const step = await kdfChainKey(env.crypto, chainKey);
    if (index >= keepFrom) pending.push({ ratchetKey, index, messageKey: step.messageKey });
    chainKey = step.chainKey;
    index++;
  }
  return { chainKey, index };
}

function findChain(state: RatchetState, ratchetKey: Uint8Array): SkippedChain | undefined {
  return state.skippedChains.find((c) => equalBytes(c.ratchetKey, ratchetKey));
}

async function open(
  env: ProtocolEnv,
  messageKey: Uint8Array,
  message: RatchetMessage,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  const plaintext = await openMessage(
    env.crypto,
    messageKey,
    message.sealed,
    concatBytes(associatedData, message.headerBytes),
  );
  if (!plaintext) throw new ProtocolError('DECRYPTION_FAILED', 'message failed authentication');
  return plaintext;
}

/** §3.5 RatchetDecrypt. On any error the state is left exactly as it was. */
export async function ratchetDecrypt(
  env: ProtocolEnv,
  state: RatchetState,
  message: RatchetMessage,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  const { ratchetKey, previousChainLength, messageNumber } = message.header;

  // TrySkippedMessageKeys
  const known = findChain(state, ratchetKey);
  const skippedKey = known?.keys.get(messageNumber);
  if (known && skippedKey) {
    const plaintext = await open(env, skippedKey, message, associatedData);
    known.keys.delete(messageNumber);
    return plaintext;
  }

  const pending: PendingKey[] = [];
  let next: Pick<
    RatchetState,
    | 'rootKey'
    | 'sendingRatchetKey'
    | 'sendingChain'
    | 'remoteRatchetKey'
    | 'receivingChain'
    | 'previousChainLength'
  > = state;
  const isCurrentChain =
    state.remoteRatchetKey !== undefined && equalBytes(ratchetKey, state.remoteRatchetKey);

  if (!isCurrentChain) {
    if (known)
      throw new ProtocolError(
        'DUPLICATE_MESSAGE',
        'message from an earlier chain was already received',
      );
    // Finish the current receiving chain up to PN, then DHRatchet (§3.5).
    if (state.receivingChain && state.remoteRatchetKey) {
      await skipMessageKeys(
        env,
        state.remoteRatchetKey,
        state.receivingChain,
        previousChainLength,
        pending,
      );
    }
    const recv = await kdfRootKey(
      env.crypto,
      state.rootKey,
      await dh(env, state.sendingRatchetKey.privateKey, ratchetKey),
    );
    const sendingRatchetKey = await generateKeyPair(env);
    const send = await kdfRootKey(
      env.crypto,
      recv.rootKey,
      await dh(env, sendingRatchetKey.privateKey, ratchetKey),
    );
    next = {
      rootKey: send.rootKey,
      sendingRatchetKey,
      sendingChain: { chainKey: send.chainKey, index: 0 },
      remoteRatchetKey: ratchetKey,
      receivingChain: { chainKey: recv.chainKey, index: 0 },
      previousChainLength: state.sendingChain?.index ?? 0,
    };
  }

  const receiving = next.receivingChain!;
  if (messageNumber < receiving.index) {
    throw new ProtocolError('DUPLICATE_MESSAGE', `message ${messageNumber} was already received`);
  }
  const advanced = await skipMessageKeys(env, ratchetKey, receiving, messageNumber, pending);
  const step = await kdfChainKey(env.crypto, advanced.chainKey);
  const plaintext = await open(env, step.messageKey, message, associatedData);

  // Authenticated: commit.
  Object.assign(state, next, {
    receivingChain: { chainKey: step.chainKey, index: messageNumber + 1 },
  });
  if (!isCurrentChain) rememberChain(state, ratchetKey);
  for (const p of pending) storeSkippedKey(state, p);
  return plaintext;
}

function rememberChain(state: RatchetState, ratchetKey: Uint8Array): void {
  if (findChain(state, ratchetKey)) return;
  state.skippedChains.push({ ratchetKey, keys: new Map() });
  while (state.skippedChains.length > MAX_RECEIVER_CHAINS) state.skippedChains.shift();
}

function storeSkippedKey(state: RatchetState, p: PendingKey): void {
  let chain = findChain(state, p.ratchetKey);
  if (!chain) {
    rememberChain(state, p.ratchetKey);
    chain = findChain(state, p.ratchetKey);
    if (!chain) return; // evicted at once: older than every remembered chain
  }
  chain.keys.set(p.index, p.messageKey);
  // Map iteration is insertion order, and keys are inserted in ascending index: evict oldest.
  while (chain.keys.size > MAX_SKIPPED_KEYS_PER_CHAIN) {
    const oldest = chain.keys.keys().next().value as number;
    chain.keys.delete(oldest);
  }
}
