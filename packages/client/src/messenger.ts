/**
 * The SDK's public face: account, keys, sending and receiving, trust. One instance per
 * device install. Every operation that touches sessions runs through one queue, and every
 * received message is persisted (session state, history, prekey deletion, in one atomic
 * write) *before* it is acked to the server — so a crash can lose neither a message nor a
 * ratchet step. The message path itself (encrypt and post, decrypt and persist, receipts) is
 * in messages/message-path.ts; this class holds the account, the connection and the queue.
 */
import {
  computeSafetyNumber,
  type IdentityKeyPair,
  type ProtocolEnv,
  type SafetyNumber,
} from '@susurro/protocol';
import { HttpApi, type FetchLike } from './api/http-api.ts';
import type { ServerFrame } from './api/types.ts';
import { fromBase64, toBase64 } from './base64.ts';
import { newMessageId } from './content.ts';
import { ClientError } from './errors.ts';
import { Emitter } from './events.ts';
import { PreKeyManager } from './keys/prekeys.ts';
import { MessagePath, type SendOptions } from './messages/message-path.ts';
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

export type { SendOptions } from './messages/message-path.ts';

export interface MessengerOptions {
  store: ClientStore;
  env: ProtocolEnv;
  serverUrl: string;
  WebSocket?: WebSocketConstructor;
  fetch?: FetchLike;
  now?: () => number;
}

export class Messenger extends Emitter<MessengerEvents> {
  readonly api: HttpApi;
  private readonly sessions: PeerSessions;
  private readonly prekeys: PreKeyManager;
  private readonly messages: MessagePath;
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
    this.messages = new MessagePath({
      store: options.store,
      sessions: this.sessions,
      api: this.api,
      random: options.env.random,
      now: this.now,
      emit: (event, ...args) => this.emit(event, ...args),
    });
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
    return this.serialised(async () =>
      this.messages.send(await this.requireIdentity(), peer, body, options),
    );
  }

  /**
   * Forgets a message whose `send` never completed (its record still in status `sending`),
   * e.g. one the user discarded from the outbox. Returns whether there was one; a message
   * that did go out is kept.
   */
  abandon(peer: string, id: string): Promise<boolean> {
    return this.serialised(() => this.messages.abandon(peer, id));
  }

  /**
   * An outbox over this device's encrypted store (see outbox.ts): what the user writes while
   * the server cannot take it is kept, encrypted, and goes out through `send` later, each
   * entry under its own message id; a discarded or dropped entry's unfinished record is
   * abandoned.
   */
  outbox(options: Omit<OutboxOptions, 'store' | 'send' | 'newMessageId' | 'forget'>): Outbox {
    return new Outbox({
      ...options,
      send: (peer, body, sendOptions) => this.send(peer, body, sendOptions),
      newMessageId: () => newMessageId(this.options.env.random, this.now()),
      forget: async (entry) => {
        if (entry.messageId !== undefined) await this.abandon(entry.peer, entry.messageId);
      },
      store: this.options.store.vault,
    });
  }

  /** Pull and process the queue over HTTP (for scripts; the WebSocket does this live). */
  receivePending(): Promise<MessageRecord[]> {
    return this.serialised(async () => {
      const identity = await this.requireIdentity();
      const out: MessageRecord[] = [];
      for (const m of await this.api.pending()) {
        const record = await this.messages.incoming(identity, m);
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

  private onFrame(frame: ServerFrame): Promise<void> {
    if (frame.type === 'message') {
      return this.serialised(async () => {
        const { type: _t, v: _v, ...message } = frame;
        await this.messages.incoming(await this.requireIdentity(), message);
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
