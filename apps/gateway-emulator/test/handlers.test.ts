import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newSecret } from '@susurro/server';
import { connectEvent, disconnectEvent, startEdge, type EdgeFixture } from './fixtures.ts';

let edge: EdgeFixture;

beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge.close();
});

async function account(name: string) {
  const record = await edge.storage.createAccount(name, 'hash', Date.now());
  const deviceId = await edge.storage.createDevice(record.accountId, Date.now(), 16);
  return { accountId: record.accountId, username: name, deviceId };
}

async function ticketFor(principal: { accountId: string; username: string; deviceId: number }) {
  const ticket = newSecret();
  await edge.storage.createTicket(hashSecret(ticket), principal, Date.now() + 30_000);
  return ticket;
}

describe('onConnect / onDisconnect with API Gateway events', () => {
  it('$connect redeems the ticket once and records the connection', async () => {
    const alice = await account('alice_h1');
    const ticket = await ticketFor(alice);
    const result = await edge.onConnect(connectEvent('AAAAconn1=', { ticket }));
    expect(result).toEqual({ statusCode: 200 });

    const record = await edge.table.get('AAAAconn1=', Date.now());
    expect(record).toMatchObject({ connectionId: 'AAAAconn1=', ...alice });
    // TTL in epoch seconds, at most API Gateway's 2 h connection limit.
    expect(record!.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 7200);
    expect(record!.expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000) + 7000);
    expect(await edge.table.findByDevice('alice_h1', alice.deviceId, Date.now())).toHaveLength(1);

    // Single use: the same ticket again is refused with API Gateway's handshake status.
    const again = await edge.onConnect(connectEvent('AAAAconn2=', { ticket }));
    expect(again.statusCode).toBe(401);
    expect(JSON.parse(again.body!)).toMatchObject({ code: 'TICKET_INVALID' });
    expect(await edge.table.get('AAAAconn2=', Date.now())).toBeUndefined();
  });

  it.each([
    ['no query string', null],
    ['no ticket', { other: 'x' }],
    ['an empty ticket', { ticket: '' }],
    ['an unknown ticket', { ticket: 'A'.repeat(43) }],
  ])('$connect with %s is refused with 401', async (_what, query) => {
    const result = await edge.onConnect(connectEvent('AAAAbad=', query));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body!)).toEqual({
      code: 'TICKET_INVALID',
      message: expect.any(String) as string,
    });
  });

  it('an expired ticket is refused', async () => {
    const bob = await account('bob_h1');
    const ticket = newSecret();
    await edge.storage.createTicket(hashSecret(ticket), bob, Date.now() - 1);
    expect((await edge.onConnect(connectEvent('AAAAexp=', { ticket }))).statusCode).toBe(401);
  });

  it('each handler refuses the other route’s events', async () => {
    expect((await edge.onConnect(disconnectEvent('AAAAx='))).statusCode).toBe(400);
    expect((await edge.onDisconnect(connectEvent('AAAAx=', null))).statusCode).toBe(400);
  });

  it('$disconnect deletes the connection, and is idempotent', async () => {
    const carol = await account('carol_h1');
    await edge.onConnect(connectEvent('AAAAcarol=', { ticket: await ticketFor(carol) }));
    expect(await edge.table.get('AAAAcarol=', Date.now())).toBeDefined();
    expect(await edge.onDisconnect(disconnectEvent('AAAAcarol='))).toEqual({ statusCode: 200 });
    expect(await edge.table.get('AAAAcarol=', Date.now())).toBeUndefined();
    expect(await edge.onDisconnect(disconnectEvent('AAAAcarol='))).toEqual({ statusCode: 200 });
  });

  it('reads drop expired records even before DynamoDB TTL deletes them', async () => {
    const dave = await account('dave_h1');
    const twoHoursAgo = Date.now() - 2 * 60 * 60 * 1000 - 1000;
    await edge.table.put('AAAAold=', dave, twoHoursAgo);
    await edge.table.put('AAAAnew=', dave, Date.now());
    expect(await edge.table.get('AAAAold=', Date.now())).toBeUndefined();
    const live = await edge.table.findByDevice('dave_h1', dave.deviceId, Date.now());
    expect(live.map((r) => r.connectionId)).toEqual(['AAAAnew=']);
  });

  it('a storage outage answers 500 without leaking details', async () => {
    const failing = await import('@susurro/server/gateway').then(({ createConnectHandler }) =>
      createConnectHandler({
        ...edge.deps,
        storage: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:27017')),
      }),
    );
    const result = await failing(connectEvent('AAAAdown=', { ticket: 'x'.repeat(43) }));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('ECONNREFUSED');
  });
});
