import { Binary } from 'mongodb';
import type { DeviceKeys, DeviceRecord, SignedPreKeyRecord, StoredMessage } from '../types.ts';

/*
 * Document shapes, one interface per collection. Bytes are BSON Binary (subtype 0) on the
 * way in and come back as Binary (the driver's default `promoteBuffers: false`); the
 * converters below hand callers plain Uint8Arrays, never driver objects.
 */

export interface AccountDoc {
  /** The AccountId: an ObjectId's hex, stored as a string so any caller's id can be queried. */
  _id: string;
  username: string;
  passwordHash: string;
  createdAt: number;
  /** Devices ever created: the next deviceId is this plus one (see createDevice). */
  deviceCount: number;
}

export interface SignedPreKeyDoc {
  keyId: number;
  publicKey: Binary;
  signature: Binary;
}

export interface DeviceKeysDoc {
  identityKey: Binary;
  identityKeyUpdatedAt: number;
  signedPreKey: SignedPreKeyDoc;
}

export interface DeviceDoc {
  accountId: string;
  deviceId: number;
  createdAt: number;
  /** Absent until the device uploads its keys. */
  keys?: DeviceKeysDoc;
}

/** Sessions and tickets are keyed by the SHA-256 of the token: a leaked database grants nothing. */
export interface SessionDoc {
  _id: Binary;
  accountId: string;
  /** Copied from the session record: usernames never change, so no join is needed. */
  username: string;
  deviceId: number;
  expiresAt: number;
}

export interface TicketDoc {
  _id: Binary;
  accountId: string;
  username: string;
  deviceId: number;
  expiresAt: number;
}

export interface OneTimePreKeyDoc {
  accountId: string;
  deviceId: number;
  keyId: number;
  publicKey: Binary;
}

export interface MessageDoc {
  /** The message sequence number; its decimal string is the serverId. */
  _id: number;
  recipientAccountId: string;
  recipientDeviceId: number;
  senderAccountId: string;
  senderUsername: string;
  senderDeviceId: number;
  clientId: string;
  body: Binary;
  createdAt: number;
}

/** Outlives its message (until sweep) so a late retry of an acked message is acked again. */
export interface DedupeDoc {
  senderAccountId: string;
  senderDeviceId: number;
  clientId: string;
  recipientAccountId: string;
  recipientDeviceId: number;
  serverId: number;
  createdAt: number;
}

export interface CounterDoc {
  _id: string;
  value: number;
}

export function binary(bytes: Uint8Array): Binary {
  return new Binary(bytes);
}

/**
 * A copy as a plain Uint8Array: the driver's bytes are a Buffer view into the whole reply, and
 * keeping a view would pin that reply in memory for as long as the caller holds the bytes.
 */
export function bytes(value: Binary): Uint8Array {
  return new Uint8Array(value.value());
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toSignedPreKeyDoc(record: SignedPreKeyRecord): SignedPreKeyDoc {
  return {
    keyId: record.keyId,
    publicKey: binary(record.publicKey),
    signature: binary(record.signature),
  };
}

export function toDeviceKeys(doc: DeviceKeysDoc): DeviceKeys {
  return {
    identityKey: bytes(doc.identityKey),
    identityKeyUpdatedAt: doc.identityKeyUpdatedAt,
    signedPreKey: {
      keyId: doc.signedPreKey.keyId,
      publicKey: bytes(doc.signedPreKey.publicKey),
      signature: bytes(doc.signedPreKey.signature),
    },
  };
}

export function toDeviceRecord(doc: DeviceDoc): DeviceRecord {
  return {
    deviceId: doc.deviceId,
    createdAt: doc.createdAt,
    keys: doc.keys === undefined ? undefined : toDeviceKeys(doc.keys),
  };
}

export function toStoredMessage(doc: MessageDoc): StoredMessage {
  return {
    serverId: String(doc._id),
    senderUsername: doc.senderUsername,
    senderDeviceId: doc.senderDeviceId,
    clientId: doc.clientId,
    body: bytes(doc.body),
    createdAt: doc.createdAt,
  };
}
