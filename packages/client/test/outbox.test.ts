/**
 * The outbox over a real encrypted vault (VaultStore on the SDK's MemoryBackend): what is
 * queued survives a "reload", goes out in order once the link is up, and each kind of send
 * failure lands in the right state.
 */
import { systemRandom, webCryptoProvider } from '@susurro/protocol';
import { describe, expect, it } from 'vitest';
import {
  ClientError,
  isClientError,
  MemoryBackend,
  VaultStore,
  classifySendError,
  Outbox,
  type MessageRecord,
  type OutboxOptions,
  type SendOptions,
} from '../src/index.ts';

async function setup(send: OutboxOptions['send'], online = { value: true }) {
  const backend = new MemoryBackend();
  const store = await VaultStore.open(backend, 'test passphrase', {
    crypto: webCryptoProvider,
    random: systemRandom,
    kdfLogN: 10,
  });
  let clock = 1_000;
  let id = 0;
  const sent: MessageRecord[] = [];
  const blocked: string[] = [];
  const attempts: string[] = []; // failed ones, as body:state:code
  const timers: Array<() => void> = [];
  const options: OutboxOptions = {
    store,
    send,
    canSend: () => online.value,
    now: () => clock++,
    newId: () => `local-${++id}`,
    onChange: () => undefined,
    onSent: (_e, r) => sent.push(r),
    onBlocked: (peer) => blocked.push(peer),
    onAttemptFailed: (e, error) =>
      attempts.push(`${e.body}:${e.state}:${isClientError(error) ? error.code : '?'}`),
    onError: (e) => {
      throw e;
    },
    setTimer: (fn) => timers.push(fn),
  };
  return {
    backend,
    store,
    options,
    outbox: new Outbox(options),
    sent,
    blocked,
    timers,
    online,
    attempts,
  };
}

const recordFor = (peer: string, body: string): MessageRecord => ({
  id: `id-${body}`,
  peer,
  direction: 'out',
  body,
  sentAt: 0,
  status: 'sent',
});

const states = (o: Outbox) => o.entries.map((e) => `${e.peer}:${e.body}:${e.state}`);

