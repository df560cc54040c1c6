/**
 * The safety number with one contact: 60 digits and a QR code of the scannable form, and the
 * "verified" mark. If both people see the same number, no one is in the middle.
 */
import { useEffect, useRef, useState } from 'react';
import type { AppModel, SafetyNumberView, Snapshot } from '../app/app-model.ts';
import { describeError } from '../app/error-words.ts';
import { chatPath } from '../app/router.ts';
import { h } from './h.ts';
import { linkTo, useFocusOnNavigation } from './hooks.ts';
import { IdentityBanner } from './identity-banner.ts';
import { QrCode } from './qr-code.ts';

export function SafetyScreen({
  model,
  snap,
  peer,
}: {
  model: AppModel;
  snap: Snapshot;
  peer: string;
}) {
  const contact = snap.contacts.get(peer);
  const [view, setView] = useState<SafetyNumberView>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnNavigation(heading, peer);

  // Recomputed when the key it is computed over changes (pending key, accepted key).
  const keyState = `${contact?.pendingKey ?? ''}|${contact?.trustedKeys.at(-1) ?? ''}`;
  useEffect(() => {
    let live = true;
    model.safetyNumber(peer).then(
      (v) => live && (setView(v), setError(undefined)),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [model, peer, keyState]);

  const setVerified = async (verified: boolean) => {
    setBusy(true);
    try {
      await model.setVerified(peer, verified);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const pending = contact?.pendingKey !== undefined;
  const verified = contact?.verified ?? false;
  return h(
    'section',
    { className: 'safety', 'aria-labelledby': 'safety-title' },
    h(
      'header',
      { className: 'conversation__header' },
      h(
        'a',
        { className: 'back', href: chatPath(peer), onClick: linkTo(chatPath(peer)) },
        `← ${peer}`,
      ),
      h('h1', { id: 'safety-title', ref: heading, tabIndex: -1 }, 'Safety number'),
    ),
    pending ? h(IdentityBanner, { model, peer, onSafetyScreen: true }) : null,
    h(
      'p',
      null,
      `Compare these numbers with ${peer} in person or on a call, or scan each other's code. If ` +
        'they match, your chat is end-to-end encrypted with no one in between.',
    ),
    error ? h('p', { className: 'form-error', role: 'alert' }, error) : null,
    view
      ? h(
          'div',
          { className: 'safety__body' },
          h(
            'p',
            { className: 'safety__digits', 'data-digits': view.digits.replace(/ /g, '') },
            view.digits.split(' ').map((group, i) => h('span', { key: i }, group)),
          ),
          h(QrCode, { bytes: view.scannable, label: `QR code of your safety number with ${peer}` }),
        )
      : error
        ? null
        : h('p', { role: 'status' }, 'Computing…'),
    h(
      'div',
      { className: 'safety__verify' },
      verified
        ? h('p', { className: 'tag tag--ok tag--large' }, `✓ You verified ${peer}`)
        : h('p', null, `You have not verified ${peer} yet.`),
      h(
        'button',
        {
          type: 'button',
          className: verified ? 'button' : 'button button--primary',
          disabled: busy || pending || !view,
          onClick: () => void setVerified(!verified),
        },
        verified ? 'Clear verification' : 'Mark as verified',
      ),
      pending
        ? h('p', { className: 'field__hint' }, 'Accept the new safety number before verifying it.')
        : null,
    ),
  );
}
