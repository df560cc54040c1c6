import type { DeviceRecord, StoredMessage } from '../types.ts';

/** Row shapes as better-sqlite3 returns them (BLOBs arrive as Buffers). */
export interface DeviceRow {
  device_id: number;
  created_at: number;
  identity_key: Uint8Array | null;
  identity_key_updated_at: number | null;
  signed_prekey_id: number | null;
  signed_prekey: Uint8Array | null;
  signed_prekey_signature: Uint8Array | null;
}

export interface MessageRow {
  server_id: number;
  sender_username: string;
  sender_device_id: number;
  client_id: string;
  body: Uint8Array;
  created_at: number;
}

/** A plain Uint8Array view of a driver Buffer (no copy), so callers never see Buffer. */
export function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** The port speaks string ids so document stores can use theirs; SQLite keys are integers. */
export function rowId(accountId: string): number {
  return Number(accountId);
}

export function toDeviceRecord(row: DeviceRow): DeviceRecord {
  const hasKeys =
    row.identity_key !== null &&
    row.identity_key_updated_at !== null &&
    row.signed_prekey_id !== null &&
    row.signed_prekey !== null &&
    row.signed_prekey_signature !== null;
  return {
    deviceId: row.device_id,
    createdAt: row.created_at,
    keys: hasKeys
      ? {
          identityKey: bytes(row.identity_key!),
          identityKeyUpdatedAt: row.identity_key_updated_at!,
          signedPreKey: {
            keyId: row.signed_prekey_id!,
            publicKey: bytes(row.signed_prekey!),
            signature: bytes(row.signed_prekey_signature!),
          },
        }
      : undefined,
  };
}

export function toStoredMessage(row: MessageRow): StoredMessage {
  return {
    serverId: String(row.server_id),
    senderUsername: row.sender_username,
    senderDeviceId: row.sender_device_id,
    clientId: row.client_id,
    body: bytes(row.body),
    createdAt: row.created_at,
  };
}
