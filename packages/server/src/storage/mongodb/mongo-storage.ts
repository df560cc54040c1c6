import { MongoClient, ObjectId, type Db } from 'mongodb';
import {
  StorageError,
  type AccountId,
  type AccountRecord,
  type DeviceAddress,
  type DeviceRecord,
  type EnqueueResult,
  type NewMessage,
  type OneTimePreKeyRecord,
  type PreKeyBundleRecord,
  type SessionRecord,
  type SignedPreKeyRecord,
  type Storage,
  type StoredMessage,
  type TicketRecord,
} from '../types.ts';
import { collections, createIndexes, type Collections } from './collections.ts';
import { binary, toDeviceRecord } from './documents.ts';
import { KeyedSerializer } from './keyed-serializer.ts';
import {
  addOneTimePreKeys,
  countOneTimePreKeys,
  setDeviceKeys,
  takePreKeyBundles,
} from './key-directory.ts';
import {
  createMessageSequence,
  deleteMessage,
  enqueueMessage,
  listMessages,
} from './message-queue.ts';
import { isDuplicateKey } from './mongo-errors.ts';

export interface MongoStorageOptions {
  /**
   * A MongoDB connection string, e.g. `mongodb://127.0.0.1:27017`; for Amazon DocumentDB see
   * README.md beside this file. Whatever it says, the adapter sets `retryWrites=false`,
   * `readPreference=primary` and `w=majority` (see `open`).
   */
  readonly url: string;
  readonly dbName: string;
}

/**
 * The MongoDB / Amazon DocumentDB adapter. It uses only single-document atomic operations
 * (findOneAndUpdate, findOneAndDelete, unique indexes), never multi-document transactions,
 * server-side JavaScript, TTL indexes or change streams: only what DocumentDB 5.0 offers as
 * well as MongoDB. Several servers may share one database; what that changes is noted per
 * method and in README.md.
 */
export class MongoStorage implements Storage {
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #c: Collections;
  /** Enqueues per recipient device, in call order (the port's ordering promise). */
  readonly #queues = new KeyedSerializer();
  #closing: Promise<void> | undefined;

  private constructor(client: MongoClient, db: Db) {
    this.#client = client;
    this.#db = db;
    this.#c = collections(db);
  }

  /** Connects, creates the indexes (idempotent) and returns a ready adapter. */
  static async open(options: MongoStorageOptions): Promise<MongoStorage> {
    const client = new MongoClient(options.url, {
      // DocumentDB before 8.0.2 rejects retryable writes. Nothing here needs them: a write
      // that fails on a failover fails the request, and the client's retry is deduplicated.
      retryWrites: false,
      // Every read here must see this process's own writes (a session just created, a queue
      // just appended to); a lagging replica would not. Options given here override the URL.
      readPreference: 'primary',
      // "Stores durably before resolving": acknowledged by a majority, as MongoDB 5.0+
      // defaults to anyway; DocumentDB acknowledges only writes durable on its storage quorum.
      writeConcern: { w: 'majority' },
    });
    await client.connect();
    try {
      const db = client.db(options.dbName);
      const c = collections(db);
      await createIndexes(c);
      await createMessageSequence(c);
      return new MongoStorage(client, db);
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  async createAccount(username: string, passwordHash: string, now: number) {
    const accountId = new ObjectId().toHexString();
    try {
      await this.#c.accounts.insertOne({
        _id: accountId,
        username,
        passwordHash,
        createdAt: now,
        deviceCount: 0,
      });
    } catch (e) {
      if (isDuplicateKey(e)) throw new StorageError('CONFLICT', 'username exists', { cause: e });
      throw e;
    }
    const account: AccountRecord = { accountId, username, passwordHash, createdAt: now };
    return account;
  }

  async getAccountByUsername(username: string): Promise<AccountRecord | undefined> {
    const doc = await this.#c.accounts.findOne({ username });
    if (doc === null) return undefined;
    return {
      accountId: doc._id,
      username: doc.username,
      passwordHash: doc.passwordHash,
      createdAt: doc.createdAt,
    };
  }

