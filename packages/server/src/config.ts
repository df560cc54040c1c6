import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ACCESS_TOKEN_LIFETIME_MS,
  DEFAULT_RATE_LIMITS,
  HEARTBEAT_INTERVAL_MS,
  MAX_BUFFERED_BYTES_PER_CONNECTION,
  MAX_UNACKED_DELIVERIES,
  MAX_UNACKED_DELIVERY_BYTES,
  SCRYPT_LOG2_N,
  SCRYPT_MIN_LOG2_N,
  SHUTDOWN_GRACE_MS,
  WS_TICKET_LIFETIME_MS,
  type RateLimits,
} from './limits.ts';
import type { SqliteSynchronous } from './storage/sqlite/index.ts';

export interface Config {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Holds the SQLite file; created if missing. */
  readonly dataDir: string;
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly logLevel: string;
  /** Honour X-Forwarded-For for per-IP rate limits; only behind a trusted proxy. */
  readonly trustProxy: boolean;
  readonly sqliteSynchronous: SqliteSynchronous;
  readonly scryptLog2N: number;
  readonly tokenLifetimeMs: number;
  readonly ticketLifetimeMs: number;
  readonly heartbeatIntervalMs: number;
  readonly shutdownGraceMs: number;
  readonly rateLimits: RateLimits;
  /** The web client's production build, served at `/` (undefined: API only). */
  readonly webDir: string | undefined;
  /** Unacked deliveries per connection, in frames and bytes (limits.ts); tuning only, not env. */
  readonly deliveryWindow: number;
  readonly deliveryWindowBytes: number;
  /** Unsent bytes before a socket counts as a slow consumer; tuning only. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_CONFIG: Config = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './.data',
  tls: undefined,
  logLevel: 'info',
  trustProxy: false,
  sqliteSynchronous: 'FULL',
  scryptLog2N: SCRYPT_LOG2_N,
  tokenLifetimeMs: ACCESS_TOKEN_LIFETIME_MS,
  ticketLifetimeMs: WS_TICKET_LIFETIME_MS,
  heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  shutdownGraceMs: SHUTDOWN_GRACE_MS,
  rateLimits: DEFAULT_RATE_LIMITS,
  webDir: undefined,
  deliveryWindow: MAX_UNACKED_DELIVERIES,
  deliveryWindowBytes: MAX_UNACKED_DELIVERY_BYTES,
  maxBufferedBytes: MAX_BUFFERED_BYTES_PER_CONNECTION,
};

export function databaseFile(config: Config): string {
  return join(resolve(config.dataDir), 'susurro.db');
}

/** Every problem found in the environment, reported together so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads the environment: HOST, PORT, DATA_DIR, TLS_CERT + TLS_KEY (PEM file paths),
 * LOG_LEVEL, TRUST_PROXY, SQLITE_SYNCHRONOUS (FULL|NORMAL), SCRYPT_LOG2_N (tests only),
 * SHUTDOWN_GRACE_MS. Unset means the default; set-but-invalid is an error, never ignored.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer in [${min}, ${max}]`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name}=${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw as T;
  };
  const readPem = (name: string): string | undefined => {
    const path = get(name);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      problems.push(
        `${name}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
      return undefined;
    }
  };

  const cert = readPem('TLS_CERT');
  const key = readPem('TLS_KEY');
  if ((get('TLS_CERT') === undefined) !== (get('TLS_KEY') === undefined)) {
    problems.push('TLS_CERT and TLS_KEY must be set together');
  }
  const webDir = get('WEB_DIR');
  if (webDir !== undefined && !existsSync(join(webDir, 'index.html'))) {
    problems.push(
      `WEB_DIR=${JSON.stringify(webDir)} has no index.html (npm run build -w @susurro/web)`,
    );
  }
  const config: Config = {
    ...DEFAULT_CONFIG,
    host: get('HOST') ?? DEFAULT_CONFIG.host,
    port: int('PORT', DEFAULT_CONFIG.port, 0, 65_535),
    dataDir: get('DATA_DIR') ?? DEFAULT_CONFIG.dataDir,
    tls: cert !== undefined && key !== undefined ? { cert, key } : undefined,
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, DEFAULT_CONFIG.logLevel),
    trustProxy: oneOf('TRUST_PROXY', ['true', 'false'], 'false') === 'true',
    sqliteSynchronous: oneOf('SQLITE_SYNCHRONOUS', ['FULL', 'NORMAL'] as const, 'FULL'),
    scryptLog2N: int('SCRYPT_LOG2_N', SCRYPT_LOG2_N, SCRYPT_MIN_LOG2_N, 20),
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS', SHUTDOWN_GRACE_MS, 0, 600_000),
    webDir: webDir ?? (existsSync('apps/web/dist/index.html') ? 'apps/web/dist' : undefined),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
