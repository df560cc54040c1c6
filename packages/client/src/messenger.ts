/**
 * The SDK's public face: account, keys, sending and receiving, trust. One instance per
 * device install. Every operation that touches sessions runs through one queue, and every
 * received message is persisted (session state, history, prekey deletion, in one atomic
 * write) *before* it is acked to the server — so a crash can lose neither a message nor a
 * ratchet step.
 */
import {
  computeSafetyNumber,
  isProtocolError,
  type IdentityKeyPair,
  type ProtocolEnv,
  type SafetyNumber,
} from '@susurro/protocol';
import { HttpApi, type FetchLike } from './api/http-api.ts';
import type { QueuedMessage, ServerFrame } from './api/types.ts';
import { fromBase64, toBase64 } from './base64.ts';
import { decodeContent, encodeContent, MESSAGE_ID, newMessageId, type Content } from './content.ts';
import { ClientError, isClientError } from './errors.ts';
import { Emitter } from './events.ts';
import { PreKeyManager } from './keys/prekeys.ts';
import { MAX_TEXT_BYTES } from './limits.ts';
import { Outbox, type OutboxOptions } from './outbox.ts';
import {
  RealtimeConnection,
  type ConnectionState,
  type WebSocketConstructor,
} from './realtime/connection.ts';
import { PeerSessions } from './sessions/peer-sessions.ts';
import {
  Batch,
  records,
  type AccountRecord,
  type ClientStore,
  type ContactRecord,
  type MessageRecord,
} from './store/client-store.ts';

export interface MessengerEvents {
  message: (message: MessageRecord) => void;
  delivered: (peer: string, ids: string[]) => void;
  'identity-changed': (contact: ContactRecord) => void;
  'connection-state': (
    state: ConnectionState,
    detail?: { code?: string | number; reason?: string },
  ) => void;
  'queue-empty': () => void;
  /** A message that could not be processed (never silently dropped). */
  error: (error: unknown) => void;
}

export interface MessengerOptions {
  store: ClientStore;
  env: ProtocolEnv;
  serverUrl: string;
  WebSocket?: WebSocketConstructor;
  fetch?: FetchLike;
  now?: () => number;
}

/** How `Messenger.send` identifies and dates a message (a retry passes the same again). */
export interface SendOptions {
  /** A `newMessageId`; sending again with it never makes a second copy (see `send`). */
  readonly id?: string;
  /** When the user wrote it (ms since the epoch); default now. */
  readonly sentAt?: number;
}

export class Messenger extends Emitter<MessengerEvents> {
  readonly api: HttpApi;
  private readonly sessions: PeerSessions;
  private readonly prekeys: PreKeyManager;
  private readonly now: () => number;
  private connection: RealtimeConnection | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private account: AccountRecord | undefined;

  private constructor(private readonly options: MessengerOptions) {
    super();
    this.now = options.now ?? (() => Date.now());
    this.api = new HttpApi(options.serverUrl, options.fetch);
    this.sessions = new PeerSessions(options.env, options.store, this.api, this.now);
    this.prekeys = new PreKeyManager(options.env, options.store, this.api, this.now);
  }

  static async open(options: MessengerOptions): Promise<Messenger> {
    const m = new Messenger(options);
    m.account = await options.store.getAccount();
    if (m.account?.accessToken && m.account.serverUrl === options.serverUrl)
      m.api.token = m.account.accessToken;
    return m;
  }

  get username(): string | undefined {
    return this.account?.username;
  }

  get isLoggedIn(): boolean {
    return this.api.token !== undefined;
  }

  /** RF01: create the account, then log in on this device. */
  async register(username: string, password: string): Promise<void> {
    await this.api.register(username, password);
    await this.login(username, password);
  }

  /** RF02: log in; on first start generate and publish our keys (RF05, RF06). */
  async login(username: string, password: string): Promise<void> {
    const store = this.options.store;
    const previous = await store.getAccount();
    const normalized = username.trim().toLowerCase();
    if (previous && previous.username !== normalized) {
      throw new ClientError(
        'ALREADY_REGISTERED',
        `this device belongs to ${previous.username}; use another config directory`,
      );
    }
    const sameServer = previous?.serverUrl === this.options.serverUrl;
    const result = await this.api.login(
      username,
      password,
      sameServer ? previous?.deviceId : undefined,
    );
    this.account = {
      serverUrl: this.options.serverUrl,
      username: result.username,
      deviceId: result.deviceId,
      accessToken: result.token,
      tokenExpiresAt: result.expiresAt,
    };
    await store.commit(new Batch().put(records.account, this.account));
    this.api.token = result.token;
    await this.prekeys.publish();
  }

