import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../src/config.ts';
import { sqliteOptions } from '../src/storage/open-storage.ts';

describe('config from the environment', () => {
  it('defaults to loopback, port 8080, ./.data and production costs', () => {
    const config = loadConfig({});
    expect({ ...config, webDir: undefined }).toEqual(DEFAULT_CONFIG);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: './.data',
      scryptLog2N: 17,
      sqliteSynchronous: 'FULL',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '0',
      DATA_DIR: '/var/lib/susurro',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: 'true',
      SQLITE_SYNCHRONOUS: 'NORMAL',
      SCRYPT_LOG2_N: '12',
      SHUTDOWN_GRACE_MS: '500',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      dataDir: '/var/lib/susurro',
      logLevel: 'debug',
      trustProxy: true,
      sqliteSynchronous: 'NORMAL',
      scryptLog2N: 12,
      shutdownGraceMs: 500,
    });
  });

  it('reports every invalid variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        SCRYPT_LOG2_N: '4',
        TLS_CERT: '/nonexistent.pem',
        TRUST_PROXY: 'yes',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'SCRYPT_LOG2_N',
      'TLS_CERT: cannot read',
      'TLS_CERT and TLS_KEY',
      'TRUST_PROXY',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('loads TLS material from files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'susurro-cfg-'));
    try {
      await writeFile(join(dir, 'c.pem'), 'CERT');
      await writeFile(join(dir, 'k.pem'), 'KEY');
      const config = loadConfig({ TLS_CERT: join(dir, 'c.pem'), TLS_KEY: join(dir, 'k.pem') });
      expect(config.tls).toEqual({ cert: 'CERT', key: 'KEY' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('selects MongoDB storage, a Redis cluster and gateway mode', () => {
    const config = loadConfig({
      STORAGE: 'mongodb',
      MONGODB_URL: 'mongodb://db.internal:27017/?tls=true',
      MONGODB_DB: 'chat',
      REDIS_URL: 'redis://127.0.0.1:6379',
      NODE_ID: 'node-a',
      CLUSTER_NAME: 'eu-1',
      REALTIME: 'gateway',
      GATEWAY_MANAGEMENT_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
      GATEWAY_SECRET: 's'.repeat(40),
      PUBLIC_WS_URL: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      AWS_REGION: 'eu-west-1',
    });
    expect(config.storage).toEqual({
      kind: 'mongodb',
      url: 'mongodb://db.internal:27017/?tls=true',
      dbName: 'chat',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      nodeId: 'node-a',
      clusterName: 'eu-1',
    });
    expect(config.realtime).toEqual({
      kind: 'gateway',
      managementUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      secret: 's'.repeat(40),
      publicWsUrl: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      connectionsTable: 'connections',
      dynamodbEndpoint: undefined,
      region: 'eu-west-1',
    });
  });

  it('reports every missing or malformed deployment variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        STORAGE: 'postgres',
        REDIS_URL: 'http://127.0.0.1:6379',
        CLUSTER_NAME: 'no spaces please',
        REALTIME: 'gateway',
        GATEWAY_SECRET: 'short',
        PUBLIC_WS_URL: 'https://not-a-websocket',
        DYNAMODB_ENDPOINT: 'nope',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const expected of [
      'STORAGE="postgres" must be one of sqlite, mongodb',
      'REDIS_URL',
      'CLUSTER_NAME',
      'GATEWAY_SECRET must be at least 32 characters',
      'GATEWAY_MANAGEMENT_URL is required when REALTIME=gateway',
      'PUBLIC_WS_URL="https://not-a-websocket" must be a ws:// or wss:// URL',
      'DYNAMODB_ENDPOINT',
    ]) {
      expect(problems).toContain(expected);
    }
    expect(() => loadConfig({ STORAGE: 'mongodb' })).toThrow(/MONGODB_URL is required/);
  });
});

describe('SQLite options from the config', () => {
  it('lets a lone process hold its write transaction until each sync, never a cluster node', () => {
    const lone = loadConfig({ DATA_DIR: '/var/lib/susurro' });
    expect(sqliteOptions(lone)).toEqual({
      file: '/var/lib/susurro/susurro.db',
      synchronous: 'FULL',
      singleWriter: true,
    });
    const node = loadConfig({ DATA_DIR: '/var/lib/susurro', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(sqliteOptions(node).singleWriter).toBe(false);
  });
});
