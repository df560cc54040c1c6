/** One conversation: header, safety warning, the message log and the composer. */
import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type ChangeEvent,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import type { AppModel, Snapshot } from '../app/app-model.ts';
import { describeError } from '../app/error-words.ts';
import { homePath, safetyPath } from '../app/router.ts';
import { h } from './h.ts';
import { linkTo, useFocusOnNavigation } from './hooks.ts';
import { IdentityBanner } from './identity-banner.ts';
import { MessageItem } from './message-item.ts';

function Composer({ model, peer, waiting }: { model: AppModel; peer: string; waiting: boolean }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = text;
    if (body.trim() === '') return;
    setText('');
    setError(undefined);
    try {
      await model.send(peer, body);
    } catch (err) {
      setText(body);
      setError(describeError(err));
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter is a new line; never while an IME is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      e.currentTarget.form?.requestSubmit();
    }
  };
  return h(
    'form',
    { className: 'composer', onSubmit: (e) => void submit(e) },
    h('label', { htmlFor: 'composer-input', className: 'sr-only' }, `Message to ${peer}`),
    h('textarea', {
      id: 'composer-input',
      value: text,
      rows: 1,
      placeholder: waiting ? 'Write a message (held until you accept)' : 'Write a message',
      onChange: (e: ChangeEvent<HTMLTextAreaElement>) => setText(e.target.value),
      onKeyDown,
      'aria-describedby': error ? 'composer-error' : 'composer-hint',
    }),
    h(
      'button',
      { type: 'submit', className: 'button button--primary', disabled: !text.trim() },
      'Send',
    ),
    h(
      'p',
      { id: 'composer-hint', className: 'sr-only' },
      'Enter sends; Shift and Enter starts a new line.',
    ),
    error
      ? h('p', { id: 'composer-error', className: 'field__error', role: 'alert' }, error)
      : null,
  );
}

export function ConversationView({
  model,
  snap,
  peer,
}: {
  model: AppModel;
  snap: Snapshot;
  peer: string;
}) {
  const messages = snap.messages.get(peer) ?? [];
  const contact = snap.contacts.get(peer);
  const heading = useRef<HTMLHeadingElement>(null);
  const log = useRef<HTMLOListElement>(null);
  useFocusOnNavigation(heading, peer);

  useEffect(() => {
    model.setActivePeer(peer);
    return () => model.setActivePeer(undefined);
  }, [model, peer]);

  // Keep the newest message in view as messages arrive.
  useLayoutEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length, peer]);

  return h(
    'section',
    { className: 'conversation', 'aria-labelledby': 'conversation-title' },
    h(
      'header',
      { className: 'conversation__header' },
      h(
        'a',
        { className: 'back back--to-list', href: homePath, onClick: linkTo(homePath) },
        '← Chats',
      ),
      h('h1', { id: 'conversation-title', ref: heading, tabIndex: -1 }, peer),
      contact?.verified ? h('span', { className: 'tag tag--ok' }, 'Verified') : null,
      contact
        ? h(
            'a',
            {
              className: 'button button--small',
              href: safetyPath(peer),
              onClick: linkTo(safetyPath(peer)),
            },
            'Safety number',
          )
        : null,
    ),
    contact?.pendingKey ? h(IdentityBanner, { model, peer }) : null,
    h(
      'ol',
      {
        className: 'messages',
        ref: log,
        role: 'log',
        'aria-label': `Messages with ${peer}`,
        tabIndex: 0,
      },
      messages.length === 0
        ? h(
            'li',
            { className: 'empty' },
            `No messages yet. Say hello to ${peer} — only the two of you can read this chat.`,
          )
        : messages.map((m) => h(MessageItem, { key: m.key, m, model })),
    ),
    h(Composer, { model, peer, waiting: contact?.pendingKey !== undefined }),
  );
}
