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
  /** Where users, keys and queues live: the embedded SQLite file, or MongoDB / DocumentDB. */
  readonly storage: StorageConfig;
  /** Set: several nodes share deliveries over Redis (self-hosted cluster). */
  readonly redisUrl: string | undefined;
  /** This node's name in the cluster registry (default: host name and process id). */
  readonly nodeId: string | undefined;
  /** Prefix of the cluster's Redis keys and channels (several clusters may share a Redis). */
  readonly clusterName: string;
  /** Who holds the client sockets: this process, or API Gateway (serverless edge). */
  readonly realtime: RealtimeConfig;
}

export type StorageConfig =
  | { readonly kind: 'sqlite' }
  | { readonly kind: 'mongodb'; readonly url: string; readonly dbName: string };

export type RealtimeConfig = { readonly kind: 'websocket' } | GatewayConfig;

/** "Behind a gateway" mode: API Gateway (or `make mock`) holds the sockets. */
export interface GatewayConfig {
  readonly kind: 'gateway';
  /** The management API endpoint: https://{api-id}.execute-api.{region}.amazonaws.com/{stage}. */
  readonly managementUrl: string;
  /** Shared secret the `$default` integration sends in `x-gateway-secret`. */
  readonly secret: string;
  /** The wss:// URL clients connect to (handed out with each ticket). */
  readonly publicWsUrl: string;
  readonly connectionsTable: string;
  /** A local DynamoDB (dynalite) instead of AWS's. */
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string;
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
  storage: { kind: 'sqlite' },
  redisUrl: undefined,
  nodeId: undefined,
  clusterName: 'susurro',
  realtime: { kind: 'websocket' },
};

/** API Gateway's shortest useful secret check: 32 characters of randomness or more. */
const MIN_GATEWAY_SECRET_LENGTH = 32;

export function databaseFile(config: Pick<Config, 'dataDir'>): string {
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
 * SHUTDOWN_GRACE_MS; STORAGE (sqlite|mongodb) with MONGODB_URL and MONGODB_DB; REDIS_URL,
 * NODE_ID and CLUSTER_NAME (cluster); REALTIME (websocket|gateway) with GATEWAY_MANAGEMENT_URL, GATEWAY_SECRET,
 * PUBLIC_WS_URL, CONNECTIONS_TABLE, DYNAMODB_ENDPOINT and AWS_REGION. Unset means the default;
 * set-but-invalid is an error, never ignored.
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
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (protocols.includes(parsed.protocol)) return raw.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    problems.push(
      `${name}=${JSON.stringify(raw)} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`,
    );
    return undefined;
  };
  const name = (variable: string, fallback: string): string => {
    const raw = get(variable);
    if (raw === undefined) return fallback;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) {
      problems.push(`${variable}=${JSON.stringify(raw)} must be 1-64 of A-Z a-z 0-9 _ . -`);
    }
    return raw;
  };
  const required = (name: string, value: string | undefined, why: string): string => {
    if (value === undefined && get(name) === undefined) problems.push(`${name} is required ${why}`);
    return value ?? '';
  };

  const storageKind = oneOf('STORAGE', ['sqlite', 'mongodb'] as const, 'sqlite');
  const storage: StorageConfig =
    storageKind === 'mongodb'
      ? {
          kind: 'mongodb',
          url: required(
            'MONGODB_URL',
            url('MONGODB_URL', ['mongodb:', 'mongodb+srv:']),
            'when STORAGE=mongodb',
          ),
          dbName: get('MONGODB_DB') ?? 'susurro',
        }
      : { kind: 'sqlite' };

  const realtimeKind = oneOf('REALTIME', ['websocket', 'gateway'] as const, 'websocket');
  let realtime: RealtimeConfig = { kind: 'websocket' };
  if (realtimeKind === 'gateway') {
    const why = 'when REALTIME=gateway';
    const secret = required('GATEWAY_SECRET', get('GATEWAY_SECRET'), why);
    if (secret !== '' && secret.length < MIN_GATEWAY_SECRET_LENGTH) {
      problems.push(`GATEWAY_SECRET must be at least ${MIN_GATEWAY_SECRET_LENGTH} characters`);
    }
    realtime = {
      kind: 'gateway',
      managementUrl: required(
        'GATEWAY_MANAGEMENT_URL',
        url('GATEWAY_MANAGEMENT_URL', ['http:', 'https:']),
        why,
      ),
      secret,
      publicWsUrl: required('PUBLIC_WS_URL', url('PUBLIC_WS_URL', ['ws:', 'wss:']), why),
      connectionsTable: get('CONNECTIONS_TABLE') ?? 'connections',
      dynamodbEndpoint: url('DYNAMODB_ENDPOINT', ['http:', 'https:']),
      region: get('AWS_REGION') ?? 'us-east-1',
    };
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
    storage,
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    nodeId: get('NODE_ID'),
    clusterName: name('CLUSTER_NAME', 'susurro'),
    realtime,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
