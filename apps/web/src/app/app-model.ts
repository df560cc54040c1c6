/**
 * The web client's state and actions, outside React: it opens the SDK, follows the account
 * and the connection, feeds the SDK's events to the conversations, and publishes immutable
 * snapshots for `useSyncExternalStore`. Screens read the snapshot and call the actions; every
 * error reaches them as a code that error-words.ts turns into a sentence.
 */
import type { ConnectionState, ContactRecord, MessageRecord, Messenger } from '@susurro/client';
import { formatSafetyNumber, isProtocolError } from '@susurro/protocol';
import { WebClientError } from '../errors.ts';
import { TAB_LOCK_GRACE_MS, TAB_LOCK_RETRY_MS } from '../limits.ts';
import { deleteDatabase } from '../storage/idb.ts';
import {
  notificationAccess,
  notifyIfHidden,
  preview,
  requestNotificationAccess,
  titleFor,
  type NotificationAccess,
} from './attention.ts';
import { openBrowserMessenger, type BrowserMessenger } from './browser-messenger.ts';
import { Conversations, EMPTY_VIEW, type ConversationsView } from './conversations.ts';
import { describeError, errorCode, wordsForCode } from './error-words.ts';
import { chatPath, navigate } from './router.ts';
import { tryTabLock } from './tab-lock.ts';
import { ToastQueue, type Toast } from './toast-queue.ts';
import { normalizeUsername } from './usernames.ts';

export type Phase = 'starting' | 'other-tab' | 'signed-out' | 'ready' | 'failed';
export type LinkState = 'connected' | 'connecting' | 'reconnecting' | 'offline';

export interface Snapshot extends ConversationsView {
  readonly phase: Phase;
  /** Why the app cannot start (phase `failed`), in words. */
  readonly failure?: string;
  /** The signed-in user (phase `ready`). */
  readonly username?: string;
  /** The account this browser's data belongs to, when signed out. */
  readonly deviceUsername?: string;
  /** Why the user was signed out, if it was not their choice. */
  readonly signedOutReason?: string;
  readonly link: LinkState;
  /** Why the link is down for good (e.g. replaced by another window), if it is. */
  readonly linkNote?: string;
  readonly toasts: readonly Toast[];
  readonly notifications: NotificationAccess;
  /** The user said "not now" to notifications during this visit. */
  readonly notificationOfferDismissed: boolean;
}

export interface SafetyNumberView {
  /** "12345 67890 …": 12 groups of 5 digits. */
  readonly digits: string;
  /** The QR payload (Signal's CombinedFingerprints protobuf). */
  readonly scannable: Uint8Array;
  readonly verified: boolean;
}

/** Server close code: this device connected again elsewhere (packages/server CLOSE_CODES). */
const CLOSE_REPLACED = 4001;

const INITIAL: Snapshot = {
  ...EMPTY_VIEW,
  phase: 'starting',
  link: 'offline',
  toasts: [],
  notifications: 'unsupported',
  notificationOfferDismissed: false,
};

