/** The root component: one screen per phase of the app model. */
import { useSyncExternalStore, type ReactNode } from 'react';
import type { AppModel } from '../app/app-model.ts';
import { AuthScreen } from './auth-screen.ts';
import { EraseData } from './erase-data.ts';
import { h } from './h.ts';
import { useRoute } from './hooks.ts';
import { Shell } from './shell.ts';

function Centered({ title, children }: { title: string; children?: ReactNode }) {
  return h(
    'main',
    { className: 'auth' },
    h('p', { className: 'brand brand--large' }, 'Susurro'),
    h('section', { className: 'card' }, h('h1', null, title), children),
  );
}

export function App({ model }: { model: AppModel }) {
  const snap = useSyncExternalStore(model.subscribe, model.getSnapshot);
  const route = useRoute();
  switch (snap.phase) {
    case 'starting':
      return h(
        Centered,
        { title: 'Opening Susurro…' },
        h('p', { role: 'status' }, 'Unlocking your keys in this browser.'),
      );
    case 'other-tab':
      return h(
        Centered,
        { title: 'Susurro is open in another tab' },
        h(
          'p',
          null,
          'To keep your encrypted sessions consistent, Susurro runs in one tab at a time.',
        ),
        h(
          'button',
          {
            type: 'button',
            className: 'button button--primary',
            onClick: () => void model.useHere(),
          },
          'Use Susurro in this tab',
        ),
      );
    case 'failed':
      return h(
        Centered,
        { title: "Susurro can't start" },
        h('p', { role: 'alert' }, snap.failure),
        h(
          'div',
          { className: 'row' },
          h(
            'button',
            { type: 'button', className: 'button', onClick: () => location.reload() },
            'Try again',
          ),
          h(EraseData, { model, owner: undefined }),
        ),
      );
    case 'signed-out':
      return h(AuthScreen, { model, snap });
    case 'ready':
      return h(Shell, { model, snap, route });
  }
}
