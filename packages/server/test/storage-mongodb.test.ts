import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MongoStorage } from '../src/storage/mongodb/index.ts';
import { runStorageContract } from './storage-contract/index.ts';

// Needs a server: MONGODB_URL=mongodb://127.0.0.1:27017 (MongoDB 5.0+, or Amazon DocumentDB).
const url = process.env.MONGODB_URL;

/** Each fixture gets a database of its own, dropped afterwards. */
async function openFresh(serverUrl: string): Promise<{
  storage: MongoStorage;
  dbName: string;
  cleanup: () => Promise<void>;
}> {
  const dbName = `susurro_test_${randomBytes(6).toString('hex')}`;
  const storage = await MongoStorage.open({ url: serverUrl, dbName });
  return {
    storage,
    dbName,
    cleanup: async () => {
      await storage.close();
      await dropDatabase(serverUrl, dbName);
    },
  };
}

async function dropDatabase(serverUrl: string, dbName: string): Promise<void> {
  const client = await MongoClient.connect(serverUrl, { retryWrites: false });
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

if (url === undefined || url === '') {
  console.warn(
    'MongoDB contract suite skipped: set MONGODB_URL=mongodb://127.0.0.1:27017 to run it ' +
      'against a MongoDB (5.0+) or Amazon DocumentDB server',
  );
  describe.skip('storage contract: mongodb (needs MONGODB_URL)', () => {
    it.skip('runs the storage contract against a MongoDB server', () => undefined);
  });
} else {
  runStorageContract('mongodb', () => openFresh(url));

  describe('mongodb adapter specifics', () => {
    const T0 = 1_700_000_000_000;

    it('keeps data across reopen and creates its indexes idempotently', async () => {
      const first = await openFresh(url);
      try {
        await first.storage.createAccount('alice', 'h', T0);
        await first.storage.close();
        const second = await MongoStorage.open({ url, dbName: first.dbName });
        expect((await second.getAccountByUsername('alice'))?.username).toBe('alice');
        await second.close();
      } finally {
        await first.cleanup();
      }
    });

    it('returns plain Uint8Arrays and decimal, increasing serverIds', async () => {
      const { storage: s, cleanup } = await openFresh(url);
      try {
        const a = await s.createAccount('alice', 'h', T0);
        const deviceId = await s.createDevice(a.accountId, T0, 4);
        const device = { accountId: a.accountId, deviceId };
        const send = (clientId: string) =>
          s.enqueueMessage(
            {
              recipient: device,
              senderAccountId: a.accountId,
              senderUsername: 'alice',
              senderDeviceId: deviceId,
              clientId,
              body: new Uint8Array([1, 2, 3]),
              createdAt: T0,
            },
            10,
          );
        const ids = [(await send('x')).serverId, (await send('y')).serverId];
        expect(ids.every((id) => /^[1-9][0-9]*$/.test(id))).toBe(true);
        expect(Number(ids[1])).toBeGreaterThan(Number(ids[0]));
        const [m] = await s.listMessages(device, undefined, 1);
        expect(Object.getPrototypeOf(m?.body)).toBe(Uint8Array.prototype);
        expect(await s.listMessages(device, undefined, 0)).toEqual([]);
      } finally {
        await cleanup();
      }
    });

    it('hands out distinct device ids to concurrent creations within the limit', async () => {
      const { storage: s, cleanup } = await openFresh(url);
      try {
        const a = await s.createAccount('alice', 'h', T0);
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, () => s.createDevice(a.accountId, T0, 4)),
        );
        const ids = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(ids.sort()).toEqual([1, 2, 3, 4]);
        expect((await s.listDevices(a.accountId)).map((d) => d.deviceId)).toEqual([1, 2, 3, 4]);
      } finally {
        await cleanup();
      }
    });
  });
}
