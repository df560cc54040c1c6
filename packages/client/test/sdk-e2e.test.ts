/**
 * Two (or more) SDK clients against a real server process on 127.0.0.1: registration, key
 * publication, real-time and offline delivery, restarts, prekey exhaustion, identity changes,
 * and a check that the server's database holds no plaintext and no private keys.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClientError } from '../src/index.ts';
import { nextMessages, waitForState } from './messenger-waits.ts';
import { PASSWORD, startSdkFixture, type SdkFixture } from './sdk-fixture.ts';
import type { ServerProcess } from './server-process.ts';

let fixture: SdkFixture;
let server: ServerProcess;
let client: SdkFixture['client'];
let registeredPair: SdkFixture['registeredPair'];
let uniqueName: SdkFixture['uniqueName'];

beforeAll(async () => {
  fixture = await startSdkFixture();
  ({ server, client, registeredPair, uniqueName } = fixture);
});
afterAll(async () => {
  await fixture.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SDK end to end', () => {
  it('two clients exchange 100 messages both ways in real time with random delays', async () => {
    const { alice, bob, a, b } = await registeredPair();
    alice.m.connect();
    bob.m.connect();
    await Promise.all([waitForState(alice.m, 'connected'), waitForState(bob.m, 'connected')]);

    const atBob = nextMessages(bob.m, a, 50, 60_000);
    const atAlice = nextMessages(alice.m, b, 50, 60_000);
    const bobHasFirst = nextMessages(bob.m, a, 1);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      sends.push(alice.m.send(b, `a→b ${i}`));
      // Bob needs Alice's first message before he can answer in-session: wait until he has it
      // (the server's ack to Alice says it is queued, not that Bob has received it yet).
      if (i === 0) await Promise.all([sends[0], bobHasFirst]);
      sends.push(bob.m.send(a, `b→a ${i}`));
      await sleep(Math.floor(Math.random() * 8));
    }
    await Promise.all(sends);
    const [gotBob, gotAlice] = await Promise.all([atBob, atAlice]);
    expect(new Set(gotBob.map((r) => r.body))).toEqual(
      new Set(Array.from({ length: 50 }, (_, i) => `a→b ${i}`)),
    );
    expect(new Set(gotAlice.map((r) => r.body))).toEqual(
      new Set(Array.from({ length: 50 }, (_, i) => `b→a ${i}`)),
    );
    // Per-sender order is preserved by the queue and the single session queue.
    expect(gotBob.map((r) => r.body)).toEqual(Array.from({ length: 50 }, (_, i) => `a→b ${i}`));

    // Safety numbers agree on both sides.
    expect((await alice.m.safetyNumber(b)).displayable).toBe(
      (await bob.m.safetyNumber(a)).displayable,
    );
    // Receipts come back as 'delivered'.
    await sleep(500);
    const delivered = (await alice.m.history(b)).filter(
      (r) => r.direction === 'out' && r.status === 'delivered',
    );
    expect(delivered.length).toBeGreaterThan(0);
  });

  it('delivers to an offline recipient when it connects, and resumes sessions after a restart', async () => {
    const { alice, bob, a, b } = await registeredPair();
    for (let i = 0; i < 5; i++) await alice.m.send(b, `offline ${i}`);

    const arrived = nextMessages(bob.m, a, 5);
    bob.m.connect();
    expect((await arrived).map((r) => r.body)).toEqual([0, 1, 2, 3, 4].map((i) => `offline ${i}`));

    // Restart both clients from their config directories; sessions continue.
    await alice.m.close();
    await bob.m.close();
    const alice2 = await client(alice.dir);
    const bob2 = await client(bob.dir);
    expect(alice2.m.isLoggedIn).toBe(true);
    bob2.m.connect();
    alice2.m.connect();
    const back = nextMessages(alice2.m, b);
    await bob2.m.send(a, 'after restart');
    expect((await back)[0]!.body).toBe('after restart');
    const forth = nextMessages(bob2.m, a);
    await alice2.m.send(b, 'still here');
    expect((await forth)[0]!.body).toBe('still here');
    expect((await bob2.m.history(a)).filter((r) => r.direction === 'in')).toHaveLength(6);
  });

  it('falls back to signed-prekey-only X3DH when one-time prekeys run out, then refills', async () => {
    const bob = await client();
    const b = uniqueName('bob');
    await bob.m.register(b, PASSWORD);
    // Two other accounts drain Bob's 100 one-time prekeys (the bundle rate limit is per account).
    for (let d = 0; d < 2; d++) {
      const drainer = await client();
      await drainer.m.register(uniqueName('drain'), PASSWORD);
      for (let i = 0; i < 50; i++) await drainer.m.api.bundles(b);
    }
    expect(await bob.m.api.oneTimePreKeyCount()).toBe(0);

    const carol = await client();
    const c = uniqueName('carol');
    await carol.m.register(c, PASSWORD);
    await carol.m.send(b, 'no prekeys left');
    const received = await bob.m.receivePending();
    expect(received.map((r) => r.body)).toEqual(['no prekeys left']);
    expect(await bob.m.api.oneTimePreKeyCount()).toBe(100);
  });

  it('detects an identity change and blocks sending until the user accepts it', async () => {
    const { alice, b } = await registeredPair();
    await alice.m.send(b, 'hi');
    const before = await alice.m.safetyNumber(b);

    // Bob reinstalls: a new config directory means a new device and a new identity key.
    const bobAgain = await client();
    await bobAgain.m.login(b, PASSWORD);
    const changed = new Promise((resolve) => alice.m.on('identity-changed', resolve));
    const err: unknown = await alice.m.send(b, 'are you still you?').catch((e: unknown) => e);
    expect(isClientError(err, 'UNTRUSTED_IDENTITY')).toBe(true);
    expect((await alice.m.contact(b))?.pendingKey).toBeDefined();
    expect((await alice.m.safetyNumber(b)).displayable).not.toBe(before.displayable);
    void changed;

    await alice.m.acceptIdentity(b);
    await alice.m.send(b, 'accepted');
    const got = await bobAgain.m.receivePending();
    expect(got.map((r) => r.body)).toEqual(['accepted']);
  });

  it("leaves no plaintext and no private key material in the server's database", async () => {
    const files = readdirSync(server.dataDir).map((f) => readFileSync(join(server.dataDir, f)));
    const haystack = Buffer.concat(files);
    for (const needle of [
      'a→b 7',
      'offline 3',
      'after restart',
      'no prekeys left',
      'accepted',
      PASSWORD,
    ]) {
      expect(haystack.includes(Buffer.from(needle)), needle).toBe(false);
    }
    // No client's private identity key appears on the server.
    for (const m of fixture.clients) {
      const identity = await m['options'].store.getIdentity().catch(() => undefined);
      if (identity) expect(haystack.includes(Buffer.from(identity.privateKey))).toBe(false);
    }
  });
});