  async logout(): Promise<void> {
    this.disconnect();
    if (this.api.token) await this.api.logout().catch(() => undefined);
    this.api.token = undefined;
    if (this.account) {
      const { accessToken: _t, tokenExpiresAt: _e, ...rest } = this.account;
      this.account = rest;
      await this.options.store.commit(new Batch().put(records.account, rest));
    }
  }

  /** Real-time delivery (RF04): connects, drains the backlog, then receives as messages arrive. */
  connect(): void {
    if (!this.options.WebSocket)
      throw new ClientError('INVALID_ARGUMENT', 'no WebSocket implementation given');
    this.requireLogin();
    this.connection ??= new RealtimeConnection({
      api: this.api,
      WebSocket: this.options.WebSocket,
      onFrame: (frame) => void this.onFrame(frame),
      onState: (state, detail) => this.emit('connection-state', state, detail),
    });
    this.connection.start();
  }

  disconnect(): void {
    this.connection?.stop();
  }

  get connectionState(): ConnectionState {
    return this.connection?.connectionState ?? 'offline';
  }

  /**
   * RF03: encrypt for every device of `peer` and hand the envelopes to the server. `id` (from
   * `newMessageId`) makes retries idempotent: sent again with the same id, a message whose post
   * did not complete is encrypted and posted again under that id (the server acks envelopes it
   * already stored without storing them twice; the recipient drops a second copy by id), and
   * one whose post did complete is returned as it is, without posting. `sentAt` dates it
   * (the outbox passes when the user wrote it).
   */
  send(peer: string, body: string, options: SendOptions = {}): Promise<MessageRecord> {
    return this.serialised(async () => {
      const identity = await this.requireIdentity();
      if (new TextEncoder().encode(body).length > MAX_TEXT_BYTES) {
        throw new ClientError(
          'INVALID_ARGUMENT',
          `messages are limited to ${MAX_TEXT_BYTES} bytes`,
        );
      }
      const { sentAt = this.now() } = options;
      if (!Number.isSafeInteger(sentAt) || sentAt < 0) {
        throw new ClientError('INVALID_ARGUMENT', 'sentAt is a time in ms since the epoch');
      }
      const to = peer.trim().toLowerCase();
      const earlier = await this.earlierAttempt(to, body, options.id);
      if (earlier && earlier.status !== 'sending') return earlier;
      const record: MessageRecord = earlier ?? {
        id: options.id ?? newMessageId(this.options.env.random, this.now()),
        peer: to,
        direction: 'out',
        body,
        sentAt,
        status: 'sending',
      };
      await this.deliver(
        identity,
        to,
        { v: 1, t: 'text', id: record.id, body, sentAt: record.sentAt },
        record,
      );
      record.status = 'sent';
      await this.options.store.commit(new Batch().put(records.message(to, record.id), record));
      return record;
    });
  }

  /**
   * Forgets a message whose `send` never completed (its record still in status `sending`),
   * e.g. one the user discarded from the outbox. Returns whether there was one; a message
   * that did go out is kept.
   */
  abandon(peer: string, id: string): Promise<boolean> {
    return this.serialised(async () => {
      const to = peer.trim().toLowerCase();
      const record = await this.options.store.getMessage(to, id);
      if (record?.direction !== 'out' || record.status !== 'sending') return false;
      await this.options.store.commit(new Batch().delete(records.message(to, id)));
      return true;
    });
  }

  /** The record of an earlier `send` with this id, if any; an id taken otherwise is refused. */
  private async earlierAttempt(
    to: string,
    body: string,
    id: string | undefined,
  ): Promise<MessageRecord | undefined> {
    if (id === undefined) return undefined;
    if (!MESSAGE_ID.test(id)) {
      throw new ClientError('INVALID_ARGUMENT', 'a message id is 32 hex digits (newMessageId)');
    }
    const earlier = await this.options.store.getMessage(to, id);
    if (earlier && (earlier.direction !== 'out' || earlier.body !== body)) {
      throw new ClientError('INVALID_ARGUMENT', `message id ${id} is taken by another message`);
    }
    return earlier;
  }

