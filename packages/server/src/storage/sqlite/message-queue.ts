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
 * Runs inside the write batcher's transaction: quota, insert, dedupe are one step. It throws
 * only before its first change (the insert fails as a whole, its trigger's dedupe row with it),
 * so it needs no savepoint. `queueLengths` must be fresh for each transaction: only this
 * function adds messages, and the transaction holds the write lock.
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
  // An upper bound cached for this transaction (deletes are not subtracted) spares the count
  // while it is below the quota; at the quota the queue is counted exactly.
  const lengthKey = `${to.accountId}:${to.deviceId}`;
  let n = queueLengths.get(lengthKey);
  if (n === undefined || n >= maxQueued) {
    n = (sql.countQueue.get(rowId(to.accountId), to.deviceId) as { n: number }).n;
  }
  if (n >= maxQueued) {
    // A retry of a message already stored is acked again, even at the quota.
    return duplicateOf(sql, key) ?? throwLimit();
  }
  let serverId: number | bigint;
  try {
    // The messages_dedupe trigger (migration 0005) writes the dedupe row in the same statement.
    serverId = sql.insertMessage.run(
      ...key,
      message.body,
      message.createdAt,
      message.senderUsername,
    ).lastInsertRowid;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      const original = duplicateOf(sql, key);
      if (original !== undefined) return original;
    }
    throw mapConstraint(e, 'no such recipient device');
  }
  queueLengths.set(lengthKey, n + 1);
  // Not String(): V8 caches number-to-string conversions in a table of ~16k entries, which kept
  // each id's string alive past two scavenges at 10k msg/s, so every one was copied into the
  // old generation (about a fifth of what the message path promoted there). toFixed(0) makes a
  // plain young string, and the same digits for ids below 2^53.
  const id = typeof serverId === 'bigint' ? serverId.toString() : serverId.toFixed(0);
  return { serverId: id, duplicate: false };
}

/** The dedupe window's earlier message with this key, as a duplicate result. */
function duplicateOf(sql: Statements, key: unknown[]): EnqueueResult | undefined {
  const seen = sql.selectDedupe.get(...key) as { server_id: number } | undefined;
  return seen === undefined ? undefined : { serverId: String(seen.server_id), duplicate: true };
}

function throwLimit(): never {
  throw new StorageError('LIMIT', 'recipient queue is full');
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
