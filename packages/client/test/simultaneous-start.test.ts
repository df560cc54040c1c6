/**
 * Both users send their first message before either has received the other's: each runs X3DH
 * against the other's bundle, and each then answers the other's X3DH too. The SDK keeps the
 * session it replaced as a previous state (MAX_PREVIOUS_SESSIONS), so the conversation goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMessages } from './messenger-waits.ts';
import { startSdkFixture, type SdkFixture } from './sdk-fixture.ts';

let fixture: SdkFixture;
beforeAll(async () => {
  fixture = await startSdkFixture();
});
afterAll(async () => {
  await fixture.close();
});

describe('simultaneous session start', () => {
  it('recovers when both sides start a session at the same moment', async () => {
    const { alice, bob, a, b } = await fixture.registeredPair();
    // Neither is connected: each runs X3DH against the other's bundle, unaware of the other.
    await Promise.all([alice.m.send(b, 'first from alice'), bob.m.send(a, 'first from bob')]);
    await alice.m.send(b, 'second from alice');
    await bob.m.send(a, 'second from bob');
    const atBob = nextMessages(bob.m, a, 2);
    const atAlice = nextMessages(alice.m, b, 2);
    alice.m.connect();
    bob.m.connect();
    expect((await atBob).map((r) => r.body)).toEqual(['first from alice', 'second from alice']);
    expect((await atAlice).map((r) => r.body)).toEqual(['first from bob', 'second from bob']);

    // Each now holds the other's session as current and its own as a previous state: the
    // conversation goes on, both ways, and settles on one session.
    for (let round = 0; round < 3; round++) {
      const toBob = nextMessages(bob.m, a, 1);
      await alice.m.send(b, `alice ${round}`);
      expect((await toBob)[0]!.body).toBe(`alice ${round}`);
      const toAlice = nextMessages(alice.m, b, 1);
      await bob.m.send(a, `bob ${round}`);
      expect((await toAlice)[0]!.body).toBe(`bob ${round}`);
    }
    expect((await alice.m.safetyNumber(b)).displayable).toBe(
      (await bob.m.safetyNumber(a)).displayable,
    );
  });
});
