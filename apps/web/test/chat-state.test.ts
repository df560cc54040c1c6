import type { ContactRecord, MessageRecord } from '@susurro/client';
import { describe, expect, it } from 'vitest';
import { preview, titleFor } from '../src/app/attention.ts';
import {
  displayMessages,
  groupByPeer,
  latestArrival,
  summarize,
  unreadCount,
  withRecord,
} from '../src/app/chat-state.ts';
import type { OutboxEntry } from '@susurro/client';

const rec = (over: Partial<MessageRecord> & Pick<MessageRecord, 'id'>): MessageRecord => ({
  peer: 'bob',
  direction: 'in',
  body: over.id,
  sentAt: 1_000,
  status: 'received',
  ...over,
});

const queued = (localId: string, createdAt: number, peer = 'bob'): OutboxEntry => ({
  localId,
  peer,
  body: localId,
  createdAt,
  state: 'queued',
});

describe('displayMessages', () => {
  it('orders history by time and puts unsent messages after it, in the order written', () => {
    const history = [
      rec({ id: 'b', sentAt: 2_000, direction: 'out', status: 'delivered' }),
      rec({ id: 'a', sentAt: 1_000 }),
    ];
    const out = displayMessages(history, [queued('q2', 500), queued('q1', 400)]);
    expect(out.map((m) => [m.key, m.status])).toEqual([
      ['a', 'received'],
      ['b', 'delivered'],
      ['q2', 'queued'],
      ['q1', 'queued'],
    ]);
    expect(out[2]!.localId).toBe('q2');
  });

  it('hides records a failed send left in `sending` (the outbox entry stands for them)', () => {
    const history = [rec({ id: 'orphan', direction: 'out', status: 'sending' })];
    expect(displayMessages(history, [queued('q', 2_000)]).map((m) => m.key)).toEqual(['q']);
  });

  it('carries the failure code of failed outbox entries', () => {
    const failed: OutboxEntry = { ...queued('f', 1), state: 'failed', errorCode: 'QUEUE_FULL' };
    expect(displayMessages([], [failed])[0]).toMatchObject({
      status: 'failed',
      errorCode: 'QUEUE_FULL',
    });
  });
});

describe('withRecord', () => {
  const sending = rec({ id: 'm', direction: 'out', status: 'sending' });

  it('adds a new record and completes one an earlier attempt left in sending', () => {
    expect(withRecord([], sending)).toEqual([sending]);
    const sent = { ...sending, status: 'sent' as const };
    const other = rec({ id: 'x' });
    expect(withRecord([other, sending], sent)).toEqual([other, sent]);
  });

  it('leaves a listed record alone otherwise (a receipt may overtake the sent record)', () => {
    const delivered = { ...sending, status: 'delivered' as const };
    expect(withRecord([delivered], { ...sending, status: 'sent' })).toBeUndefined();
    expect(withRecord([sending], sending)).toBeUndefined();
  });
});

describe('unread counts', () => {
  const history = [
    rec({ id: '1', receivedAt: 10 }),
    rec({ id: '2', receivedAt: 20 }),
    rec({ id: '3', direction: 'out', status: 'sent', sentAt: 30 }),
    rec({ id: '4', sentAt: 40 }), // no receivedAt: falls back to sentAt
  ];

  it('counts incoming messages that arrived after the read mark', () => {
    expect(unreadCount(history, 0)).toBe(3);
    expect(unreadCount(history, 10)).toBe(2);
    expect(unreadCount(history, latestArrival(history))).toBe(0);
  });

  it('never counts our own messages', () => {
    expect(latestArrival([rec({ id: 'x', direction: 'out', sentAt: 99 })])).toBe(0);
  });
});

describe('summarize', () => {
  it('lists the most recent conversation first, with unread and trust flags', () => {
    const history = groupByPeer([
      rec({ id: 'a1', peer: 'ann', sentAt: 100, receivedAt: 100 }),
      rec({ id: 'b1', peer: 'bob', sentAt: 200, receivedAt: 200 }),
      rec({ id: 'b2', peer: 'bob', sentAt: 300, receivedAt: 300 }),
    ]);
    const messages = new Map([...history].map(([p, h]) => [p, displayMessages(h, [])]));
    const contacts = new Map<string, ContactRecord>([
      ['ann', { username: 'ann', trustedKeys: ['k'], verified: true, firstSeenAt: 1 }],
      [
        'bob',
        { username: 'bob', trustedKeys: ['k'], pendingKey: 'k2', verified: false, firstSeenAt: 1 },
      ],
      ['cat', { username: 'cat', trustedKeys: ['k'], verified: false, firstSeenAt: 1 }],
    ]);
    const list = summarize({ messages, history, contacts, readUpTo: new Map([['bob', 200]]) });
    expect(list.map((c) => [c.peer, c.unread, c.identityChanged, c.verified, c.last?.key])).toEqual(
      [
        ['bob', 1, true, false, 'b2'],
        ['ann', 1, false, true, 'a1'],
        ['cat', 0, false, false, undefined],
      ],
    );
  });
});

describe('attention', () => {
  it('puts the unread count in the title', () => {
    expect(titleFor(0)).toBe('Susurro');
    expect(titleFor(3)).toBe('(3) Susurro');
  });

  it('previews a message on one line, cut with an ellipsis', () => {
    expect(preview('  hello\n\nthere  ')).toBe('hello there');
    const long = preview('x'.repeat(500));
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
  });
});
