/**
 * The signed-in layout: header, connection status, the conversation list and the current
 * screen. On a phone one pane shows at a time (CSS keys off data-view); wider, both do.
 */
import type { AppModel, Snapshot } from '../app/app-model.ts';
import type { Route } from '../app/router.ts';
import { ConnectionBar } from './connection-bar.ts';
import { ConversationList } from './conversation-list.ts';
import { ConversationView } from './conversation-view.ts';
import { h } from './h.ts';
import { SafetyScreen } from './safety-screen.ts';
import { Toasts } from './toasts.ts';

function Header({ model, snap }: { model: AppModel; snap: Snapshot }) {
  return h(
    'header',
    { className: 'topbar' },
    h(
      'p',
      { className: 'brand' },
      'Susurro',
      snap.totalUnread > 0
        ? h(
            'span',
            { className: 'badge' },
            String(snap.totalUnread),
            h('span', { className: 'sr-only' }, ' unread'),
          )
        : null,
    ),
    h(
      'p',
      { className: 'topbar__user' },
      h('span', { className: 'sr-only' }, 'Signed in as '),
      snap.username,
    ),
    h(
      'button',
      {
        type: 'button',
        className: 'button button--small button--quiet',
        onClick: () => void model.logout(),
      },
      'Log out',
    ),
  );
}

export function Shell({ model, snap, route }: { model: AppModel; snap: Snapshot; route: Route }) {
  const peer = route.name === 'home' ? undefined : route.peer;
  return h(
    'div',
    { className: 'shell', 'data-view': route.name },
    h(Header, { model, snap }),
    h(ConnectionBar, { model, snap }),
    h(
      'div',
      { className: 'shell__body' },
      h(ConversationList, { model, snap, activePeer: peer }),
      h(
        'main',
        { className: 'pane pane--main' },
        route.name === 'chat'
          ? h(ConversationView, { key: route.peer, model, snap, peer: route.peer })
          : route.name === 'safety'
            ? h(SafetyScreen, { key: route.peer, model, snap, peer: route.peer })
            : h(
                'p',
                { className: 'empty empty--center' },
                'Pick a conversation, or start a new one.',
              ),
      ),
    ),
    h(Toasts, { model, snap }),
  );
}
