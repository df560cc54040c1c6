/**
 * The "safety number changed" warning (DESIGN: a changed identity key is surfaced, never
 * silently accepted). Sending to the contact waits until the user accepts the new key.
 */
import { useState } from 'react';
import type { AppModel } from '../app/app-model.ts';
import { describeError } from '../app/error-words.ts';
import { safetyPath } from '../app/router.ts';
import { h } from './h.ts';
import { linkTo } from './hooks.ts';

export function IdentityBanner(props: { model: AppModel; peer: string; onSafetyScreen?: boolean }) {
  const { model, peer } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const accept = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await model.acceptIdentity(peer);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return h(
    'section',
    { className: 'banner banner--warning', role: 'alert', 'aria-label': 'Safety number changed' },
    h(
      'p',
      null,
      h('strong', null, `${peer}'s safety number has changed.`),
      ' This usually means they reinstalled Susurro or logged in on a new device. It could also ' +
        'mean someone is trying to intercept your messages. Compare the new safety number with ' +
        `${peer} before you trust it. Messages you write to them wait until you accept it.`,
    ),
    error ? h('p', { className: 'form-error' }, error) : null,
    h(
      'div',
      { className: 'row' },
      props.onSafetyScreen
        ? null
        : h(
            'a',
            { className: 'button', href: safetyPath(peer), onClick: linkTo(safetyPath(peer)) },
            'Review safety number',
          ),
      h(
        'button',
        {
          type: 'button',
          className: 'button button--primary',
          disabled: busy,
          onClick: () => void accept(),
        },
        busy ? 'Accepting…' : 'Accept new safety number',
      ),
    ),
  );
}
