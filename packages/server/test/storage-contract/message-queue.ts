/**
 * The storage contract's message queue part (RF03): durable enqueue with dedupe by client id,
 * per-device order, acks, quotas and the sweep. Run by runStorageContract.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/types.ts';
import { expectStorageError, key, T0, type ContractContext } from './support.ts';

export function messageQueueContract(ctx: ContractContext): void {
  describe('message queue', () => {
    let s: Storage;
    const account = (username: string) => ctx.account(username);
    beforeEach(() => {
      s = ctx.storage();
    });

    async function pair() {
      const alice = await account('alice');
      const bob = await account('bob');
      const send = (clientId: string, body = key(1, 4)) =>
        s.enqueueMessage(
          {
            recipient: bob.device,
            senderAccountId: alice.accountId,
            senderUsername: 'alice',
            senderDeviceId: alice.deviceId,
            clientId,
            body,
            createdAt: T0,
          },
          5,
        );
      return { alice, bob, send };
    }

    it('tells `stored` once, when the message is readable, before the promise resolves', async () => {
      const alice = await account('alice');
      const bob = await account('bob');
      const message = {
        recipient: bob.device,
        senderAccountId: alice.accountId,
        senderUsername: 'alice',
        senderDeviceId: alice.deviceId,
        clientId: 'm1',
        body: key(1, 4),
        createdAt: T0,
      };
      const heard: Array<{ duplicate: boolean; listed: Promise<number> }> = [];
      const stored = (r: { duplicate: boolean }) =>
        heard.push({
          duplicate: r.duplicate,
          listed: s.listMessages(bob.device, undefined, 10).then((l) => l.length),
        });
      const first = s.enqueueMessage(message, 5, stored);
      const firstResult = await first;
      expect(heard).toHaveLength(1);
      expect(heard[0]?.duplicate).toBe(false);
      expect(await heard[0]?.listed).toBe(1);
      // A duplicate is told too (duplicate: true); a failed enqueue is not.
      await s.enqueueMessage(message, 5, stored);
      expect(heard.map((h) => h.duplicate)).toEqual([false, true]);
      const missing = { ...message, recipient: { ...bob.device, deviceId: 99 }, clientId: 'm2' };
      await expectStorageError(s.enqueueMessage(missing, 5, stored), 'NOT_FOUND');
      expect(heard).toHaveLength(2);
      expect(firstResult.duplicate).toBe(false);
    });

    it('queues in order and pages strictly after a cursor', async () => {
      const { bob, send } = await pair();
      const ids = [];
      for (const c of ['m1', 'm2', 'm3']) ids.push((await send(c, key(c.length, 3))).serverId);
      const all = await s.listMessages(bob.device, undefined, 10);
      expect(all.map((m) => m.clientId)).toEqual(['m1', 'm2', 'm3']);
      expect(all[0]).toEqual({
        serverId: ids[0],
        senderUsername: 'alice',
        senderDeviceId: 1,
        clientId: 'm1',
        body: key(2, 3),
        createdAt: T0,
      });
      expect((await s.listMessages(bob.device, ids[0], 1)).map((m) => m.clientId)).toEqual(['m2']);
      expect(await s.listMessages(bob.device, ids[2], 10)).toEqual([]);
      expect(await s.countQueuedMessages()).toBe(3);
    });

    it('treats a repeated (sender, id) as a duplicate, even after the ack', async () => {
      const { bob, send } = await pair();
      const first = await send('m1');
      expect(first.duplicate).toBe(false);
      expect(await send('m1')).toEqual({ serverId: first.serverId, duplicate: true });
      expect(await s.listMessages(bob.device, undefined, 10)).toHaveLength(1);
      expect(await s.deleteMessage(bob.device, first.serverId)).toBe(true);
      expect(await send('m1')).toEqual({ serverId: first.serverId, duplicate: true });
      expect(await s.listMessages(bob.device, undefined, 10)).toHaveLength(0);
      // Once the dedupe window has passed, the id is new again.
      await s.sweep(T0, T0 + 1);
      expect((await send('m1')).duplicate).toBe(false);
    });

    it('answers a retry as a duplicate even once the queue is full, pipelined or not', async () => {
      const { send } = await pair();
      const first = await send('m1');
      // Issued together: the retries share a group commit with the sends that fill the queue.
      const results = await Promise.allSettled([
        send('m2'),
        send('m1'),
        send('m3'),
        send('m4'),
        send('m5'),
        send('m1'),
        send('m6'),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      for (const i of [1, 5]) {
        expect(results[i]).toEqual({
          status: 'fulfilled',
          value: { serverId: first.serverId, duplicate: true },
        });
      }
      expect(await send('m1')).toEqual({ serverId: first.serverId, duplicate: true });
      await expectStorageError(send('m7'), 'LIMIT');
    });

    it('deletes only for the recipient device, idempotently, never reusing ids', async () => {
      const { alice, bob, send } = await pair();
      const { serverId } = await send('m1');
      expect(await s.deleteMessage(alice.device, serverId)).toBe(false);
      expect(await s.deleteMessage(bob.device, 'not-an-id')).toBe(false);
      expect(await s.deleteMessage(bob.device, serverId)).toBe(true);
      expect(await s.deleteMessage(bob.device, serverId)).toBe(false);
      const next = await send('m2');
      expect(next.serverId).not.toBe(serverId);
      expect(await s.listMessages(bob.device, serverId, 10)).toHaveLength(1);
    });

    it('refuses a full queue with LIMIT and an unknown device with NOT_FOUND', async () => {
      const { alice, send } = await pair();
      for (let i = 0; i < 5; i++) await send(`m${i}`);
      await expectStorageError(send('m5'), 'LIMIT');
      const message = {
        recipient: { accountId: alice.accountId, deviceId: 42 },
        senderAccountId: alice.accountId,
        senderUsername: 'alice',
        senderDeviceId: 1,
        clientId: 'x',
        body: key(1, 1),
        createdAt: T0,
      };
      await expectStorageError(s.enqueueMessage(message, 5), 'NOT_FOUND');
    });

    it('applies pipelined enqueues in call order', async () => {
      const { bob, send } = await pair();
      await Promise.all(['d', 'a', 'c', 'b', 'e'].map((c) => send(c)));
      const listed = await s.listMessages(bob.device, undefined, 10);
      expect(listed.map((m) => m.clientId)).toEqual(['d', 'a', 'c', 'b', 'e']);
    });
  });
}
