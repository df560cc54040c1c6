/** "Erase this browser's data", with a confirmation step (it cannot be undone). */
import { useState } from 'react';
import type { AppModel } from '../app/app-model.ts';
import { describeError } from '../app/error-words.ts';
import { h } from './h.ts';

export function EraseData({ model, owner }: { model: AppModel; owner: string | undefined }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!confirming)
    return h(
      'button',
      { type: 'button', className: 'button button--quiet', onClick: () => setConfirming(true) },
      "Erase this browser's data",
    );
  const erase = async () => {
    setBusy(true);
    try {
      await model.eraseBrowserData();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  };
  return h(
    'div',
    { className: 'confirm', role: 'group', 'aria-labelledby': 'erase-title' },
    h(
      'p',
      { id: 'erase-title' },
      h('strong', null, 'Erase everything Susurro stored in this browser?'),
      ` ${owner ? `${owner}'s` : 'The'} keys and message history on this browser will be deleted ` +
        'and cannot be recovered. The account itself stays; you can log in again.',
    ),
    error ? h('p', { role: 'alert', className: 'form-error' }, error) : null,
    h(
      'div',
      { className: 'row' },
      h(
        'button',
        {
          type: 'button',
          className: 'button button--danger',
          disabled: busy,
          onClick: () => void erase(),
        },
        busy ? 'Erasing…' : 'Erase everything',
      ),
      h(
        'button',
        { type: 'button', className: 'button', onClick: () => setConfirming(false) },
        'Cancel',
      ),
    ),
  );
}
