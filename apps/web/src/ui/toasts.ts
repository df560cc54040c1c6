/** In-app notifications (RF04): a polite live region, so screen readers announce them too. */
import type { AppModel, Snapshot } from '../app/app-model.ts';
import { chatPath, navigate } from '../app/router.ts';
import { h } from './h.ts';

export function Toasts({ model, snap }: { model: AppModel; snap: Snapshot }) {
  return h(
    'div',
    { className: 'toasts', role: 'status', 'aria-live': 'polite', 'aria-label': 'Notifications' },
    snap.toasts.map((t) =>
      h(
        'div',
        { key: t.id, className: `toast toast--${t.tone}` },
        h('p', { className: 'toast__text' }, t.text),
        t.peer
          ? h(
              'button',
              {
                type: 'button',
                className: 'button button--small',
                onClick: () => {
                  model.dismissToast(t.id);
                  navigate(chatPath(t.peer!));
                },
              },
              'Open',
            )
          : null,
        h(
          'button',
          {
            type: 'button',
            className: 'toast__close',
            'aria-label': 'Dismiss notification',
            onClick: () => model.dismissToast(t.id),
          },
          '×',
        ),
      ),
    ),
  );
}
