import { Long } from 'mongodb';
import {
  StorageError,
  type DeviceAddress,
  type EnqueueResult,
  type NewMessage,
  type StoredMessage,
} from '../types.ts';
import type { Collections } from './collections.ts';
import { binary, toStoredMessage, type DedupeDoc } from './documents.ts';
import { isDuplicateKey } from './mongo-errors.ts';

/** The one counter document: a database-wide message sequence. */
const MESSAGE_SEQUENCE = 'messages';

/** Server ids are our own sequence numbers; anything else (e.g. a forged ack) matches nothing. */
export function parseServerId(serverId: string): number | undefined {
  return /^[0-9]{1,15}$/.test(serverId) ? Number(serverId) : undefined;
}

/**
 * Creates the sequence document at startup, so enqueues never race to create it (two upserts
 * of a missing document can both insert, and one then fails on _id; not every server retries
 * that internally).
 */
export async function createMessageSequence(c: Collections): Promise<void> {
  try {
    await c.counters.updateOne(
      { _id: MESSAGE_SEQUENCE },
      { $setOnInsert: { value: 0 } },
      { upsert: true },
    );
  } catch (e) {
    // Another server starting at the same moment created it.
    if (!isDuplicateKey(e)) throw e;
  }
}

/**
 * The next message number, from one atomic $inc on one document: strictly increasing and never
 * reused, even after messages are deleted or the server restarts. Adding an int64 makes the
 * stored value an int64 from the first message on, so it never relies on int32 overflow.
 */
async function nextSequence(c: Collections): Promise<number> {
  const counter = await c.counters.findOneAndUpdate(
    { _id: MESSAGE_SEQUENCE },
    { $inc: { value: Long.fromNumber(1) } },
    { returnDocument: 'after' },
  );
  if (counter === null) throw new Error('message sequence document is missing');
  // The driver promotes int64 to number (`promoteLongs`, exact below 2^53).
  return counter.value;
}

/**
 * One enqueue. The caller (MongoStorage) runs enqueues for the same recipient device one at a
 * time in call order, so on one server: the checks and the insert are not interleaved with
 * another enqueue to that queue (exact quota, exact dedupe), and sequence numbers reach a queue
 * in call order with no gap a reader could skip past.
 *
 * Order of writes: message, then dedupe record. A crash in between leaves a stored message
 * without a dedupe record, so the sender's retry is stored again (a duplicate delivery, which
 * the port already allows for acks) — never a dedupe record pointing at a message that was
 * never stored (a silent loss).
 */
export async function enqueueMessage(
  c: Collections,
  message: NewMessage,
  maxQueued: number,
): Promise<EnqueueResult> {
  const { recipient } = message;
  const key = {
    senderAccountId: message.senderAccountId,
    senderDeviceId: message.senderDeviceId,
    clientId: message.clientId,
    recipientAccountId: recipient.accountId,
    recipientDeviceId: recipient.deviceId,
  };
  const queue = { recipientAccountId: recipient.accountId, recipientDeviceId: recipient.deviceId };
  const [seen, device, queued] = await Promise.all([
    c.messageDedupe.findOne(key, { projection: { serverId: 1 } }),
    c.devices.findOne(
      { accountId: recipient.accountId, deviceId: recipient.deviceId },
      { projection: { _id: 1 } },
    ),
    // `limit` stops the count at the quota ($limit must be positive, hence the guard).
    maxQueued > 0 ? c.messages.countDocuments(queue, { limit: maxQueued }) : Promise.resolve(0),
  ]);
  // Same precedence as SQLite: a duplicate is answered even if the queue has filled since.
  if (seen !== null) return { serverId: String(seen.serverId), duplicate: true };
  if (device === null) throw new StorageError('NOT_FOUND', 'no such recipient device');
  if (queued >= maxQueued) throw new StorageError('LIMIT', 'recipient queue is full');

  const serverId = await nextSequence(c);
  await c.messages.insertOne({
    _id: serverId,
    ...queue,
    senderAccountId: message.senderAccountId,
    senderUsername: message.senderUsername,
    senderDeviceId: message.senderDeviceId,
    clientId: message.clientId,
    body: binary(message.body),
    createdAt: message.createdAt,
  });
  const record: DedupeDoc = { ...key, serverId, createdAt: message.createdAt };
  try {
    await c.messageDedupe.insertOne(record);
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    return resolveDedupeRace(c, key, serverId);
  }
  return { serverId: String(serverId), duplicate: false };
}

/**
 * Another server stored the same (sender, clientId, recipient) between our check and our
 * claim, and its claim won: drop our copy and answer with its serverId. Our copy was visible
 * for that moment, so the recipient may see the message twice (at-least-once, as on a retry).
 */
async function resolveDedupeRace(
  c: Collections,
  key: Omit<DedupeDoc, 'serverId' | 'createdAt'>,
  ours: number,
): Promise<EnqueueResult> {
  const winner = await c.messageDedupe.findOne(key, { projection: { serverId: 1 } });
  // Swept in the meantime (a window older than the race itself): keep ours.
  if (winner === null) return { serverId: String(ours), duplicate: false };
  await c.messages.deleteOne({ _id: ours });
  return { serverId: String(winner.serverId), duplicate: true };
}

export async function listMessages(
  c: Collections,
  recipient: DeviceAddress,
  afterServerId: string | undefined,
  limit: number,
): Promise<StoredMessage[]> {
  const after = afterServerId === undefined ? 0 : parseServerId(afterServerId);
  // Unlike SQL's LIMIT 0, a MongoDB limit of 0 means "no limit".
  if (after === undefined || limit <= 0) return [];
  const docs = await c.messages
    .find({
      recipientAccountId: recipient.accountId,
      recipientDeviceId: recipient.deviceId,
      _id: { $gt: after },
    })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(toStoredMessage);
}

export async function deleteMessage(
  c: Collections,
  recipient: DeviceAddress,
  serverId: string,
): Promise<boolean> {
  const id = parseServerId(serverId);
  if (id === undefined) return false;
  const result = await c.messages.deleteOne({
    _id: id,
    recipientAccountId: recipient.accountId,
    recipientDeviceId: recipient.deviceId,
  });
  return result.deletedCount > 0;
}
