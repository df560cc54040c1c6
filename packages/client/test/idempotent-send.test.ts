/**
 * Retries of one message under one id (what the outbox does after a failure), against a real
 * server process: a lost answer never makes a second copy. A file of its own: the server's
 * per-IP registration limit is counted per file (see sdk-fixture.ts).
 */
import { systemRandom } from '@susurro/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError, isClientError, newMessageId } from '../src/index.ts';
import { startSdkFixture, type SdkFixture } from './sdk-fixture.ts';

let fixture: SdkFixture;
beforeAll(async () => {
  fixture = await startSdkFixture();
});
afterAll(async () => {
  await fixture.close();
});

describe('idempotent send', () => {
  it('sends a message once under its id, however often a lost answer makes the caller retry', async () => {
    const { alice, bob, b } = await fixture.registeredPair();
    const id = newMessageId(systemRandom, Date.now());
    const sentAt = Date.now() - 60_000; // written a minute ago, while offline
    // The server stores the first post, but its answer never arrives.
    const api = alice.m.api;
    const post = api.send.bind(api);
    let lose = true;
    api.send = async (envelope) => {
      const answer = await post(envelope);
      if (lose) {
        lose = false;
        throw new ClientError('NETWORK_ERROR', 'answer lost');
      }
      return answer;
    };
    const lost: unknown = await alice.m
      .send(b, 'only once', { id, sentAt })
      .catch((e: unknown) => e);
    expect(isClientError(lost, 'NETWORK_ERROR')).toBe(true);
    expect(await alice.m.history(b)).toEqual([expect.objectContaining({ id, status: 'sending' })]);

    expect(await alice.m.send(b, 'only once', { id, sentAt })).toMatchObject({
      id,
      sentAt,
      status: 'sent',
    });
    // Completed: returned as it is, nothing posted.
    let posts = 0;
    api.send = (envelope) => (posts++, post(envelope));
    expect(await alice.m.send(b, 'only once', { id })).toMatchObject({ id, status: 'sent' });
    expect(posts).toBe(0);
    expect(await bob.m.receivePending()).toEqual([
      expect.objectContaining({ body: 'only once', sentAt }),
    ]);
    expect(await alice.m.history(b)).toHaveLength(1);

    // An id is ours to reuse only for the same message; a date is a time in ms.
    for (const [body, options] of [
      ['x', { id: 'not-an-id' }],
      ['another text', { id }],
      ['x', { sentAt: -1 }],
      ['x', { sentAt: Number.NaN }],
    ] as const) {
      const err: unknown = await alice.m.send(b, body, options).catch((e: unknown) => e);
      expect(isClientError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('drops the record of a message the user discards from the outbox after a refusal', async () => {
    const { alice, b } = await fixture.registeredPair();
    const api = alice.m.api;
    const post = api.send.bind(api);
    // Encrypted and recorded (status `sending`), then refused for good by the server.
    api.send = () => Promise.reject(new ClientError('QUEUE_FULL', 'their queue is full'));
    const outbox = alice.m.outbox({
      canSend: () => true,
      now: () => Date.now(),
      newId: () => newMessageId(systemRandom, Date.now()),
      onChange: () => undefined,
      onSent: () => undefined,
      onBlocked: () => undefined,
      onError: (e) => {
        throw e;
      },
    });
    const entry = await outbox.enqueue(b, 'refused');
    await outbox.idle();
    expect(entry).toMatchObject({ state: 'failed', errorCode: 'QUEUE_FULL' });
    expect(await alice.m.history(b)).toEqual([
      expect.objectContaining({ id: entry.messageId, status: 'sending' }),
    ]);
    await outbox.discard(entry.localId);
    expect(outbox.entries).toEqual([]);
    expect(await alice.m.history(b)).toEqual([]);

    // A message that did go out is never abandoned.
    api.send = post;
    const sent = await alice.m.send(b, 'delivered');
    expect(await alice.m.abandon(b, sent.id)).toBe(false);
    expect(await alice.m.history(b)).toEqual([expect.objectContaining({ id: sent.id })]);
  });
});
