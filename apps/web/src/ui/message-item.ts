/** One message bubble: text, time, and for ours the delivery state. */
import type { AppModel } from '../app/app-model.ts';
import type { DisplayMessage, DisplayStatus } from '../app/chat-state.ts';
import { wordsForCode } from '../app/error-words.ts';
import { fullTime, messageTime } from './format.ts';
import { h } from './h.ts';

const STATUS: Record<DisplayStatus, string> = {
  queued: 'Queued',
  sending: 'Sending…',
  blocked: 'Waiting: safety number changed',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  received: '',
};

/** Ticks for the eye; the words stay for screen readers and tooltips. */
const MARK: Partial<Record<DisplayStatus, string>> = {
  queued: '◷',
  sending: '◷',
  sent: '✓',
  delivered: '✓✓',
  failed: '!',
  blocked: '!',
};

export function MessageItem({ m, model }: { m: DisplayMessage; model: AppModel }) {
  const ours = m.direction === 'out';
  return h(
    'li',
    { className: `msg msg--${m.direction}`, 'data-status': m.status },
    h('span', { className: 'sr-only' }, ours ? 'You: ' : `${m.peer}: `),
    h('p', { className: 'msg__body' }, m.body),
    h(
      'p',
      { className: 'msg__meta' },
      h(
        'time',
        { dateTime: new Date(m.at).toISOString(), title: fullTime(m.at) },
        messageTime(m.at),
      ),
      ours
        ? h(
            'span',
            { className: `msg__status msg__status--${m.status}`, title: STATUS[m.status] },
            MARK[m.status] ? h('span', { 'aria-hidden': true }, `${MARK[m.status]} `) : null,
            STATUS[m.status],
          )
        : null,
    ),
    m.status === 'failed' && m.localId
      ? h(
          'div',
          { className: 'msg__problem' },
          h('p', null, wordsForCode(m.errorCode)),
          h(
            'div',
            { className: 'row' },
            h(
              'button',
              {
                type: 'button',
                className: 'button button--small',
                onClick: () => void model.retryMessage(m.localId!),
              },
              'Retry',
            ),
            h(
              'button',
              {
                type: 'button',
                className: 'button button--small button--quiet',
                onClick: () => void model.discardMessage(m.localId!),
              },
              'Delete',
            ),
          ),
        )
      : null,
  );
}
