/**
 * The storage contract (STYLE §5): every adapter runs exactly this suite, so adapters cannot
 * silently drift apart. Usage: `runStorageContract('sqlite', async () => ({ storage, cleanup }))`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError, type Storage } from '../src/storage/types.ts';

export interface StorageFixture {
  readonly storage: Storage;
  readonly cleanup: () => Promise<void>;
}

const T0 = 1_700_000_000_000;
const key = (fill: number, length = 33): Uint8Array => new Uint8Array(length).fill(fill);
const spk = (keyId: number, fill: number) => ({
  keyId,
  publicKey: key(fill),
  signature: key(fill, 64),
});

async function expectStorageError(promise: Promise<unknown>, kind: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(error), `expected StorageError ${kind}, got ${String(error)}`).toBe(true);
  expect((error as { kind: string }).kind).toBe(kind);
}

export function runStorageContract(name: string, open: () => Promise<StorageFixture>): void {
  describe(`storage contract: ${name}`, () => {
    let fixture: StorageFixture;
    let s: Storage;
    beforeEach(async () => {
      fixture = await open();
      s = fixture.storage;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    async function account(username: string) {
      const a = await s.createAccount(username, `hash-of-${username}`, T0);
      const deviceId = await s.createDevice(a.accountId, T0, 4);
      return { ...a, deviceId, device: { accountId: a.accountId, deviceId } };
    }

    describe('accounts', () => {
      it('creates and finds an account by username', async () => {
        const a = await s.createAccount('alice', 'h', T0);
        expect(await s.getAccountByUsername('alice')).toEqual(a);
        expect(a).toMatchObject({ username: 'alice', passwordHash: 'h', createdAt: T0 });
        expect(await s.getAccountByUsername('bob')).toBeUndefined();
      });

      it('rejects a taken username with CONFLICT', async () => {
        await s.createAccount('alice', 'h', T0);
        await expectStorageError(s.createAccount('alice', 'h2', T0), 'CONFLICT');
      });
    });

    describe('devices', () => {
      it('numbers devices from 1 and enforces the per-account limit', async () => {
        const a = await s.createAccount('alice', 'h', T0);
        expect(await s.createDevice(a.accountId, T0, 2)).toBe(1);
        expect(await s.createDevice(a.accountId, T0 + 1, 2)).toBe(2);
        await expectStorageError(s.createDevice(a.accountId, T0, 2), 'LIMIT');
        const devices = await s.listDevices(a.accountId);
        expect(devices.map((d) => d.deviceId)).toEqual([1, 2]);
        expect(devices[0]?.keys).toBeUndefined();
        expect(await s.getDevice(a.accountId, 3)).toBeUndefined();
      });

      it('rejects a device for an unknown account with NOT_FOUND', async () => {
        await expectStorageError(s.createDevice('987654', T0, 4), 'NOT_FOUND');
      });
    });

    describe('sessions and tickets', () => {
      it('finds a session until it expires, and not after deletion', async () => {
        const a = await account('alice');
        const hash = key(7, 32);
        const session = { ...a.device, username: 'alice', expiresAt: T0 + 100 };
        await s.createSession(hash, session);
        expect(await s.getSession(hash, T0)).toEqual(session);
        expect(await s.getSession(hash, T0 + 100)).toBeUndefined();
        expect(await s.getSession(key(8, 32), T0)).toBeUndefined();
        await s.deleteSession(hash);
        expect(await s.getSession(hash, T0)).toBeUndefined();
      });

      it('redeems a ticket exactly once and never after expiry', async () => {
        const a = await account('alice');
        const ticket = { ...a.device, username: 'alice' };
        await s.createTicket(key(1, 32), ticket, T0 + 30);
        const results = await Promise.all([
          s.consumeTicket(key(1, 32), T0),
          s.consumeTicket(key(1, 32), T0),
        ]);
        expect(results.filter((r) => r !== undefined)).toEqual([ticket]);
        await s.createTicket(key(2, 32), ticket, T0 + 30);
        expect(await s.consumeTicket(key(2, 32), T0 + 30)).toBeUndefined();
      });

      it('sweeps expired sessions and tickets', async () => {
        const a = await account('alice');
        await s.createSession(key(1, 32), { ...a.device, username: 'alice', expiresAt: T0 + 5 });
        await s.createTicket(key(2, 32), { ...a.device, username: 'alice' }, T0 + 5);
        await s.sweep(T0 + 10, T0);
        // Even a caller that ignored expiry would now find nothing.
        expect(await s.getSession(key(1, 32), 0)).toBeUndefined();
        expect(await s.consumeTicket(key(2, 32), 0)).toBeUndefined();
      });
    });

    describe('key directory', () => {
      it('stores keys; a new identity key moves its timestamp and drops old prekeys', async () => {
        const a = await account('alice');
        expect(await s.setDeviceKeys(a.device, key(1), spk(1, 2), T0)).toEqual({
          identityKeyChanged: false,
        });
        await s.addOneTimePreKeys(a.device, [{ keyId: 1, publicKey: key(3) }], 10);
        // Rotating the signed prekey under the same identity keeps prekeys and timestamp.
        expect(await s.setDeviceKeys(a.device, key(1), spk(2, 4), T0 + 5)).toEqual({
          identityKeyChanged: false,
        });
        let device = await s.getDevice(a.accountId, a.deviceId);
        expect(device?.keys).toEqual({
          identityKey: key(1),
          identityKeyUpdatedAt: T0,
          signedPreKey: spk(2, 4),
        });
        expect(await s.countOneTimePreKeys(a.device)).toBe(1);

        expect(await s.setDeviceKeys(a.device, key(9), spk(3, 5), T0 + 9)).toEqual({
          identityKeyChanged: true,
        });
        device = await s.getDevice(a.accountId, a.deviceId);
        expect(device?.keys?.identityKeyUpdatedAt).toBe(T0 + 9);
        expect(await s.countOneTimePreKeys(a.device)).toBe(0);
      });

      it('rejects keys for an unknown device with NOT_FOUND', async () => {
        const a = await account('alice');
        const ghost = { accountId: a.accountId, deviceId: 99 };
        await expectStorageError(s.setDeviceKeys(ghost, key(1), spk(1, 2), T0), 'NOT_FOUND');
      });

      it('adds prekeys, replaces by keyId and rolls back a batch over the limit', async () => {
        const a = await account('alice');
        await s.setDeviceKeys(a.device, key(1), spk(1, 2), T0);
        const batch = [1, 2, 3].map((keyId) => ({ keyId, publicKey: key(keyId) }));
        expect(await s.addOneTimePreKeys(a.device, batch, 5)).toBe(3);
        expect(await s.addOneTimePreKeys(a.device, [{ keyId: 3, publicKey: key(30) }], 5)).toBe(3);
        const tooMany = [4, 5, 6].map((keyId) => ({ keyId, publicKey: key(keyId) }));
        await expectStorageError(s.addOneTimePreKeys(a.device, tooMany, 5), 'LIMIT');
        expect(await s.countOneTimePreKeys(a.device)).toBe(3);
      });

      it('hands out each one-time prekey once, then bundles without one', async () => {
        const a = await account('alice');
        await s.setDeviceKeys(a.device, key(1), spk(1, 2), T0);
        const batch = [5, 3, 4].map((keyId) => ({ keyId, publicKey: key(keyId) }));
        await s.addOneTimePreKeys(a.device, batch, 10);
        const taken = [];
        for (let i = 0; i < 4; i++) {
          const [bundle] = await s.takePreKeyBundles(a.accountId);
          taken.push(bundle?.oneTimePreKey?.keyId);
          expect(bundle).toMatchObject({
            deviceId: 1,
            identityKey: key(1),
            signedPreKey: spk(1, 2),
          });
        }
        expect(taken).toEqual([3, 4, 5, undefined]);
        expect(await s.countOneTimePreKeys(a.device)).toBe(0);
      });

      it('never hands out a prekey twice under 50 concurrent fetches of 10 keys', async () => {
        const a = await account('alice');
        await s.setDeviceKeys(a.device, key(1), spk(1, 2), T0);
        const batch = Array.from({ length: 10 }, (_, i) => ({ keyId: i + 1, publicKey: key(i) }));
        await s.addOneTimePreKeys(a.device, batch, 100);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => s.takePreKeyBundles(a.accountId)),
        );
        const ids = results.map((r) => r[0]?.oneTimePreKey?.keyId).filter((k) => k !== undefined);
        expect(new Set(ids).size).toBe(10);
        expect(results.filter((r) => r[0]?.oneTimePreKey === undefined)).toHaveLength(40);
      });

      it('bundles only devices with keys, optionally one device', async () => {
        const a = await account('alice');
        const second = await s.createDevice(a.accountId, T0, 4);
        const third = await s.createDevice(a.accountId, T0, 4);
        await s.setDeviceKeys(a.device, key(1), spk(1, 2), T0);
        await s.setDeviceKeys({ accountId: a.accountId, deviceId: third }, key(3), spk(1, 4), T0);
        expect((await s.takePreKeyBundles(a.accountId)).map((b) => b.deviceId)).toEqual([1, third]);
        expect(await s.takePreKeyBundles(a.accountId, second)).toEqual([]);
        expect((await s.takePreKeyBundles(a.accountId, third)).map((b) => b.deviceId)).toEqual([
          third,
        ]);
      });
    });

    describe('message queue', () => {
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
        expect((await s.listMessages(bob.device, ids[0], 1)).map((m) => m.clientId)).toEqual([
          'm2',
        ]);
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

    it('answers ping', async () => {
      await expect(s.ping()).resolves.toBeUndefined();
    });
  });
}
