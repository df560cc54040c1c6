/**
 * Property: for any interleaving of sends in both directions with drops, reorders, duplicates
 * and persist/restore of either side, every message delivered for the first time decrypts to
 * what was sent (unless its chain is older than the MAX_RECEIVER_CHAINS bound), and no message
 * ever decrypts twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInitialMessage,
  decodeRatchetMessage,
  isProtocolError,
  MAX_RECEIVER_CHAINS,
  messageType,
  Session,
  toHex,
  type ProtocolEnv,
} from '../src/index.ts';
import {
  bundleOf,
  envFor,
  fastestProvider,
  makeParty,
  respondOptions,
  str,
  text,
  type Party,
} from './helpers.ts';

type Side = 'A' | 'B';
type Op =
  | { kind: 'send'; from: Side }
  | { kind: 'deliver' | 'duplicate' | 'drop'; to: Side; pick: number }
  | { kind: 'persist'; who: Side };

const side = fc.constantFrom<Side>('A', 'B');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), from: side }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('deliver' as const), to: side, pick: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('duplicate' as const), to: side, pick: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('drop' as const), to: side, pick: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('persist' as const), who: side }) },
);

interface Wire {
  bytes: Uint8Array;
  plaintext: string;
}

function ratchetKeyOf(bytes: Uint8Array): string {
  const m =
    messageType(bytes) === 'initial'
      ? decodeInitialMessage(bytes).ratchetMessage
      : decodeRatchetMessage(bytes);
  return toHex(m.header.ratchetKey);
}

/** Totals across runs, to prove the generator really exercises every path. */
const stats = { delivered: 0, replays: 0, restores: 0, dhTurns: 0 };

async function runScenario(ops: Op[], seed: number): Promise<void> {
  const crypto = await fastestProvider();
  const env: Record<Side, ProtocolEnv> = {
    A: envFor(crypto, `pa${seed}`),
    B: envFor(crypto, `pb${seed}`),
  };
  const alice = await makeParty(env.A);
  const bob: Party = await makeParty(env.B);
  const sessions: Partial<Record<Side, Session>> = {
    A: await Session.initiate(env.A, alice.identity, bundleOf(bob)),
  };
  const inFlight: Record<Side, Wire[]> = { A: [], B: [] }; // keyed by recipient
  const delivered: Record<Side, Wire[]> = { A: [], B: [] };
  const seenChains: Record<Side, string[]> = { A: [], B: [] };
  let counter = 0;

  const receive = async (to: Side, bytes: Uint8Array): Promise<Uint8Array> => {
    const existing = sessions[to];
    if (existing) return existing.decrypt(bytes);
    const { session, plaintext, usedOneTimePreKeyId } = await Session.respond(
      env.B,
      respondOptions(bob),
      bytes,
    );
    sessions.B = session;
    if (usedOneTimePreKeyId !== undefined) bob.oneTimePreKeys.delete(usedOneTimePreKeyId);
    return plaintext;
  };

  for (const op of ops) {
    if (op.kind === 'send') {
      const session = sessions[op.from];
      if (!session) continue; // Bob cannot speak before Alice's first message arrives
      const plaintext = `${op.from}${counter++}`;
      inFlight[op.from === 'A' ? 'B' : 'A'].push({
        bytes: await session.encrypt(text(plaintext)),
        plaintext,
      });
    } else if (op.kind === 'persist') {
      const s = sessions[op.who];
      if (s) sessions[op.who] = Session.deserialize(env[op.who], s.serialize());
      if (s) stats.restores++;
    } else if (op.kind === 'drop') {
      const queue = inFlight[op.to];
      if (queue.length) queue.splice(op.pick % queue.length, 1);
    } else if (op.kind === 'duplicate') {
      const done = delivered[op.to];
      if (!done.length) continue;
      const wire = done[op.pick % done.length]!;
      const err: unknown = await receive(op.to, wire.bytes).then(
        () => 'decrypted twice',
        (e: unknown) => e,
      );
      expect(isProtocolError(err), `replay must fail: ${String(err)}`).toBe(true);
      stats.replays++;
    } else {
      const queue = inFlight[op.to];
      if (!queue.length) continue;
      const [wire] = queue.splice(op.pick % queue.length, 1);
      const key = ratchetKeyOf(wire!.bytes);
      const seen = seenChains[op.to];
      const age = seen.includes(key) ? seen.length - seen.indexOf(key) : 0;
      const result = await receive(op.to, wire!.bytes).then(
        (p) => str(p),
        (e: unknown) => e,
      );
      if (age > MAX_RECEIVER_CHAINS) {
        if (typeof result !== 'string') expect(isProtocolError(result)).toBe(true);
      } else {
        expect(result).toBe(wire!.plaintext);
      }
      if (typeof result === 'string') {
        delivered[op.to].push(wire!);
        stats.delivered++;
        if (!seen.includes(key)) {
          seen.push(key);
          stats.dhTurns++;
        }
      }
    }
  }
}

describe('Double Ratchet property', () => {
  it('any interleaving with drops, reorders, duplicates and restarts decrypts each message once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 80 }), fc.nat(), (ops, seed) =>
        // Usually start with a delivered first message, so most runs talk in both directions.
        runScenario(
          seed % 4 === 0
            ? ops
            : [{ kind: 'send', from: 'A' }, { kind: 'deliver', to: 'B', pick: 0 }, ...ops],
          seed,
        ),
      ),
      { numRuns: 60 },
    );
    expect(stats.delivered).toBeGreaterThan(300);
    expect(stats.replays).toBeGreaterThan(10);
    expect(stats.restores).toBeGreaterThan(10);
    expect(stats.dhTurns).toBeGreaterThan(100);
  });
});
