import {
  systemRandom,
  webCryptoProvider,
  xeddsaVerify,
  encodePublicKey,
  decodePublicKey,
} from '@susurro/protocol';
import { describe, expect, it } from 'vitest';
import {
  fromBase64,
  MemoryBackend,
  VaultStore,
  ClientStore,
  SIGNED_PREKEY_GRACE_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from '../src/index.ts';
import type { HttpApi } from '../src/api/http-api.ts';
import type { WireOneTimePreKey, WireSignedPreKey } from '../src/api/types.ts';
import { PreKeyManager } from '../src/keys/prekeys.ts';

/** A directory double that records what the client publishes. */
function fakeDirectory() {
  const state = {
    identityKey: '',
    signedPreKeys: [] as WireSignedPreKey[],
    oneTime: [] as WireOneTimePreKey[],
  };
  const api = {
    uploadKeys(body: {
      identityKey: string;
      signedPreKey: WireSignedPreKey;
      oneTimePreKeys?: WireOneTimePreKey[];
    }) {
      state.identityKey = body.identityKey;
      state.signedPreKeys.push(body.signedPreKey);
      state.oneTime.push(...(body.oneTimePreKeys ?? []));
      return Promise.resolve({
        identityKeyChanged: false,
        oneTimePreKeyCount: state.oneTime.length,
      });
    },
    addOneTimePreKeys(keys: WireOneTimePreKey[]) {
      state.oneTime.push(...keys);
      return Promise.resolve({ oneTimePreKeyCount: state.oneTime.length });
    },
    oneTimePreKeyCount: () => Promise.resolve(state.oneTime.length),
  };
  return { state, api: api as unknown as HttpApi };
}

describe('prekey management', () => {
  it('publishes signed keys, refills below the threshold, rotates and expires signed prekeys', async () => {
    const env = { crypto: webCryptoProvider, random: systemRandom };
    const store = new ClientStore(
      await VaultStore.open(new MemoryBackend(), 'p', { ...env, kdfLogN: 10 }),
    );
    const { state, api } = fakeDirectory();
    let now = 1_000_000;
    const manager = new PreKeyManager(env, store, api, () => now);

    await manager.publish();
    expect(state.oneTime).toHaveLength(100);
    const identity = decodePublicKey(fromBase64(state.identityKey));
    const spk = state.signedPreKeys[0]!;
    const spkPublic = decodePublicKey(fromBase64(spk.publicKey));
    expect(
      await xeddsaVerify(
        env.crypto,
        identity,
        encodePublicKey(spkPublic),
        fromBase64(spk.signature),
      ),
    ).toBe(true);
    // Every published one-time prekey has its private half stored locally.
    for (const k of state.oneTime) expect(await store.getOneTimePreKey(k.keyId)).toBeDefined();

    state.oneTime.splice(0, 95); // 5 left: below Signal's threshold of 10
    expect(await manager.maintain()).toEqual({ uploadedOneTime: 95, rotated: false });
    expect(new Set(state.oneTime.map((k) => k.keyId)).size).toBe(100);

    now += SIGNED_PREKEY_ROTATION_MS;
    expect((await manager.maintain()).rotated).toBe(true);
    expect(state.signedPreKeys.at(-1)!.keyId).not.toBe(spk.keyId);
    // The previous signed prekey stays usable for in-flight initial messages…
    expect(await store.getSignedPreKey(spk.keyId)).toBeDefined();
    now += SIGNED_PREKEY_GRACE_MS + 1;
    await manager.maintain();
    // …and is forgotten after the grace period.
    expect(await store.getSignedPreKey(spk.keyId)).toBeUndefined();
  });
});
