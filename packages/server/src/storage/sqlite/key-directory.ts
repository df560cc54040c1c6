import {
  StorageError,
  type DeviceAddress,
  type OneTimePreKeyRecord,
  type PreKeyBundleRecord,
  type SignedPreKeyRecord,
} from '../types.ts';
import { bytes, rowId, toDeviceRecord, type DeviceRow } from './rows.ts';
import { mapConstraint } from './sqlite-errors.ts';
import type { Statements } from './statements.ts';

// Key-directory writes. Each runs inside the write batcher's transaction (and its own
// savepoint), so a throw rolls back exactly this write.

export function setDeviceKeys(
  sql: Statements,
  device: DeviceAddress,
  identityKey: Uint8Array,
  signedPreKey: SignedPreKeyRecord,
  now: number,
): { identityKeyChanged: boolean } {
  const account = rowId(device.accountId);
  const row = sql.selectDevice.get(account, device.deviceId) as DeviceRow | undefined;
  if (row === undefined) throw new StorageError('NOT_FOUND', 'no such device');
  const previous = row.identity_key;
  const sameKey = previous !== null && Buffer.from(previous).equals(identityKey);
  const identityKeyChanged = previous !== null && !sameKey;
  // Prekeys of the previous identity belong to an install that no longer exists.
  if (identityKeyChanged) sql.deletePreKeys.run(account, device.deviceId);
  sql.updateDeviceKeys.run(
    identityKey,
    sameKey ? row.identity_key_updated_at : now,
    signedPreKey.keyId,
    signedPreKey.publicKey,
    signedPreKey.signature,
    account,
    device.deviceId,
  );
  return { identityKeyChanged };
}

export function countPreKeys(sql: Statements, device: DeviceAddress): number {
  return (sql.countPreKeys.get(rowId(device.accountId), device.deviceId) as { n: number }).n;
}

export function addOneTimePreKeys(
  sql: Statements,
  device: DeviceAddress,
  keys: readonly OneTimePreKeyRecord[],
  maxStored: number,
): number {
  try {
    for (const key of keys) {
      sql.upsertPreKey.run(rowId(device.accountId), device.deviceId, key.keyId, key.publicKey);
    }
  } catch (e) {
    throw mapConstraint(e, 'no such device');
  }
  const count = countPreKeys(sql, device);
  // Throwing inside the write rolls the inserts back (savepoint).
  if (count > maxStored) throw new StorageError('LIMIT', 'too many one-time prekeys');
  return count;
}

export function takePreKeyBundles(
  sql: Statements,
  accountId: string,
  deviceId: number | undefined,
): PreKeyBundleRecord[] {
  const id = rowId(accountId);
  const bundles: PreKeyBundleRecord[] = [];
  for (const row of sql.selectDevices.all(id) as DeviceRow[]) {
    if (deviceId !== undefined && row.device_id !== deviceId) continue;
    const keys = toDeviceRecord(row).keys;
    if (keys === undefined) continue;
    // DELETE … RETURNING inside the batch transaction: read and removal are one step.
    const taken = sql.takePreKey.get(id, row.device_id, id, row.device_id) as
      { key_id: number; public_key: Uint8Array } | undefined;
    bundles.push({
      deviceId: row.device_id,
      ...keys,
      oneTimePreKey:
        taken === undefined
          ? undefined
          : { keyId: taken.key_id, publicKey: bytes(taken.public_key) },
    });
  }
  return bundles;
}