  /**
   * An outbox over this device's encrypted store (see outbox.ts): what the user writes while
   * the server cannot take it is kept, encrypted, and goes out through `send` later. `send`
   * may be wrapped (e.g. to see each attempt's error); it defaults to this messenger's.
   */
  outbox(
    options: Omit<OutboxOptions, 'store' | 'send'> & { send?: OutboxOptions['send'] },
  ): Outbox {
    return new Outbox({
      send: (peer, body, sendOptions) => this.send(peer, body, sendOptions),
      newMessageId: () => newMessageId(this.options.env.random, this.now()),
      forget: async (entry) => {
        if (entry.messageId !== undefined) await this.abandon(entry.peer, entry.messageId);
      },
      ...options,
      store: this.options.store.vault,
    });
  }

  /** Pull and process the queue over HTTP (for scripts; the WebSocket does this live). */
  receivePending(): Promise<MessageRecord[]> {
    return this.serialised(async () => {
      const out: MessageRecord[] = [];
      for (const m of await this.api.pending()) {
        const record = await this.processIncoming(m);
        await this.api.ack(m.serverId);
        if (record) out.push(record);
      }
      return out;
    }).then(async (received) => {
      await this.prekeys.maintain().catch((e: unknown) => this.emit('error', e));
      return received;
    });
  }

  history(peer?: string): Promise<MessageRecord[]> {
    return this.options.store.getMessages(peer?.trim().toLowerCase());
  }

  contacts(): Promise<ContactRecord[]> {
    return this.options.store.getContacts();
  }

  contact(peer: string): Promise<ContactRecord | undefined> {
    return this.options.store.getContact(peer.trim().toLowerCase());
  }

  acceptIdentity(peer: string): Promise<ContactRecord | undefined> {
    return this.serialised(() => this.sessions.acceptIdentity(peer.trim().toLowerCase()));
  }

  async markVerified(peer: string, verified = true): Promise<ContactRecord> {
    const contact = await this.contact(peer);
    if (!contact) throw new ClientError('INVALID_ARGUMENT', `no contact named ${peer}`);
    if (verified && contact.pendingKey)
      throw new ClientError('UNTRUSTED_IDENTITY', 'accept the new key before verifying it');
    const updated = { ...contact, verified };
    await this.options.store.commit(new Batch().put(records.contact(contact.username), updated));
    return updated;
  }

  /** Our identity key, base64 of the raw 32 bytes (RF06: what peers see and verify). */
  async identityKey(): Promise<string> {
    return toBase64((await this.requireIdentity()).publicKey);
  }

  /** The 60-digit safety number with `peer`, over their most recently trusted key. */
  async safetyNumber(peer: string): Promise<SafetyNumber & { peer: string; verified: boolean }> {
    const identity = await this.requireIdentity();
    const contact = await this.contact(peer);
    const key = contact?.pendingKey ?? contact?.trustedKeys.at(-1);
    if (!contact || !key)
      throw new ClientError(
        'INVALID_ARGUMENT',
        `no key known for ${peer}; exchange a message first`,
      );
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const number = computeSafetyNumber({
      localStableId: utf8(this.account!.username),
      localIdentityKey: identity.publicKey,
      remoteStableId: utf8(contact.username),
      remoteIdentityKey: fromBase64(key),
    });
    return { ...number, peer: contact.username, verified: contact.verified };
  }

  async close(): Promise<void> {
    this.disconnect();
    await this.queue.catch(() => undefined);
    await this.options.store.vault.close();
  }

  // --- internals -------------------------------------------------------------------------

