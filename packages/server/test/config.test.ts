import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../src/config.ts';

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
});
