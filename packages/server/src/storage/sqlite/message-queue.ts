import {
  StorageError,
  type DeviceAddress,
  type EnqueueResult,
  type NewMessage,
  type StoredMessage,
} from '../types.ts';
import { rowId, toStoredMessage, type MessageRow } from './rows.ts';
import { mapConstraint } from './sqlite-errors.ts';
import type { Statements } from './statements.ts';

/** Server ids are our own rowids; anything else (e.g. a forged ack) matches nothing. */
export function parseServerId(serverId: string): number | undefined {
  return /^[0-9]{1,15}$/.test(serverId) ? Number(serverId) : undefined;
}

/**
 * Runs inside the write batcher's transaction: dedupe check, quota, insert are one step. It
 * throws only before its first change (the message insert fails as a whole on a missing
 * device), so it needs no savepoint. `queueLengths` must be fresh for each transaction: only
 * this function adds messages, and the transaction holds the write lock.
 */
export function enqueueMessage(
  sql: Statements,
  message: NewMessage,
  maxQueued: number,
  queueLengths: Map<string, number>,
): EnqueueResult {
  const { recipient: to } = message;
  const key = [
    rowId(to.accountId),
    to.deviceId,
    rowId(message.senderAccountId),
    message.senderDeviceId,
    message.clientId,
  ];
  const seen = sql.selectDedupe.get(...key) as { server_id: number } | undefined;
  if (seen !== undefined) return { serverId: String(seen.server_id), duplicate: true };
  // An upper bound cached for this transaction (deletes are not subtracted) spares the count
  // while it is below the quota; at the quota the queue is counted exactly.
  const lengthKey = `${to.accountId}:${to.deviceId}`;
  let n = queueLengths.get(lengthKey);
  if (n === undefined || n >= maxQueued) {
    n = (sql.countQueue.get(rowId(to.accountId), to.deviceId) as { n: number }).n;
  }
  if (n >= maxQueued) throw new StorageError('LIMIT', 'recipient queue is full');
  let serverId: number | bigint;
  try {
    serverId = sql.insertMessage.run(
      ...key,
      message.body,
      message.createdAt,
      message.senderUsername,
    ).lastInsertRowid;
  } catch (e) {
    throw mapConstraint(e, 'no such recipient device');
  }
  sql.insertDedupe.run(...key, serverId, message.createdAt);
  queueLengths.set(lengthKey, n + 1);
  return { serverId: String(serverId), duplicate: false };
}

export function listMessages(
  sql: Statements,
  recipient: DeviceAddress,
  afterServerId: string | undefined,
  limit: number,
): StoredMessage[] {
  const after = afterServerId === undefined ? 0 : parseServerId(afterServerId);
  if (after === undefined) return [];
  const rows = sql.selectQueue.all(
    rowId(recipient.accountId),
    recipient.deviceId,
    after,
    limit,
  ) as MessageRow[];
  return rows.map(toStoredMessage);
}
