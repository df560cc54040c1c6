/**
 * Getting the user's attention when a message arrives (RF04): the document title carries the
 * unread count, and a system notification appears when the tab is hidden and the user has
 * allowed notifications. (The in-app toast and the unread badges are React state.)
 */
import { PREVIEW_CHARS } from '../limits.ts';

const APP_NAME = 'Susurro';

export function titleFor(unread: number): string {
  return unread > 0 ? `(${unread}) ${APP_NAME}` : APP_NAME;
}

export function preview(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}

export type NotificationAccess = NotificationPermission | 'unsupported';

export function notificationAccess(): NotificationAccess {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Must run from a user gesture (browsers ignore or penalise unprompted requests). */
export async function requestNotificationAccess(): Promise<NotificationAccess> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

/** Shows a system notification only when nobody is looking at the tab. */
export function notifyIfHidden(peer: string, body: string, onOpen: () => void): void {
  if (document.visibilityState !== 'hidden' || notificationAccess() !== 'granted') return;
  const n = new Notification(`Message from ${peer}`, {
    body: preview(body),
    // One notification per conversation: a burst replaces rather than stacks.
    tag: `susurro:${peer}`,
  });
  n.onclick = () => {
    window.focus();
    onOpen();
    n.close();
  };
}
