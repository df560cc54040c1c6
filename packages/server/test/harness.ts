/**
 * Test harness: real SQLite files in temp dirs, servers on 127.0.0.1 with a free port, fast
 * password hashing (tests only), generous rate limits unless a test asks otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  encodePublicKey,
  systemRandom,
} from '@susurro/protocol';
import { nodeCryptoProvider } from '@susurro/protocol/node';
import { composeServer, startServer, type RunningServer } from '../src/server.ts';
import { DEFAULT_CONFIG, type Config } from '../src/config.ts';
import type { RateLimit, RateLimits } from '../src/limits.ts';
import { createLogger } from '../src/logger.ts';
import type { Clock } from '../src/clock.ts';

export const UNLIMITED: RateLimit = { burst: 1e9, perSecond: 1e9 };
export const NO_RATE_LIMITS: RateLimits = {
  loginPerIp: UNLIMITED,
  loginPerUsername: UNLIMITED,
  registerPerIp: UNLIMITED,
  bundleFetchPerAccount: UNLIMITED,
  sendPerDevice: UNLIMITED,
};

export async function tempDir(prefix = 'susurro-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function testConfig(dataDir: string, overrides: Partial<Config> = {}): Config {
  return {
    ...DEFAULT_CONFIG,
    host: '127.0.0.1',
    port: 0,
    dataDir,
    logLevel: 'silent',
    scryptLog2N: 10,
    shutdownGraceMs: 2000,
    rateLimits: NO_RATE_LIMITS,
    ...overrides,
  };
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly close: () => Promise<void>;
}

/** The HTTP app without listening, for `inject`. */
export async function testApp(overrides: Partial<Config> = {}, clock?: Clock): Promise<TestApp> {
  const dir = await tempDir();
  const parts = composeServer(testConfig(dir, overrides), {
    log: createLogger('silent'),
    ...(clock && { clock }),
  });
  await parts.app.ready();
  return {
    app: parts.app,
    close: async () => {
      await parts.app.close();
      await parts.storage.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  readonly wsUrl: string;
  readonly close: () => Promise<void>;
}

export async function testServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dir = await tempDir();
  const server = await startServer(testConfig(dir, overrides), { log: createLogger('silent') });
  return {
    server,
    url: server.url,
    wsUrl: server.wsUrl,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const env = { crypto: nodeCryptoProvider, random: systemRandom };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A real client key set (via @susurro/protocol), in wire form. */
export async function clientKeys(oneTimeCount = 0, startId = 1) {
  const identity = await generateIdentityKeyPair(env);
  const spk = await generateSignedPreKey(env, identity, 1, 1_700_000_000_000);
  const otks = await generateOneTimePreKeys(env, startId, oneTimeCount);
  return {
    identity,
    upload: {
      identityKey: b64(encodePublicKey(identity.publicKey)),
      signedPreKey: {
        keyId: spk.keyId,
        publicKey: b64(encodePublicKey(spk.keyPair.publicKey)),
        signature: b64(spk.signature),
      },
      oneTimePreKeys: otks.map((k) => ({
        keyId: k.keyId,
        publicKey: b64(encodePublicKey(k.keyPair.publicKey)),
      })),
    },
  };
}

export const json = (body: unknown) => ({
  payload: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

/** Registers and logs in a user over `inject`; returns its bearer header. */
export async function signUp(
  app: FastifyInstance,
  username: string,
  password = 'correct horse battery',
) {
  const reg = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    ...json({ username, password }),
  });
  if (reg.statusCode !== 201) throw new Error(`register ${username}: ${reg.body}`);
  const login = await app.inject({
    method: 'POST',
    url: '/v1/sessions',
    ...json({ username, password }),
  });
  if (login.statusCode !== 200) throw new Error(`login ${username}: ${login.body}`);
  const session = login.json<{ token: string; deviceId: number }>();
  return {
    ...session,
    auth: { authorization: `Bearer ${session.token}` },
  };
}
