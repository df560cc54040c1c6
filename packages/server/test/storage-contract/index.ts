/**
 * The storage contract (STYLE §5): every adapter runs exactly this suite, so adapters cannot
 * silently drift apart. Usage: `runStorageContract('sqlite', async () => ({ storage, cleanup }))`.
 * The message queue's part is in message-queue.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/types.ts';
import { messageQueueContract } from './message-queue.ts';
import {
  expectStorageError,
  key,
  spk,
  T0,
  type ContractAccount,
  type StorageFixture,
} from './support.ts';

export type { StorageFixture } from './support.ts';

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

    async function account(username: string): Promise<ContractAccount> {
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

    messageQueueContract({ storage: () => s, account });

    it('answers ping', async () => {
      await expect(s.ping()).resolves.toBeUndefined();
    });
  });
}