  /**
   * The limit check and the deviceId allocation are one atomic $inc on the account document,
   * so servers racing for the same account can neither pass the limit nor share an id. A crash
   * between the $inc and the insert skips that id and spends one slot of the limit.
   */
  async createDevice(accountId: AccountId, now: number, maxDevices: number): Promise<number> {
    const account = await this.#c.accounts.findOneAndUpdate(
      { _id: accountId, deviceCount: { $lt: maxDevices } },
      { $inc: { deviceCount: 1 } },
      { returnDocument: 'after', projection: { deviceCount: 1 } },
    );
    if (account === null) {
      const exists = await this.#c.accounts.findOne({ _id: accountId }, { projection: { _id: 1 } });
      if (exists === null) throw new StorageError('NOT_FOUND', 'no such account');
      throw new StorageError('LIMIT', 'too many devices');
    }
    const deviceId = account.deviceCount;
    await this.#c.devices.insertOne({ accountId, deviceId, createdAt: now });
    return deviceId;
  }

  async getDevice(accountId: AccountId, deviceId: number): Promise<DeviceRecord | undefined> {
    const doc = await this.#c.devices.findOne({ accountId, deviceId });
    return doc === null ? undefined : toDeviceRecord(doc);
  }

  async listDevices(accountId: AccountId): Promise<DeviceRecord[]> {
    const docs = await this.#c.devices.find({ accountId }).sort({ deviceId: 1 }).toArray();
    return docs.map(toDeviceRecord);
  }

  async createSession(tokenHash: Uint8Array, session: SessionRecord): Promise<void> {
    const { accountId, username, deviceId, expiresAt } = session;
    await this.#c.sessions.insertOne({
      _id: binary(tokenHash),
      accountId,
      username,
      deviceId,
      expiresAt,
    });
  }

  async getSession(tokenHash: Uint8Array, now: number): Promise<SessionRecord | undefined> {
    const doc = await this.#c.sessions.findOne({
      _id: binary(tokenHash),
      expiresAt: { $gt: now },
    });
    if (doc === null) return undefined;
    return {
      accountId: doc.accountId,
      username: doc.username,
      deviceId: doc.deviceId,
      expiresAt: doc.expiresAt,
    };
  }

  async deleteSession(tokenHash: Uint8Array): Promise<void> {
    await this.#c.sessions.deleteOne({ _id: binary(tokenHash) });
  }

  async createTicket(ticketHash: Uint8Array, ticket: TicketRecord, expiresAt: number) {
    const { accountId, username, deviceId } = ticket;
    await this.#c.tickets.insertOne({
      _id: binary(ticketHash),
      accountId,
      username,
      deviceId,
      expiresAt,
    });
  }

  /**
   * findOneAndDelete: of any number of concurrent redemptions, on any number of servers,
   * exactly one gets the document. An expired ticket is deleted too (it is of no further use)
   * but not returned.
   */
  async consumeTicket(ticketHash: Uint8Array, now: number): Promise<TicketRecord | undefined> {
    const doc = await this.#c.tickets.findOneAndDelete({ _id: binary(ticketHash) });
    if (doc === null || doc.expiresAt <= now) return undefined;
    return { accountId: doc.accountId, username: doc.username, deviceId: doc.deviceId };
  }

  setDeviceKeys(
    device: DeviceAddress,
    identityKey: Uint8Array,
    signedPreKey: SignedPreKeyRecord,
    now: number,
  ): Promise<{ identityKeyChanged: boolean }> {
    return setDeviceKeys(this.#c, device, identityKey, signedPreKey, now);
  }

  addOneTimePreKeys(
    device: DeviceAddress,
    keys: readonly OneTimePreKeyRecord[],
    maxStored: number,
  ): Promise<number> {
    return addOneTimePreKeys(this.#c, device, keys, maxStored);
  }

  countOneTimePreKeys(device: DeviceAddress): Promise<number> {
    return countOneTimePreKeys(this.#c, device);
  }

  takePreKeyBundles(accountId: AccountId, deviceId?: number): Promise<PreKeyBundleRecord[]> {
    return takePreKeyBundles(this.#c, accountId, deviceId);
  }

  /**
   * Queued synchronously, at call time, behind earlier enqueues to the same recipient device:
   * that is what keeps a pipelining caller's order. Across servers sharing the database the
   * ordering promise holds per server, which is what the chat core needs (one connection's
   * sends go through one server); see README.md for what concurrent servers can still do.
   */
  enqueueMessage(
    message: NewMessage,
    maxQueued: number,
    stored?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult> {
    const { accountId, deviceId } = message.recipient;
    // A write here is visible and durable at once (majority write concern): `stored` is told
    // just before the promise resolves.
    return this.#queues.run(`${deviceId}:${accountId}`, async () => {
      const result = await enqueueMessage(this.#c, message, maxQueued);
      stored?.(result);
      return result;
    });
  }

  listMessages(
    recipient: DeviceAddress,
    afterServerId: string | undefined,
    limit: number,
  ): Promise<StoredMessage[]> {
    return listMessages(this.#c, recipient, afterServerId, limit);
  }

  deleteMessage(recipient: DeviceAddress, serverId: string): Promise<boolean> {
    return deleteMessage(this.#c, recipient, serverId);
  }

  /**
   * Exact, for the queue-depth gauge. countDocuments walks the _id index; estimatedDocumentCount
   * would read collection metadata instead, cheaper but approximate after an unclean shutdown.
   */
  countQueuedMessages(): Promise<number> {
    return this.#c.messages.countDocuments({});
  }

  async sweep(now: number, dedupeBefore: number): Promise<void> {
    await Promise.all([
      this.#c.sessions.deleteMany({ expiresAt: { $lte: now } }),
      this.#c.tickets.deleteMany({ expiresAt: { $lte: now } }),
      this.#c.messageDedupe.deleteMany({ createdAt: { $lt: dedupeBefore } }),
    ]);
  }

  async ping(): Promise<void> {
    await this.#db.command({ ping: 1 });
  }

  /** Lets enqueues already accepted finish, then closes the connection pool. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#queues.drain().then(() => this.#client.close());
    return this.#closing;
  }
}
