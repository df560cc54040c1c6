/**
 * One signed-in account's conversations: the SDK's history and contacts, the outbox, and the
 * read marks, kept in memory and turned into the view the screens show. The app model feeds
 * it the SDK's events and calls `view()` whenever `onChange` fires.
 */
import {
  MAX_TEXT_BYTES,
  type Outbox,
  type ContactRecord,
  type MessageRecord,
  type Messenger,
  type RecordStore,
} from '@susurro/client';
import { systemRandom, toHex } from '@susurro/protocol';
import { WebClientError } from '../errors.ts';
import {
  displayMessages,
  groupByPeer,
  latestArrival,
  summarize,
  withRecord,
  type ConversationSummary,
  type DisplayMessage,
} from './chat-state.ts';
import { ReadMarks } from './read-marks.ts';
import { normalizeUsername, usernameProblem } from './usernames.ts';

export interface ConversationsView {
  readonly messages: ReadonlyMap<string, readonly DisplayMessage[]>;
  readonly conversations: readonly ConversationSummary[];
  readonly contacts: ReadonlyMap<string, ContactRecord>;
  readonly totalUnread: number;
}

export const EMPTY_VIEW: ConversationsView = {
  messages: new Map(),
  conversations: [],
  contacts: new Map(),
  totalUnread: 0,
};

export class Conversations {
  private history = new Map<string, MessageRecord[]>();
  private contacts = new Map<string, ContactRecord>();
  private readonly outbox: Outbox;
  private readonly readMarks: ReadMarks;

  constructor(
    private readonly m: Messenger,
    records: RecordStore,
    private readonly o: { onChange: () => void; onError: (e: unknown) => void },
  ) {
    this.readMarks = new ReadMarks(records);
    // Sends through `m.send` under each entry's message id; discarding an entry drops the
    // record its failed attempt left (hidden by the view meanwhile).
    this.outbox = m.outbox({
      canSend: () => m.connectionState === 'connected',
      now: () => Date.now(),
      newId: () => toHex(systemRandom(16)),
      onChange: o.onChange,
      onSent: (_entry, record) => {
        this.add(record);
        void this.refreshContact(record.peer);
      },
      onBlocked: (peer) => void this.refreshContact(peer),
      onError: o.onError,
      // Where the web client has always kept its entries (a reload finds them there).
      prefix: 'web:outbox:',
    });
  }

  async load(): Promise<void> {
    const [contacts, history] = await Promise.all([this.m.contacts(), this.m.history()]);
    await Promise.all([this.outbox.load(), this.readMarks.load()]);
    this.contacts = new Map(contacts.map((c) => [c.username, c]));
    this.history = groupByPeer(history);
  }

  view(): ConversationsView {
    const outbox = groupByPeer(this.outbox.entries);
    const messages = new Map<string, DisplayMessage[]>();
    for (const peer of new Set([...this.history.keys(), ...outbox.keys()]))
      messages.set(peer, displayMessages(this.history.get(peer) ?? [], outbox.get(peer) ?? []));
    const conversations = summarize({
      messages,
      history: this.history,
      contacts: this.contacts,
      readUpTo: this.readMarks.all,
    });
    const totalUnread = conversations.reduce((n, c) => n + c.unread, 0);
    return { messages, conversations, contacts: new Map(this.contacts), totalUnread };
  }

  // --- what the SDK tells us ---------------------------------------------------------------

  add(record: MessageRecord): void {
    const list = withRecord(this.history.get(record.peer) ?? [], record);
    if (list === undefined) return;
    this.history.set(record.peer, list);
    // A first message creates the contact inside the SDK; fetch it for the list's flags.
    if (!this.contacts.has(record.peer)) void this.refreshContact(record.peer);
    this.o.onChange();
  }

  markDelivered(peer: string, ids: readonly string[]): void {
    const list = this.history.get(peer);
    if (!list) return;
    const delivered = new Set(ids);
    this.history.set(
      peer,
      list.map((m) => (delivered.has(m.id) ? { ...m, status: 'delivered' } : m)),
    );
    this.o.onChange();
  }

  setContact(contact: ContactRecord): void {
    this.contacts.set(contact.username, contact);
    this.o.onChange();
  }

  /** The link is up: send what waited. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  // --- what the user does ------------------------------------------------------------------

  /** Checks that `raw` names someone we can write to; returns the normalised name. */
  async findUser(raw: string): Promise<string> {
    const problem = usernameProblem(raw);
    if (problem) throw new WebClientError('INVALID_USERNAME', problem);
    const name = normalizeUsername(raw);
    if (name === this.m.username) throw new WebClientError('SELF');
    if (this.history.has(name) || this.contacts.has(name)) return name;
    const devices = await this.m.api.identities(name);
    if (devices.length === 0) throw new WebClientError('NO_DEVICES');
    return name;
  }

  /** RF03: queues the message; the outbox sends it now or as soon as the server is back. */
  async send(peer: string, body: string): Promise<void> {
    if (body.trim() === '') return;
    if (new TextEncoder().encode(body).length > MAX_TEXT_BYTES)
      throw new WebClientError('MESSAGE_TOO_LONG');
    await this.outbox.enqueue(peer, body);
  }

  retry(localId: string): Promise<void> {
    return this.outbox.retry(localId);
  }

  discard(localId: string): Promise<void> {
    return this.outbox.discard(localId);
  }

  /** The user reviewed the new safety number and trusts the new key. */
  async acceptIdentity(peer: string): Promise<void> {
    const contact = await this.m.acceptIdentity(peer);
    if (contact) this.setContact(contact);
    await this.outbox.unblock(peer);
  }

  async setVerified(peer: string, verified: boolean): Promise<void> {
    this.setContact(await this.m.markVerified(peer, verified));
  }

  /** Everything in `peer`'s conversation so far has been seen. */
  async markRead(peer: string): Promise<void> {
    const upTo = latestArrival(this.history.get(peer) ?? []);
    if (await this.readMarks.mark(peer, upTo)) this.o.onChange();
  }

  private async refreshContact(peer: string): Promise<void> {
    const contact = await this.m.contact(peer);
    if (contact) this.setContact(contact);
  }
}
