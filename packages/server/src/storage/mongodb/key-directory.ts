import {
  StorageError,
  type AccountId,
  type DeviceAddress,
  type OneTimePreKeyRecord,
  type PreKeyBundleRecord,
  type SignedPreKeyRecord,
} from '../types.ts';
import type { Collections } from './collections.ts';
import { binary, bytes, sameBytes, toDeviceKeys, toSignedPreKeyDoc } from './documents.ts';

// Key-directory writes without multi-document transactions: each step is a single-document
// atomic operation, ordered so that a crash between two steps leaves a state the device's
// next upload repairs.

function deviceFilter(device: DeviceAddress) {
  return { accountId: device.accountId, deviceId: device.deviceId };
}

export async function setDeviceKeys(
  c: Collections,
  device: DeviceAddress,
  identityKey: Uint8Array,
  signedPreKey: SignedPreKeyRecord,
  now: number,
): Promise<{ identityKeyChanged: boolean }> {
  const filter = deviceFilter(device);
  const current = await c.devices.findOne(filter, { projection: { keys: 1 } });
  if (current === null) throw new StorageError('NOT_FOUND', 'no such device');
  const previous = current.keys;
  const sameKey = previous !== undefined && sameBytes(bytes(previous.identityKey), identityKey);
  const identityKeyChanged = previous !== undefined && !sameKey;
  // Prekeys of the previous identity belong to an install that no longer exists. Deleted
  // first: a crash before the key update leaves the old identity without prekeys (the
  // device's retry finishes the change), never the new identity with the old install's keys.
  if (identityKeyChanged) await c.oneTimePreKeys.deleteMany(filter);
  await c.devices.updateOne(filter, {
    $set: {
      keys: {
        identityKey: binary(identityKey),
        identityKeyUpdatedAt: sameKey ? previous.identityKeyUpdatedAt : now,
        signedPreKey: toSignedPreKeyDoc(signedPreKey),
      },
    },
  });
  return { identityKeyChanged };
}

export function countOneTimePreKeys(c: Collections, device: DeviceAddress): Promise<number> {
  return c.oneTimePreKeys.countDocuments(deviceFilter(device));
}

/**
 * The limit is checked before anything is written, so a batch over it changes nothing (the
 * port's "rolls back"). The check and the upserts are two steps: two uploads for the same
 * device racing on different servers could together pass `maxStored` by at most one batch.
 * Only the device itself uploads its prekeys, so that needs a client misbehaving against
 * itself, and the excess is bounded.
 */
export async function addOneTimePreKeys(
  c: Collections,
  device: DeviceAddress,
  keys: readonly OneTimePreKeyRecord[],
  maxStored: number,
): Promise<number> {
  const filter = deviceFilter(device);
  const keyIds = [...new Set(keys.map((k) => k.keyId))];
  const [known, stored, replaced] = await Promise.all([
    c.devices.findOne(filter, { projection: { _id: 1 } }),
    c.oneTimePreKeys.countDocuments(filter),
    c.oneTimePreKeys.countDocuments({ ...filter, keyId: { $in: keyIds } }),
  ]);
  if (known === null) throw new StorageError('NOT_FOUND', 'no such device');
  if (stored + keyIds.length - replaced > maxStored) {
    throw new StorageError('LIMIT', 'too many one-time prekeys');
  }
  if (keys.length > 0) {
    // Ordered, so a keyId repeated within the batch ends with its last key, as in SQLite.
    await c.oneTimePreKeys.bulkWrite(
      keys.map((k) => ({
        updateOne: {
          filter: { ...filter, keyId: k.keyId },
          update: { $set: { publicKey: binary(k.publicKey) } },
          upsert: true,
        },
      })),
      { ordered: true },
    );
  }
  return countOneTimePreKeys(c, device);
}

/**
 * One findOneAndDelete per device: the read and the removal of a prekey are one atomic
 * server-side step, so concurrent fetches (on any number of servers) never get the same key.
 */
export async function takePreKeyBundles(
  c: Collections,
  accountId: AccountId,
  deviceId: number | undefined,
): Promise<PreKeyBundleRecord[]> {
  const filter =
    deviceId === undefined
      ? { accountId, keys: { $exists: true } }
      : { accountId, deviceId, keys: { $exists: true } };
  const devices = await c.devices.find(filter).sort({ deviceId: 1 }).toArray();
  const withKeys = devices.flatMap((d) => (d.keys === undefined ? [] : [{ ...d, keys: d.keys }]));
  return Promise.all(
    withKeys.map(async (doc): Promise<PreKeyBundleRecord> => {
      const taken = await c.oneTimePreKeys.findOneAndDelete(
        { accountId, deviceId: doc.deviceId },
        { sort: { keyId: 1 } },
      );
      return {
        deviceId: doc.deviceId,
        ...toDeviceKeys(doc.keys),
        oneTimePreKey:
          taken === null ? undefined : { keyId: taken.keyId, publicKey: bytes(taken.publicKey) },
      };
    }),
  );
}
