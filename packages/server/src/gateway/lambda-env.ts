import { systemClock } from '../clock.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openStorage } from '../storage/open-storage.ts';
import type { Storage } from '../storage/types.ts';
import { ConnectionsTable, MAX_CONNECTION_TTL_SECONDS } from './connections-table.ts';
import type { LambdaHandlerDeps } from './lambda-handlers.ts';

/**
 * The Lambda functions' wiring from their environment: the chat service's storage variables
 * (STORAGE, MONGODB_URL, MONGODB_DB; DATA_DIR for SQLite in local runs), CONNECTIONS_TABLE,
 * AWS_REGION (set by Lambda), DYNAMODB_ENDPOINT (local only), CONNECTION_TTL_SECONDS (≤ 7200)
 * and LOG_LEVEL. Invalid values throw a ConfigError during init, which Lambda reports.
 */
export function lambdaDepsFromEnv(env: Record<string, string | undefined>): LambdaHandlerDeps {
  const config = loadConfig(env);
  const rawTtl = env.CONNECTION_TTL_SECONDS?.trim();
  const ttlSeconds =
    rawTtl === undefined || rawTtl === '' ? MAX_CONNECTION_TTL_SECONDS : Number(rawTtl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_CONNECTION_TTL_SECONDS) {
    throw new ConfigError([
      `CONNECTION_TTL_SECONDS=${JSON.stringify(rawTtl)} must be an integer in [60, ${MAX_CONNECTION_TTL_SECONDS}]`,
    ]);
  }
  const connections = new ConnectionsTable({
    tableName: env.CONNECTIONS_TABLE?.trim() || 'connections',
    region: env.AWS_REGION?.trim() || 'us-east-1',
    endpoint: env.DYNAMODB_ENDPOINT?.trim() || undefined,
    ttlSeconds,
  });
  let storage: Promise<Storage> | undefined;
  return {
    // One connection per warm container; a failed open is retried by the next invocation.
    storage: () =>
      (storage ??= openStorage(config).catch((e: unknown) => {
        storage = undefined;
        throw e;
      })),
    connections,
    clock: systemClock,
    log: createLogger(config.logLevel).child({ service: 'susurro-lambda' }),
  };
}
