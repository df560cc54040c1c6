import type { Collection, Db } from 'mongodb';
import type {
  AccountDoc,
  CounterDoc,
  DedupeDoc,
  DeviceDoc,
  MessageDoc,
  OneTimePreKeyDoc,
  SessionDoc,
  TicketDoc,
} from './documents.ts';

export interface Collections {
  readonly accounts: Collection<AccountDoc>;
  readonly devices: Collection<DeviceDoc>;
  readonly sessions: Collection<SessionDoc>;
  readonly tickets: Collection<TicketDoc>;
  readonly oneTimePreKeys: Collection<OneTimePreKeyDoc>;
  readonly messages: Collection<MessageDoc>;
  readonly messageDedupe: Collection<DedupeDoc>;
  readonly counters: Collection<CounterDoc>;
}

export function collections(db: Db): Collections {
  return {
    accounts: db.collection<AccountDoc>('accounts'),
    devices: db.collection<DeviceDoc>('devices'),
    sessions: db.collection<SessionDoc>('sessions'),
    tickets: db.collection<TicketDoc>('tickets'),
    oneTimePreKeys: db.collection<OneTimePreKeyDoc>('oneTimePreKeys'),
    messages: db.collection<MessageDoc>('messages'),
    messageDedupe: db.collection<DedupeDoc>('messageDedupe'),
    counters: db.collection<CounterDoc>('counters'),
  };
}

/**
 * The schema, such as a document store has one: plain ascending, unique and compound indexes
 * only (all supported by Amazon DocumentDB 5.0). No TTL index: expiry is the caller's clock
 * (`sweep(now, …)`), not the server's, so tests and replays stay deterministic. createIndexes
 * is a no-op for an index that already exists with the same definition, so this runs on
 * every start.
 */
export async function createIndexes(c: Collections): Promise<void> {
  await Promise.all([
    c.accounts.createIndex({ username: 1 }, { unique: true, name: 'username_unique' }),
    c.devices.createIndex(
      { accountId: 1, deviceId: 1 },
      { unique: true, name: 'account_device_unique' },
    ),
    c.sessions.createIndex({ expiresAt: 1 }, { name: 'by_expiry' }),
    c.tickets.createIndex({ expiresAt: 1 }, { name: 'by_expiry' }),
    c.oneTimePreKeys.createIndex(
      { accountId: 1, deviceId: 1, keyId: 1 },
      { unique: true, name: 'device_key_unique' },
    ),
    // A device's queue in order: listMessages, the quota count and deleteMessage use it.
    c.messages.createIndex(
      { recipientAccountId: 1, recipientDeviceId: 1, _id: 1 },
      { name: 'queue_by_recipient' },
    ),
    // The claim that makes a (sender, clientId, recipient) retry a duplicate, across servers.
    c.messageDedupe.createIndex(
      {
        senderAccountId: 1,
        senderDeviceId: 1,
        clientId: 1,
        recipientAccountId: 1,
        recipientDeviceId: 1,
      },
      { unique: true, name: 'dedupe_key_unique' },
    ),
    c.messageDedupe.createIndex({ createdAt: 1 }, { name: 'by_age' }),
  ]);
}