export class AppModel {
  private snapshot: Snapshot = INITIAL;
  private readonly listeners = new Set<() => void>();
  private opened: BrowserMessenger | undefined;
  private chat: Conversations | undefined;
  private readonly toasts = new ToastQueue(() => this.patch({ toasts: this.toasts.current }));
  private activePeer: string | undefined;
  private detach: Array<() => void> = [];
  private opening = false;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): Snapshot => this.snapshot;

  // --- lifecycle ---------------------------------------------------------------------------

  async start(): Promise<void> {
    this.patch({ notifications: notificationAccess() });
    window.addEventListener('online', () => this.reconnectNow());
    window.addEventListener('offline', () => this.patch({ link: 'offline' }));
    document.addEventListener('visibilitychange', () => this.onVisible());
    // A reloading tab lets go of the lock a moment after its new page asks: retry briefly.
    const deadline = Date.now() + TAB_LOCK_GRACE_MS;
    let held = await tryTabLock(() => void this.lostTab());
    while (!held && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, TAB_LOCK_RETRY_MS));
      held = await tryTabLock(() => void this.lostTab());
    }
    if (!held) {
      this.patch({ phase: 'other-tab' });
      return;
    }
    await this.open();
  }

  /** Another tab holds Susurro: take it over (that tab steps back). */
  async useHere(): Promise<void> {
    await tryTabLock(() => void this.lostTab(), true);
    await this.open();
  }

  private async open(): Promise<void> {
    if (this.opening || this.opened) return;
    this.opening = true;
    this.patch({ phase: 'starting' });
    try {
      this.opened = await openBrowserMessenger();
      this.attach(this.opened);
      const account = await this.opened.store.getAccount();
      const expired = (account?.tokenExpiresAt ?? Infinity) <= Date.now();
      if (this.opened.messenger.isLoggedIn && !expired) await this.enterReady();
      else this.signedOut(account?.username, expired ? 'UNAUTHORIZED' : undefined);
    } catch (e) {
      this.patch({ phase: 'failed', failure: describeError(e) });
    } finally {
      this.opening = false;
    }
  }

  private async lostTab(): Promise<void> {
    await this.closeMessenger();
    this.patch({ phase: 'other-tab' });
  }

  private async closeMessenger(): Promise<void> {
    for (const off of this.detach) off();
    this.detach = [];
    const opened = this.opened;
    this.opened = undefined;
    this.chat = undefined;
    await opened?.messenger.close().catch(() => undefined);
  }

  private attach({ messenger: m, store }: BrowserMessenger): void {
    this.chat = new Conversations(m, store.vault, {
      onChange: () => this.publishChat(),
      onError: (e) => this.toasts.show({ text: describeError(e), tone: 'warning' }),
    });
    this.detach = [
      m.on('message', (r) => this.onMessage(r)),
      m.on('delivered', (peer, ids) => this.chat?.markDelivered(peer, ids)),
      m.on('identity-changed', (c) => this.onIdentityChanged(c)),
      m.on('connection-state', (state, detail) => this.onConnectionState(state, detail)),
      m.on('error', (e) => this.onSdkError(e)),
    ];
  }

  private async enterReady(): Promise<void> {
    const m = this.messenger();
    await this.chat!.load();
    this.patch({
      phase: 'ready',
      username: m.username,
      signedOutReason: undefined,
      linkNote: undefined,
    });
    this.publishChat();
    m.connect();
  }

  private signedOut(deviceUsername: string | undefined, reasonCode?: string): void {
    this.toasts.clear();
    document.title = titleFor(0);
    this.patch({
      ...EMPTY_VIEW,
      phase: 'signed-out',
      username: undefined,
      deviceUsername,
      signedOutReason: reasonCode === undefined ? undefined : wordsForCode(reasonCode),
      link: 'offline',
    });
  }

  // --- account -----------------------------------------------------------------------------

  /** RF01 + RF05/RF06: creates the account; the SDK generates and publishes keys. */
  async register(username: string, password: string): Promise<void> {
    const name = normalizeUsername(username);
    // The SDK refuses a second account per store only after the server created it; ask first.
    const owner = (await this.opened?.store.getAccount())?.username;
    if (owner !== undefined && owner !== name) throw new WebClientError('ALREADY_REGISTERED');
    await this.messenger().register(name, password);
    await this.enterReady();
  }

  async login(username: string, password: string): Promise<void> {
    await this.messenger().login(normalizeUsername(username), password);
    await this.enterReady();
  }

  async logout(): Promise<void> {
    const m = this.messenger();
    const username = m.username;
    await m.logout();
    this.signedOut(username);
  }

  /** Deletes every key and message this browser holds, then starts over empty. */
  async eraseBrowserData(): Promise<void> {
    const m = this.opened?.messenger;
    if (m?.isLoggedIn) await m.logout().catch(() => undefined);
    await this.closeMessenger();
    await deleteDatabase();
    await this.open();
  }

  // --- chatting (delegated to the signed-in account's conversations) -----------------------

  findUser(raw: string): Promise<string> {
    return this.conversations().findUser(raw);
  }

  send(peer: string, body: string): Promise<void> {
    return this.conversations().send(peer, body);
  }

  retryMessage(localId: string): Promise<void> {
    return this.conversations().retry(localId);
  }

  discardMessage(localId: string): Promise<void> {
    return this.conversations().discard(localId);
  }

  acceptIdentity(peer: string): Promise<void> {
    return this.conversations().acceptIdentity(peer);
  }

  setVerified(peer: string, verified: boolean): Promise<void> {
    return this.conversations().setVerified(peer, verified);
  }

  async safetyNumber(peer: string): Promise<SafetyNumberView> {
    const n = await this.messenger().safetyNumber(peer);
    return {
      digits: formatSafetyNumber(n.displayable),
      scannable: n.scannable,
      verified: n.verified,
    };
  }

  /** The conversation on screen (undefined: none); it is marked read while visible. */
  setActivePeer(peer: string | undefined): void {
    this.activePeer = peer;
    if (peer !== undefined) this.toasts.dismissAbout(peer); // old news once it is on screen
    if (peer !== undefined && document.visibilityState === 'visible')
      void this.chat?.markRead(peer);
  }

  reconnectNow(): void {
    const m = this.opened?.messenger;
    if (!m?.isLoggedIn || this.snapshot.phase !== 'ready' || m.connectionState === 'connected')
      return;
    this.patch({ linkNote: undefined });
    m.disconnect();
    m.connect();
  }

  async enableNotifications(): Promise<void> {
    this.patch({ notifications: await requestNotificationAccess() });
  }

  dismissNotificationOffer(): void {
    this.patch({ notificationOfferDismissed: true });
  }

  dismissToast(id: number): void {
    this.toasts.dismiss(id);
  }

  // --- SDK and browser events --------------------------------------------------------------

  /** RF04: the message is on screen at once; elsewhere a toast, a badge, maybe a notification. */
  private onMessage(record: MessageRecord): void {
    this.chat?.add(record);
    const peer = record.peer;
    if (peer === this.activePeer && document.visibilityState === 'visible') {
      void this.chat?.markRead(peer);
      return;
    }
    this.toasts.show({ text: `${peer}: ${preview(record.body)}`, tone: 'info', peer });
    notifyIfHidden(peer, record.body, () => navigate(chatPath(peer)));
  }

  private onIdentityChanged(contact: ContactRecord): void {
    this.chat?.setContact(contact);
    this.toasts.show({
      text: `${contact.username}'s safety number has changed. Review it before you reply.`,
      tone: 'warning',
      peer: contact.username,
    });
  }

  private onConnectionState(
    state: ConnectionState,
    detail?: { code?: string | number; reason?: string },
  ): void {
    if (state === 'offline' && detail?.code !== undefined) {
      if (detail.code === CLOSE_REPLACED) {
        this.patch({
          link: 'offline',
          linkNote: 'Susurro connected from another window with this account, so this one paused.',
        });
        return;
      }
      // 401 on the ticket or "session ended" (4003): the server no longer knows this login.
      void this.sessionEnded();
      return;
    }
    this.patch({ link: navigator.onLine ? state : 'offline' });
    if (state === 'connected') void this.chat?.flush();
  }

  private onSdkError(e: unknown): void {
    // Undecryptable or unreadable messages are reported; transport hiccups are not news.
    if (isProtocolError(e) || errorCode(e) === 'UNSUPPORTED_CONTENT')
      this.toasts.show({ text: 'A message arrived that could not be read.', tone: 'warning' });
  }

  private async sessionEnded(): Promise<void> {
    const m = this.opened?.messenger;
    if (!m) return;
    const username = m.username;
    await m.logout().catch(() => undefined);
    this.signedOut(username, 'UNAUTHORIZED');
  }

  private onVisible(): void {
    if (document.visibilityState !== 'visible') return;
    if (this.activePeer !== undefined) void this.chat?.markRead(this.activePeer);
    this.reconnectNow();
  }

  // --- snapshot ----------------------------------------------------------------------------

  private publishChat(): void {
    if (this.snapshot.phase !== 'ready' || !this.chat) return;
    const view = this.chat.view();
    document.title = titleFor(view.totalUnread);
    this.patch(view);
  }

  private patch(change: Partial<Snapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }

  private messenger(): Messenger {
    if (!this.opened) throw new WebClientError('STORE_LOCKED');
    return this.opened.messenger;
  }

  private conversations(): Conversations {
    if (!this.chat) throw new WebClientError('STORE_LOCKED');
    return this.chat;
  }
}