describe('outbox', () => {
  it('keeps messages queued while offline, encrypted at rest, and across a reload', async () => {
    const online = { value: false };
    const t = await setup(() => Promise.reject(new Error('must not send offline')), online);
    await t.outbox.enqueue('bob', 'secret one');
    await t.outbox.enqueue('bob', 'secret two');
    expect(states(t.outbox)).toEqual(['bob:secret one:queued', 'bob:secret two:queued']);

    // Nothing readable reaches the backend.
    const raw = await t.backend.list('outbox:');
    expect(raw).toHaveLength(2);
    for (const [, bytes] of raw)
      expect(new TextDecoder('latin1').decode(bytes)).not.toContain('secret');

    const reloaded = new Outbox({ ...t.options, send: (p, b) => Promise.resolve(recordFor(p, b)) });
    await reloaded.load();
    expect(states(reloaded)).toEqual(states(t.outbox));
    online.value = true;
    await reloaded.flush();
    expect(reloaded.entries).toEqual([]);
    expect(await t.backend.list('outbox:')).toEqual([]);
  });

  it('keeps its entries under the prefix it is given and retries after retryMs', async () => {
    const t = await setup(() => Promise.reject(new ClientError('SERVER_BUSY', 'busy')));
    const waits: number[] = [];
    const outbox = new Outbox({
      ...t.options,
      prefix: 'web:outbox:',
      retryMs: 1234,
      setTimer: (_fn, ms) => waits.push(ms),
    });
    await outbox.enqueue('bob', 'a');
    await outbox.flush();
    expect(await t.backend.list('web:outbox:')).toHaveLength(1);
    expect(await t.backend.list('outbox:')).toEqual([]);
    expect(waits).toEqual([1234]);
    const other = new Outbox(t.options);
    await other.load();
    expect(other.entries).toEqual([]);
  });

  it('sends every attempt of an entry under the same message id, kept across a reload', async () => {
    const attempts: Array<SendOptions | undefined> = [];
    let fail = true;
    const t = await setup((p, b, options) => {
      attempts.push(options);
      return fail
        ? Promise.reject(new ClientError('NETWORK_ERROR', 'down'))
        : Promise.resolve(recordFor(p, b));
    });
    let n = 0;
    const outbox = new Outbox({ ...t.options, newMessageId: () => `message-${++n}` });
    const written = await outbox.enqueue('bob', 'a');
    await outbox.idle();
    fail = false;
    const reloaded = new Outbox({ ...t.options, newMessageId: () => 'never used' });
    await reloaded.load();
    await reloaded.flush();
    const same = { id: 'message-1', sentAt: written.createdAt };
    expect(attempts).toEqual([same, same]);
    expect(t.sent.map((r) => r.body)).toEqual(['a']);
  });

  it('sends oldest first and reports each sent record', async () => {
    const t = await setup((p, b) => Promise.resolve(recordFor(p, b)));
    t.online.value = false;
    await t.outbox.enqueue('bob', 'a');
    await t.outbox.enqueue('ann', 'b');
    await t.outbox.enqueue('bob', 'c');
    t.online.value = true;
    await t.outbox.flush();
    expect(t.sent.map((r) => r.body)).toEqual(['a', 'b', 'c']);
  });

  it('puts a message back on a network failure, stops, and retries later', async () => {
    let fail = true;
    const t = await setup((p, b) =>
      fail
        ? Promise.reject(new ClientError('NETWORK_ERROR', 'down'))
        : Promise.resolve(recordFor(p, b)),
    );
    t.online.value = false;
    await t.outbox.enqueue('bob', 'a');
    await t.outbox.enqueue('ann', 'b');
    t.online.value = true;
    await t.outbox.flush();
    expect(states(t.outbox)).toEqual(['bob:a:queued', 'ann:b:queued']);
    expect(t.attempts).toEqual(['a:queued:NETWORK_ERROR']);
    expect(t.timers).toHaveLength(1);
    fail = false;
    t.timers[0]!();
    await t.outbox.flush();
    expect(t.sent.map((r) => r.body)).toEqual(['a', 'b']);
  });

  it('holds a peer whose safety number changed, keeps their order, and lets others through', async () => {
    let trusted = false;
    const t = await setup((p, b) =>
      p === 'bob' && !trusted
        ? Promise.reject(new ClientError('UNTRUSTED_IDENTITY', 'changed'))
        : Promise.resolve(recordFor(p, b)),
    );
    t.online.value = false;
    await t.outbox.enqueue('bob', 'first');
    await t.outbox.enqueue('bob', 'second');
    await t.outbox.enqueue('ann', 'other');
    t.online.value = true;
    await t.outbox.flush();
    expect(states(t.outbox)).toEqual(['bob:first:blocked', 'bob:second:queued']);
    expect(t.blocked).toEqual(['bob']);
    expect(t.sent.map((r) => r.body)).toEqual(['other']);

    trusted = true;
    await t.outbox.unblock('bob');
    await t.outbox.flush();
    expect(t.sent.map((r) => r.body)).toEqual(['other', 'first', 'second']);
  });

  it('marks other failures failed with their code; retry and discard work', async () => {
    let code: string | undefined = 'NO_DEVICES';
    const t = await setup((p, b) =>
      code ? Promise.reject(new ClientError(code, 'no')) : Promise.resolve(recordFor(p, b)),
    );
    await t.outbox.flush();
    await t.outbox.enqueue('bob', 'a');
    await t.outbox.flush();
    expect(t.outbox.entries[0]).toMatchObject({ state: 'failed', errorCode: 'NO_DEVICES' });
    expect(t.attempts).toEqual(['a:failed:NO_DEVICES']);

    await t.outbox.enqueue('cat', 'gone');
    await t.outbox.flush();
    await t.outbox.discard(t.outbox.entries[1]!.localId);
    expect(states(t.outbox)).toEqual(['bob:a:failed']);

    code = undefined;
    await t.outbox.retry(t.outbox.entries[0]!.localId);
    await t.outbox.flush();
    expect(t.outbox.entries).toEqual([]);
    expect(t.sent.map((r) => r.body)).toEqual(['a']);
  });

  it("with dropFailed, drops a refused entry in the same pass and lets the peer's next one go", async () => {
    const t = await setup((p, b) =>
      b === 'too long'
        ? Promise.reject(new ClientError('PAYLOAD_TOO_LARGE', 'no'))
        : Promise.resolve(recordFor(p, b)),
    );
    const forgotten: string[] = [];
    const outbox = new Outbox({
      ...t.options,
      dropFailed: true,
      forget: (e) => Promise.resolve(void forgotten.push(e.body)),
    });
    t.online.value = false;
    await outbox.enqueue('bob', 'too long');
    await outbox.enqueue('bob', 'fine');
    t.online.value = true;
    await outbox.flush();
    expect(t.attempts).toEqual(['too long:failed:PAYLOAD_TOO_LARGE']);
    expect(forgotten).toEqual(['too long']);
    expect(t.sent.map((r) => r.body)).toEqual(['fine']);
    expect(outbox.entries).toEqual([]);
    const reloaded = new Outbox(t.options);
    await reloaded.load();
    expect(reloaded.entries).toEqual([]);
  });

  it('classifies send errors', () => {
    const c = (code: string) => classifySendError(new ClientError(code, code)).state;
    expect(['NETWORK_ERROR', 'RATE_LIMITED', 'SERVER_BUSY', 'HTTP_503'].map(c)).toEqual([
      'queued',
      'queued',
      'queued',
      'queued',
    ]);
    expect(c('UNTRUSTED_IDENTITY')).toBe('blocked');
    expect(['NOT_FOUND', 'NO_DEVICES', 'QUEUE_FULL', 'INVALID_ARGUMENT'].map(c)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
    expect(classifySendError(new Error('boom'))).toEqual({ state: 'failed', code: 'UNKNOWN' });
  });
});
