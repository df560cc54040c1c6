// `make mock`: API Gateway WebSocket emulator + a local DynamoDB (dynalite) for the
// connections table, running the real $connect/$disconnect handler code. Pair it with
// `make backend` (the chat service in gateway mode) and `make client`.
//
// Environment: GATEWAY_HOST (127.0.0.1), GATEWAY_PORT (3001), GATEWAY_STAGE (local),
// DYNAMODB_PORT (8001), BACKEND_URL (http://127.0.0.1:8080), GATEWAY_SECRET (required, the
// backend's), and the handlers' own: STORAGE/DATA_DIR/MONGODB_URL (the backend's storage),
// CONNECTIONS_TABLE, AWS_REGION, LOG_LEVEL.
import {
  ConnectionsTable,
  GATEWAY_FRAMES_PATH,
  GATEWAY_SECRET_HEADER,
} from '@susurro/server/gateway';
import { GatewayEmulator } from './emulator.ts';
import { startLocalDynamoDb } from './local-dynamodb.ts';

function fail(message: string): never {
  process.stderr.write(`make mock: ${message}\n`);
  process.exit(78); // EX_CONFIG
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) fail(`${name}=${raw} is not a port number`);
  return n;
}

const host = process.env.GATEWAY_HOST || '127.0.0.1';
const gatewayPort = port('GATEWAY_PORT', 3001);
const dynamoPort = port('DYNAMODB_PORT', 8001);
const stage = process.env.GATEWAY_STAGE || 'local';
if (!/^[A-Za-z0-9_-]{1,128}$/.test(stage)) fail(`GATEWAY_STAGE=${stage} is not a valid stage name`);
const backend = process.env.BACKEND_URL || 'http://127.0.0.1:8080';
try {
  new URL(backend);
} catch {
  fail(`BACKEND_URL=${backend} is not a URL`);
}
const secret = process.env.GATEWAY_SECRET ?? '';
if (secret.length < 32)
  fail('GATEWAY_SECRET must be set (32+ characters, the same as the backend)');

const dynamo = await startLocalDynamoDb(host, dynamoPort);
// The handlers read their wiring from the environment, exactly as in Lambda.
process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
process.env.CONNECTIONS_TABLE ||= 'connections';
process.env.AWS_REGION ||= 'us-east-1';
const table = new ConnectionsTable({
  tableName: process.env.CONNECTIONS_TABLE,
  region: process.env.AWS_REGION,
  endpoint: dynamo.endpoint,
});
await table.ensureTable();
table.close();

const { handler: onConnect } = await import('@susurro/lambdas/on-connect');
const { handler: onDisconnect } = await import('@susurro/lambdas/on-disconnect');
const integration = new URL(GATEWAY_FRAMES_PATH, backend).toString();
const emulator = new GatewayEmulator({
  host,
  port: gatewayPort,
  stage,
  onConnect,
  onDisconnect,
  routes: {
    $default: { kind: 'http', url: integration, headers: { [GATEWAY_SECRET_HEADER]: secret } },
  },
  log: (line) => process.stdout.write(`[gateway] ${line}\n`),
});
await emulator.listen();

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  void emulator
    .close()
    .then(() => dynamo.close())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

process.stdout.write(
  [
    `API Gateway emulator: clients connect to ${emulator.url}`,
    `  management API  ${emulator.managementUrl}/@connections/{connectionId}`,
    `  $default     →  ${integration}`,
    `  DynamoDB        ${dynamo.endpoint} (table ${process.env.CONNECTIONS_TABLE})`,
    '',
  ].join('\n'),
);
