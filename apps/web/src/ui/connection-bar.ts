/** Connection status (connected / reconnecting / offline), with a way to retry at once. */
import type { AppModel, LinkState, Snapshot } from '../app/app-model.ts';
import { h } from './h.ts';

const LABEL: Record<LinkState, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const DETAIL: Partial<Record<LinkState, string>> = {
  reconnecting: 'Messages you write now are queued and sent when the connection is back.',
  offline: 'Messages you write now are queued and sent when you are back online.',
};

export function ConnectionBar({ model, snap }: { model: AppModel; snap: Snapshot }) {
  const down = snap.link === 'reconnecting' || snap.link === 'offline';
  return h(
    'div',
    { className: `link link--${snap.link}`, role: 'status', 'data-link': snap.link },
    h('span', { className: 'link__dot', 'aria-hidden': true }),
    h('span', { className: 'link__label' }, LABEL[snap.link]),
    snap.linkNote || DETAIL[snap.link]
      ? h('span', { className: 'link__detail' }, snap.linkNote ?? DETAIL[snap.link])
      : null,
    down
      ? h(
          'button',
          {
            type: 'button',
            className: 'button button--small',
            onClick: () => model.reconnectNow(),
          },
          'Retry now',
        )
      : null,
  );
}
