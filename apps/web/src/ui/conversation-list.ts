/** The conversation list: start a chat by username, then one row per conversation. */
import { useState, type FormEvent } from 'react';
import type { AppModel, Snapshot } from '../app/app-model.ts';
import { preview } from '../app/attention.ts';
import type { ConversationSummary } from '../app/chat-state.ts';
import { describeError } from '../app/error-words.ts';
import { chatPath, navigate } from '../app/router.ts';
import { listTime } from './format.ts';
import { h } from './h.ts';
import { linkTo } from './hooks.ts';

function StartChat({ model }: { model: AppModel }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const peer = await model.findUser(name);
      setName('');
      navigate(chatPath(peer));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return h(
    'form',
    {
      className: 'start-chat',
      noValidate: true,
      onSubmit: (e) => void submit(e),
      'aria-label': 'Start a chat',
    },
    h('label', { htmlFor: 'start-chat-name', className: 'sr-only' }, 'Username to chat with'),
    h('input', {
      id: 'start-chat-name',
      value: name,
      placeholder: 'Start a chat: username',
      autoComplete: 'off',
      autoCapitalize: 'none',
      spellCheck: false,
      onChange: (e) => setName(e.target.value),
      'aria-invalid': error ? true : undefined,
      'aria-describedby': error ? 'start-chat-error' : undefined,
    }),
    h(
      'button',
      { type: 'submit', className: 'button button--primary', disabled: busy || !name.trim() },
      'Chat',
    ),
    error
      ? h('p', { id: 'start-chat-error', className: 'field__error', role: 'alert' }, error)
      : null,
  );
}

function Row({ c, active }: { c: ConversationSummary; active: boolean }) {
  const last = c.last;
  return h(
    'li',
    null,
    h(
      'a',
      {
        href: chatPath(c.peer),
        className: `convo${active ? ' convo--active' : ''}${c.unread ? ' convo--unread' : ''}`,
        'aria-current': active ? 'page' : undefined,
        onClick: linkTo(chatPath(c.peer)),
        'data-peer': c.peer,
      },
      h('span', { className: 'avatar', 'aria-hidden': true }, c.peer.charAt(0).toUpperCase()),
      h(
        'span',
        { className: 'convo__main' },
        h(
          'span',
          { className: 'convo__name' },
          c.peer,
          c.verified ? h('span', { className: 'tag tag--ok' }, 'Verified') : null,
          c.identityChanged
            ? h('span', { className: 'tag tag--warn' }, 'Safety number changed')
            : null,
        ),
        h(
          'span',
          { className: 'convo__preview' },
          last
            ? `${last.direction === 'out' ? 'You: ' : ''}${preview(last.body)}`
            : 'No messages yet',
        ),
      ),
      h(
        'span',
        { className: 'convo__side' },
        last ? h('time', { dateTime: new Date(last.at).toISOString() }, listTime(last.at)) : null,
        c.unread > 0
          ? h(
              'span',
              { className: 'badge' },
              String(c.unread),
              h(
                'span',
                { className: 'sr-only' },
                c.unread === 1 ? ' unread message' : ' unread messages',
              ),
            )
          : null,
      ),
    ),
  );
}

/** Offered once per visit, from a click (browsers ignore permission prompts without one). */
function NotificationOffer({ model }: { model: AppModel }) {
  return h(
    'section',
    { className: 'offer', 'aria-label': 'Notifications' },
    h('p', null, 'Get a notification when a message arrives while Susurro is in the background.'),
    h(
      'div',
      { className: 'row' },
      h(
        'button',
        {
          type: 'button',
          className: 'button button--small button--primary',
          onClick: () => void model.enableNotifications(),
        },
        'Turn on notifications',
      ),
      h(
        'button',
        {
          type: 'button',
          className: 'button button--small button--quiet',
          onClick: () => model.dismissNotificationOffer(),
        },
        'Not now',
      ),
    ),
  );
}

export function ConversationList(props: {
  model: AppModel;
  snap: Snapshot;
  activePeer: string | undefined;
}) {
  const { conversations } = props.snap;
  return h(
    'nav',
    { className: 'pane pane--list', 'aria-label': 'Conversations' },
    h(StartChat, { model: props.model }),
    props.snap.notifications === 'default' && !props.snap.notificationOfferDismissed
      ? h(NotificationOffer, { model: props.model })
      : null,
    conversations.length === 0
      ? h('p', { className: 'empty' }, 'No conversations yet. Type a username above to start one.')
      : h(
          'ul',
          { className: 'convos' },
          conversations.map((c) => h(Row, { key: c.peer, c, active: c.peer === props.activePeer })),
        ),
  );
}
