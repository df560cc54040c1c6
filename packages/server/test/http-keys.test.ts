import { afterEach, describe, expect, it } from 'vitest';
import { clientKeys, json, signUp, testApp, type TestApp } from './harness.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

type Res = Awaited<ReturnType<TestApp['app']['inject']>>;
const code = (res: Res) => [res.statusCode, res.json<{ code: string }>().code];

async function setup() {
  t = await testApp();
  const alice = await signUp(t.app, 'alice');
  const bob = await signUp(t.app, 'bob');
  const put = (body: unknown, auth = alice.auth) =>
    t!.app.inject({
      method: 'PUT',
      url: '/v1/keys',
      ...json(body),
      headers: { ...json(body).headers, ...auth },
    });
  const bundle = (query = '', auth = bob.auth) =>
    t!.app.inject({ method: 'GET', url: `/v1/users/alice/bundle${query}`, headers: auth });
  return { app: t.app, alice, bob, put, bundle };
}

const flip = (b64: string, index: number) => {
  const bytes = Buffer.from(b64, 'base64');
  bytes[index]! ^= 0x01;
  return bytes.toString('base64');
};

describe('key directory (RF05, RF06)', () => {
  it('publishes verified keys and hands out each one-time prekey once', async () => {
    const { put, bundle, alice } = await setup();
    const keys = await clientKeys(2);
    const res = await put(keys.upload);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ identityKeyChanged: false, oneTimePreKeyCount: 2 });

    const first = (await bundle()).json<{
      username: string;
      devices: Array<Record<string, unknown>>;
    }>();
    expect(first.username).toBe('alice');
    expect(first.devices).toEqual([
      {
        deviceId: alice.deviceId,
        identityKey: keys.upload.identityKey,
        identityKeyUpdatedAt: expect.any(Number) as unknown,
        signedPreKey: keys.upload.signedPreKey,
        oneTimePreKey: keys.upload.oneTimePreKeys[0],
      },
    ]);
    expect((await bundle()).json<typeof first>().devices[0]?.oneTimePreKey).toEqual(
      keys.upload.oneTimePreKeys[1],
    );
    const third = (await bundle()).json<typeof first>().devices[0]!;
    expect(third).not.toHaveProperty('oneTimePreKey');
    expect(third.signedPreKey).toEqual(keys.upload.signedPreKey);
  });

  it('rejects a signed prekey whose signature does not verify', async () => {
    const { put } = await setup();
    const keys = await clientKeys();
    const other = await clientKeys();
    const spk = keys.upload.signedPreKey;
    const bad = [
      { ...keys.upload, signedPreKey: { ...spk, signature: flip(spk.signature, 5) } },
      { ...keys.upload, signedPreKey: { ...spk, publicKey: other.upload.signedPreKey.publicKey } },
      { ...keys.upload, identityKey: other.upload.identityKey },
      { ...keys.upload, signedPreKey: { ...spk, signature: Buffer.alloc(63).toString('base64') } },
      { ...keys.upload, signedPreKey: { ...spk, signature: Buffer.alloc(64).toString('base64') } },
    ];
    for (const body of bad) expect(code(await put(body))).toEqual([400, 'BAD_SIGNATURE']);
  });

  it('rejects malformed keys and base64 with their codes', async () => {
    const { put } = await setup();
    const { upload } = await clientKeys(1);
    const raw = Buffer.from(upload.identityKey, 'base64');
    const wrongType = Buffer.from(raw);
    wrongType[0] = 0x06;
    const lowOrder = Buffer.concat([Buffer.of(5), Buffer.alloc(32)]);
    const cases: Array<[unknown, string]> = [
      [{ ...upload, identityKey: 'not base64!' }, 'BAD_BASE64'],
      [{ ...upload, identityKey: upload.identityKey.slice(0, -1) }, 'BAD_BASE64'],
      [
        {
          ...upload,
          signedPreKey: {
            ...upload.signedPreKey,
            signature: upload.signedPreKey.signature.replace(/==$/, ''),
          },
        },
        'BAD_BASE64',
      ],
      [
        {
          ...upload,
          identityKey: upload.identityKey.replace(/\+/g, '-').replace(/\//g, '_') + '-',
        },
        'BAD_BASE64',
      ],
      [{ ...upload, identityKey: raw.subarray(1).toString('base64') }, 'INVALID_KEY'],
      [{ ...upload, identityKey: wrongType.toString('base64') }, 'INVALID_KEY'],
      [{ ...upload, identityKey: lowOrder.toString('base64') }, 'INVALID_KEY'],
      [
        { ...upload, oneTimePreKeys: [{ keyId: 1, publicKey: lowOrder.toString('base64') }] },
        'INVALID_KEY',
      ],
      [{ ...upload, signedPreKey: { ...upload.signedPreKey, keyId: -1 } }, 'VALIDATION_FAILED'],
      [{ ...upload, signedPreKey: { ...upload.signedPreKey, keyId: '1' } }, 'VALIDATION_FAILED'],
      [{ identityKey: upload.identityKey }, 'VALIDATION_FAILED'],
    ];
    for (const [body, expected] of cases) {
      expect(code(await put(body))[1], JSON.stringify(body).slice(0, 120)).toBe(expected);
    }
  });

  it('accepts at most 100 one-time prekeys per request and counts what is left', async () => {
    const { app, put, alice } = await setup();
    const keys = await clientKeys(101);
    const add = (oneTimePreKeys: unknown) =>
      app.inject({
        method: 'POST',
        url: '/v1/keys/one-time',
        ...json({ oneTimePreKeys }),
        headers: { ...json({}).headers, ...alice.auth },
      });
    expect(code(await add(keys.upload.oneTimePreKeys.slice(0, 1)))).toEqual([
      409,
      'NO_IDENTITY_KEY',
    ]);
    expect((await put({ ...keys.upload, oneTimePreKeys: [] })).statusCode).toBe(200);
    expect(code(await add(keys.upload.oneTimePreKeys))).toEqual([400, 'VALIDATION_FAILED']);
    expect(code(await add([]))).toEqual([400, 'VALIDATION_FAILED']);
    const ok = await add(keys.upload.oneTimePreKeys.slice(0, 100));
    expect(ok.json()).toEqual({ oneTimePreKeyCount: 100 });
    const count = await app.inject({
      method: 'GET',
      url: '/v1/keys/one-time/count',
      headers: alice.auth,
    });
    expect(count.json()).toEqual({ oneTimePreKeyCount: 100 });
  });

  it('makes an identity key change visible to peers', async () => {
    const { app, put, bundle } = await setup();
    const before = await clientKeys(3);
    await put(before.upload);
    const pinned = (await bundle()).json<{
      devices: Array<{ identityKey: string; identityKeyUpdatedAt: number }>;
    }>().devices[0]!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reinstall = await clientKeys(0);
    expect((await put(reinstall.upload)).json()).toEqual({
      identityKeyChanged: true,
      oneTimePreKeyCount: 0,
    });
    const now = (await bundle()).json<{ devices: Array<Record<string, unknown>> }>().devices[0]!;
    expect(now.identityKey).toBe(reinstall.upload.identityKey);
    expect(now.identityKey).not.toBe(pinned.identityKey);
    expect(now.identityKeyUpdatedAt as number).toBeGreaterThan(pinned.identityKeyUpdatedAt);
    // The old install's prekeys are gone, not handed out with the new identity.
    expect(now).not.toHaveProperty('oneTimePreKey');
    const identity = await app.inject({
      method: 'GET',
      url: '/v1/users/ALICE/identity',
      headers: (await signUp(app, 'carol')).auth,
    });
    expect(identity.json()).toEqual({
      username: 'alice',
      devices: [
        {
          deviceId: 1,
          identityKey: reinstall.upload.identityKey,
          identityKeyUpdatedAt: now.identityKeyUpdatedAt,
        },
      ],
    });
  });

  it('answers NOT_FOUND / DEVICE_NOT_FOUND for users and devices without keys', async () => {
    const { bundle, put, app, bob } = await setup();
    expect(code(await bundle())).toEqual([404, 'DEVICE_NOT_FOUND']);
    await put((await clientKeys()).upload);
    expect(code(await bundle('?deviceId=2'))).toEqual([404, 'DEVICE_NOT_FOUND']);
    expect((await bundle('?deviceId=1')).statusCode).toBe(200);
    expect(code(await bundle('?deviceId=abc'))).toEqual([400, 'VALIDATION_FAILED']);
    expect(code(await bundle('?deviceId=99999999999'))).toEqual([400, 'VALIDATION_FAILED']);
    for (const name of ['nobody', 'x', '%E2%98%83'.repeat(3)]) {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/users/${name}/bundle`,
        headers: bob.auth,
      });
      expect(code(res)).toEqual([404, 'NOT_FOUND']);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/users/alice/bundle' })).statusCode).toBe(
      401,
    );
  });

  it('hands 10 one-time prekeys to exactly 10 of 50 concurrent bundle fetches', async () => {
    const { put, bundle } = await setup();
    const keys = await clientKeys(10);
    await put(keys.upload);
    const results = await Promise.all(Array.from({ length: 50 }, () => bundle()));
    const taken = results.map((r) => {
      expect(r.statusCode).toBe(200);
      return r.json<{ devices: Array<{ oneTimePreKey?: { keyId: number } }> }>().devices[0]
        ?.oneTimePreKey?.keyId;
    });
    const handedOut = taken.filter((k) => k !== undefined);
    expect(new Set(handedOut).size).toBe(10);
    expect(handedOut).toHaveLength(10);
    expect(taken.filter((k) => k === undefined)).toHaveLength(40);
  });

  it('rate limits bundle fetches per requesting account', async () => {
    t = await testApp({
      rateLimits: {
        loginPerIp: { burst: 100, perSecond: 100 },
        loginPerUsername: { burst: 100, perSecond: 100 },
        registerPerIp: { burst: 100, perSecond: 100 },
        bundleFetchPerAccount: { burst: 3, perSecond: 0.001 },
        sendPerDevice: { burst: 100, perSecond: 100 },
      },
    });
    const alice = await signUp(t.app, 'alice');
    const bob = await signUp(t.app, 'bob');
    const carol = await signUp(t.app, 'carol');
    const keys = await clientKeys(10);
    await t.app.inject({
      method: 'PUT',
      url: '/v1/keys',
      ...json(keys.upload),
      headers: { ...json({}).headers, ...alice.auth },
    });
    const fetch = (auth: Record<string, string>) =>
      t!.app.inject({ method: 'GET', url: '/v1/users/alice/bundle', headers: auth });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(bob.auth)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await fetch(carol.auth)).statusCode).toBe(200);
  });
});
