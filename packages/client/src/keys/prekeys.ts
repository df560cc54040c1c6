/**
 * Our device's keys (RF05/RF06): identity key on first start, signed prekey rotation and
 * one-time prekey replenishment. Keys are stored locally *before* they are published, so the
 * server never hands out a prekey whose private half we could have lost.
 */
import {
  encodePublicKey,
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type ProtocolEnv,
  type SignedPreKey,
} from '@susurro/protocol';
import type { HttpApi } from '../api/http-api.ts';
import type { WireOneTimePreKey, WireSignedPreKey } from '../api/types.ts';
import { toBase64 } from '../base64.ts';
import {
  ONE_TIME_PREKEY_BATCH,
  ONE_TIME_PREKEY_REFILL_THRESHOLD,
  SIGNED_PREKEY_GRACE_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from '../limits.ts';
import { Batch, records, type ClientStore, type Counters } from '../store/client-store.ts';

const wireSpk = (spk: SignedPreKey): WireSignedPreKey => ({
  keyId: spk.keyId,
  publicKey: toBase64(encodePublicKey(spk.keyPair.publicKey)),
  signature: toBase64(spk.signature),
});

export class PreKeyManager {
  constructor(
    private readonly env: ProtocolEnv,
    private readonly store: ClientStore,
    private readonly api: HttpApi,
    private readonly now: () => number,
  ) {}

  /**
   * Generates a batch of one-time prekeys into `batch`, advancing `counters` (which the caller
   * stages once, so two generators in one batch cannot overwrite each other's counter).
   */
  private async newOneTimePreKeys(
    batch: Batch,
    counters: Counters,
    count: number,
  ): Promise<WireOneTimePreKey[]> {
    const keys = await generateOneTimePreKeys(this.env, counters.nextOneTimePreKeyId, count);
    for (const k of keys) batch.putOneTimePreKey(k.keyId, k.keyPair);
    counters.nextOneTimePreKeyId = (counters.nextOneTimePreKeyId + count) % 0xffff_ffff;
    batch.put(records.counters, counters);
    return keys.map((k) => ({
      keyId: k.keyId,
      publicKey: toBase64(encodePublicKey(k.keyPair.publicKey)),
    }));
  }

  private async newSignedPreKey(batch: Batch, counters: Counters): Promise<SignedPreKey> {
    const identity = await this.store.getIdentity();
    if (!identity) throw new Error('identity key missing');
    const spk = await generateSignedPreKey(
      this.env,
      identity,
      counters.nextSignedPreKeyId,
      this.now(),
    );
    batch.putSignedPreKey(spk);
    counters.nextSignedPreKeyId = (counters.nextSignedPreKeyId + 1) % 0xffff_ffff;
    batch.put(records.counters, counters);
    return spk;
  }

  /**
   * First start: identity key pair, signed prekey and a batch of one-time prekeys, stored and
   * then published. Later starts: republish the current keys (idempotent) so a new login on
   * the same install finds its directory entry complete.
   */
  async publish(): Promise<void> {
    let identity = await this.store.getIdentity();
    if (!identity) {
      identity = await generateIdentityKeyPair(this.env);
      await this.store.commit(
        new Batch().put(records.identity, {
          publicKey: toBase64(identity.publicKey),
          privateKey: toBase64(identity.privateKey),
        }),
      );
    }
    let current = await this.currentSignedPreKey();
    const batch = new Batch();
    const counters = await this.store.getCounters();
    if (!current) current = await this.newSignedPreKey(batch, counters);
    const oneTime = await this.newOneTimePreKeys(batch, counters, ONE_TIME_PREKEY_BATCH);
    await this.store.commit(batch);
    await this.api.uploadKeys({
      identityKey: toBase64(encodePublicKey(identity.publicKey)),
      signedPreKey: wireSpk(current),
      oneTimePreKeys: oneTime,
    });
  }

  /** Refill one-time prekeys below the threshold; rotate the signed prekey on schedule. */
  async maintain(): Promise<{ uploadedOneTime: number; rotated: boolean }> {
    const result = { uploadedOneTime: 0, rotated: false };
    const remaining = await this.api.oneTimePreKeyCount();
    if (remaining < ONE_TIME_PREKEY_REFILL_THRESHOLD) {
      const batch = new Batch();
      const keys = await this.newOneTimePreKeys(
        batch,
        await this.store.getCounters(),
        ONE_TIME_PREKEY_BATCH - remaining,
      );
      await this.store.commit(batch);
      await this.api.addOneTimePreKeys(keys);
      result.uploadedOneTime = keys.length;
    }
    const now = this.now();
    const current = await this.currentSignedPreKey();
    if (!current || now - current.timestamp >= SIGNED_PREKEY_ROTATION_MS) {
      const identity = (await this.store.getIdentity())!;
      const batch = new Batch();
      const next = await this.newSignedPreKey(batch, await this.store.getCounters());
      // Keep the old one for in-flight initial messages; forget it after the grace period.
      if (current) batch.putSignedPreKey(current, now);
      await this.store.commit(batch);
      await this.api.uploadKeys({
        identityKey: toBase64(encodePublicKey(identity.publicKey)),
        signedPreKey: wireSpk(next),
      });
      result.rotated = true;
    }
    const expired = new Batch();
    for (const spk of await this.store.getSignedPreKeys()) {
      if (spk.retiredAt !== undefined && now - spk.retiredAt > SIGNED_PREKEY_GRACE_MS)
        expired.delete(records.signedPreKey(spk.keyId));
    }
    if (expired.ops.length) await this.store.commit(expired);
    return result;
  }

  private async currentSignedPreKey(): Promise<SignedPreKey | undefined> {
    const all = (await this.store.getSignedPreKeys()).filter((k) => k.retiredAt === undefined);
    return all.sort((a, b) => b.timestamp - a.timestamp)[0];
  }
}