  private async deliver(
    identity: IdentityKeyPair,
    to: string,
    content: Content,
    record?: MessageRecord,
  ): Promise<void> {
    const batch = new Batch();
    const targets = await this.sessions.forSending(identity, to, batch);
    const bytes = encodeContent(content);
    const envelopes = [];
    for (const { deviceId, session } of targets) {
      const wire = await session.encrypt(bytes);
      this.sessions.stage(batch, to, deviceId, session);
      const id =
        content.t === 'text'
          ? `${content.id}.${deviceId}`
          : `${newMessageId(this.options.env.random, this.now())}.${deviceId}`;
      envelopes.push({ id, to, deviceId, body: toBase64(wire) });
    }
    if (record) batch.put(records.message(to, record.id), record);
    // The ratchet state is durable before any ciphertext leaves: a crash can never make us
    // encrypt two messages under the same message key.
    try {
      await this.options.store.commit(batch);
    } catch (e) {
      this.sessions.forget(to);
      throw e;
    }
    for (const envelope of envelopes) await this.api.send(envelope);
  }

  private onFrame(frame: ServerFrame): Promise<void> {
    if (frame.type === 'message') {
      return this.serialised(async () => {
        const { type: _t, v: _v, ...message } = frame;
        await this.processIncoming(message);
        this.connection?.send({ v: 1, type: 'ack', serverId: frame.serverId });
      }).catch((e: unknown) => this.emit('error', e));
    }
    if (frame.type === 'queue-empty') {
      this.emit('queue-empty');
      return this.prekeys.maintain().then(
        () => undefined,
        (e: unknown) => this.emit('error', e),
      );
    }
    if (frame.type === 'error')
      this.emit('error', new ClientError(frame.code, frame.message, { source: 'server' }));
    return Promise.resolve();
  }

  /**
   * Decrypt, persist, and only then return (the caller acks). A duplicate or undecryptable
   * envelope is reported and returns undefined so it is acked and not redelivered forever.
   */
  private async processIncoming(m: QueuedMessage): Promise<MessageRecord | undefined> {
    const identity = await this.requireIdentity();
    const batch = new Batch();
    let plaintext: Uint8Array;
    let changed: ContactRecord | undefined;
    try {
      const result = await this.sessions.decrypt(
        identity,
        m.from,
        m.fromDevice,
        fromBase64(m.body, 'message body'),
        batch,
      );
      plaintext = result.plaintext;
      if (result.trust.changed) changed = result.trust.contact;
    } catch (e) {
      this.sessions.forget(m.from, m.fromDevice);
      if (!isProtocolError(e, 'DUPLICATE_MESSAGE')) this.emit('error', e);
      return undefined;
    }
    let content: Content;
    try {
      content = decodeContent(plaintext);
    } catch (e) {
      await this.options.store.commit(batch); // the ratchet advanced; keep it in step
      this.emit('error', e);
      return undefined;
    }
    let record: MessageRecord | undefined;
    const deliveredIds: string[] = [];
    if (content.t === 'text') {
      if (!(await this.options.store.getMessage(m.from, content.id))) {
        record = {
          id: content.id,
          peer: m.from,
          direction: 'in',
          body: content.body,
          sentAt: content.sentAt,
          receivedAt: this.now(),
          status: 'received',
        };
        batch.put(records.message(m.from, content.id), record);
      }
    } else {
      for (const id of content.ids) {
        const out = await this.options.store.getMessage(m.from, id);
        if (out?.direction === 'out' && out.status !== 'delivered') {
          batch.put(records.message(m.from, id), { ...out, status: 'delivered' });
          deliveredIds.push(id);
        }
      }
    }
    try {
      await this.options.store.commit(batch);
    } catch (e) {
      this.sessions.forget(m.from, m.fromDevice);
      throw e;
    }
    if (changed) this.emit('identity-changed', changed);
    if (record) {
      this.emit('message', record);
      // Tell the sender it arrived (end-to-end encrypted like everything else).
      // Skipped while the sender's key awaits the user's acceptance.
      await this.deliver(identity, m.from, { v: 1, t: 'receipt', ids: [record.id] }).catch(
        (e: unknown) => {
          if (!isClientError(e, 'UNTRUSTED_IDENTITY')) this.emit('error', e);
        },
      );
    }
    if (deliveredIds.length) this.emit('delivered', m.from, deliveredIds);
    return record;
  }

  private requireLogin(): void {
    if (!this.api.token) throw new ClientError('NOT_LOGGED_IN', 'log in first');
  }

  private async requireIdentity(): Promise<IdentityKeyPair> {
    this.requireLogin();
    const identity = await this.options.store.getIdentity();
    if (!identity) throw new ClientError('NOT_REGISTERED', 'no identity key yet; log in first');
    return identity;
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
