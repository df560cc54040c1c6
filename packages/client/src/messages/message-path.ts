/**
 * The message path of a Messenger (RF03, RF04): a message out is encrypted for every device of
 * the peer, recorded and posted, and can be retried under its id without a second copy; an
 * envelope in is decrypted and persisted together with its ratchet step, then answered with
 * an end-to-end encrypted receipt. The Messenger runs every call through its one queue, so
 * nothing here runs concurrently with another call.
 */
import { isProtocolError, type IdentityKeyPair, type RandomSource } from '@susurro/protocol';
import type { HttpApi } from '../api/http-api.ts';
import type { QueuedMessage } from '../api/types.ts';
import { fromBase64, toBase64 } from '../base64.ts';
import {
  decodeContent,
  encodeContent,
  MESSAGE_ID,
  newMessageId,
  type Content,
} from '../content.ts';
import { ClientError, isClientError } from '../errors.ts';
import { MAX_TEXT_BYTES } from '../limits.ts';
import type { MessengerEvents } from '../messenger.ts';
import type { PeerSessions } from '../sessions/peer-sessions.ts';
import {
  Batch,
  records,
  type ClientStore,
  type ContactRecord,
  type MessageRecord,
} from '../store/client-store.ts';

/** How `Messenger.send` identifies and dates a message (a retry passes the same again). */
export interface SendOptions {
  /** A `newMessageId`; sending again with it never makes a second copy (see `send`). */
  readonly id?: string;
  /** When the user wrote it (ms since the epoch); default now. */
  readonly sentAt?: number;
}

/** What the message path works with, from its Messenger. */
export interface MessagePathHost {
  readonly store: ClientStore;
  readonly sessions: PeerSessions;
  readonly api: HttpApi;
  readonly random: RandomSource;
  readonly now: () => number;
  /** Raises one of the Messenger's events. */
  readonly emit: <K extends keyof MessengerEvents>(
    event: K,
    ...args: Parameters<MessengerEvents[K]>
  ) => void;
}

export class MessagePath {
  constructor(private readonly o: MessagePathHost) {}

  /** `Messenger.send`, for an identity the caller checked. */
  async send(
    identity: IdentityKeyPair,
    peer: string,
    body: string,
    options: SendOptions,
  ): Promise<MessageRecord> {
    if (new TextEncoder().encode(body).length > MAX_TEXT_BYTES) {
      throw new ClientError('INVALID_ARGUMENT', `messages are limited to ${MAX_TEXT_BYTES} bytes`);
    }
    const { sentAt = this.o.now() } = options;
    if (!Number.isSafeInteger(sentAt) || sentAt < 0) {
      throw new ClientError('INVALID_ARGUMENT', 'sentAt is a time in ms since the epoch');
    }
    const to = peer.trim().toLowerCase();
    const earlier = await this.earlierAttempt(to, body, options.id);
    if (earlier && earlier.status !== 'sending') return earlier;
    const record: MessageRecord = earlier ?? {
      id: options.id ?? newMessageId(this.o.random, this.o.now()),
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
    await this.o.store.commit(new Batch().put(records.message(to, record.id), record));
    return record;
  }

  /** `Messenger.abandon`: drops a record that an unfinished `send` left in `sending`. */
  async abandon(peer: string, id: string): Promise<boolean> {
    const to = peer.trim().toLowerCase();
    const record = await this.o.store.getMessage(to, id);
    if (record?.direction !== 'out' || record.status !== 'sending') return false;
    await this.o.store.commit(new Batch().delete(records.message(to, id)));
    return true;
  }

  /**
   * Decrypt, persist, and only then return (the caller acks). A duplicate or undecryptable
   * envelope is reported and returns undefined so it is acked and not redelivered forever.
   */
  async incoming(identity: IdentityKeyPair, m: QueuedMessage): Promise<MessageRecord | undefined> {
    const { store, sessions } = this.o;
    const batch = new Batch();
    let plaintext: Uint8Array;
    let changed: ContactRecord | undefined;
    try {
      const result = await sessions.decrypt(
        identity,
        m.from,
        m.fromDevice,
        fromBase64(m.body, 'message body'),
        batch,
      );
      plaintext = result.plaintext;
      if (result.trust.changed) changed = result.trust.contact;
    } catch (e) {
      sessions.forget(m.from, m.fromDevice);
      if (!isProtocolError(e, 'DUPLICATE_MESSAGE')) this.o.emit('error', e);
      return undefined;
    }
    let content: Content;
    try {
      content = decodeContent(plaintext);
    } catch (e) {
      await store.commit(batch); // the ratchet advanced; keep it in step
      this.o.emit('error', e);
      return undefined;
    }
    let record: MessageRecord | undefined;
    const deliveredIds: string[] = [];
    if (content.t === 'text') {
      if (!(await store.getMessage(m.from, content.id))) {
        record = {
          id: content.id,
          peer: m.from,
          direction: 'in',
          body: content.body,
          sentAt: content.sentAt,
          receivedAt: this.o.now(),
          status: 'received',
        };
        batch.put(records.message(m.from, content.id), record);
      }
    } else {
      for (const id of content.ids) {
        const out = await store.getMessage(m.from, id);
        if (out?.direction === 'out' && out.status !== 'delivered') {
          batch.put(records.message(m.from, id), { ...out, status: 'delivered' });
          deliveredIds.push(id);
        }
      }
    }
    try {
      await store.commit(batch);
    } catch (e) {
      sessions.forget(m.from, m.fromDevice);
      throw e;
    }
    if (changed) this.o.emit('identity-changed', changed);
    if (record) {
      this.o.emit('message', record);
      // Tell the sender it arrived (end-to-end encrypted like everything else).
      // Skipped while the sender's key awaits the user's acceptance.
      await this.deliver(identity, m.from, { v: 1, t: 'receipt', ids: [record.id] }).catch(
        (e: unknown) => {
          if (!isClientError(e, 'UNTRUSTED_IDENTITY')) this.o.emit('error', e);
        },
      );
    }
    if (deliveredIds.length) this.o.emit('delivered', m.from, deliveredIds);
    return record;
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
    const earlier = await this.o.store.getMessage(to, id);
    if (earlier && (earlier.direction !== 'out' || earlier.body !== body)) {
      throw new ClientError('INVALID_ARGUMENT', `message id ${id} is taken by another message`);
    }
    return earlier;
  }

  /** Encrypts `content` for every device of `to`, stores the ratchet steps, then posts. */
  private async deliver(
    identity: IdentityKeyPair,
    to: string,
    content: Content,
    record?: MessageRecord,
  ): Promise<void> {
    const { store, sessions } = this.o;
    const batch = new Batch();
    const targets = await sessions.forSending(identity, to, batch);
    const bytes = encodeContent(content);
    const envelopes = [];
    for (const { deviceId, session } of targets) {
      const wire = await session.encrypt(bytes);
      sessions.stage(batch, to, deviceId, session);
      const id =
        content.t === 'text'
          ? `${content.id}.${deviceId}`
          : `${newMessageId(this.o.random, this.o.now())}.${deviceId}`;
      envelopes.push({ id, to, deviceId, body: toBase64(wire) });
    }
    if (record) batch.put(records.message(to, record.id), record);
    // The ratchet state is durable before any ciphertext leaves: a crash can never make us
    // encrypt two messages under the same message key.
    try {
      await store.commit(batch);
    } catch (e) {
      sessions.forget(to);
      throw e;
    }
    for (const envelope of envelopes) await this.o.api.send(envelope);
  }
}
