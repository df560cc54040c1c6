/**
 * The exact artefacts the images copy, run without Docker. `node scripts/bundle.mjs` bundles
 * once into a temp directory; then
 *  - the chat-service image's files are laid out from the Dockerfile's COPY lines and started
 *    with the image's environment: /healthz, /readyz, the web client and /metrics answer, and
 *    the image's health-check script agrees, over HTTP and HTTPS;
 *  - each Lambda handler runs alone in an empty directory, as in its image (DocumentDB config),
 *    and in local mode on SQLite against dynalite, with a table created from Terraform's
 *    definition: a real ticket records the connection, $disconnect removes it.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '@susurro/gateway-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEvent, disconnectEvent } from '../../apps/gateway-emulator/test/fixtures.ts';
import {
  buildArtefacts,
  createConnectionsTable,
  freePort,
  healthCheck as runHealthCheck,
  invokeLambda,
  startImageServer,
  type Artefacts,
  type ImageServer,
} from './artefact-fixtures.ts';
import { exportedMetrics, typesInExposition } from './exported-metrics.ts';
import { selfSignedCertificate } from '../../packages/server/test/self-signed.ts';

const TABLE = 'connections';

let artefacts: Artefacts;
let dynamo: LocalDynamoDb;
let dynamoClient: DynamoDBClient;
let dataDir: string;
let server: ImageServer;
let baseUrl: string;

const healthCheck = (env: Record<string, string>) => runHealthCheck(artefacts, env);
const invoke = (module: string, events: readonly unknown[], env: Record<string, string>) =>
  invokeLambda(artefacts, module, events, env);
const dynamoEnv = () => ({
  CONNECTIONS_TABLE: TABLE,
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  LOG_LEVEL: 'silent',
});

beforeAll(async () => {
  artefacts = await buildArtefacts();
  dynamo = await startLocalDynamoDb();
  dynamoClient = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createConnectionsTable(dynamoClient, TABLE);
  dataDir = join(artefacts.work, 'data');
  server = await startImageServer(artefacts, { DATA_DIR: dataDir });
  baseUrl = `http://127.0.0.1:${server.port}`;
}, 240_000);

afterAll(async () => {
  await server?.stop();
  dynamoClient?.destroy();
  await dynamo?.close();
  await artefacts?.cleanup();
}, 30_000);

describe('bundle (node scripts/bundle.mjs)', () => {
  it('writes the files the images copy', () => {
    for (const file of [
      'server/main.mjs',
      'lambda/on-connect/index.mjs',
      'lambda/on-disconnect/index.mjs',
    ]) {
      expect(existsSync(join(artefacts.bundleDir, file)), file).toBe(true);
    }
  });
});

describe('chat-service image', () => {
  it('holds the bundle, better-sqlite3, the web client and the health check, nothing unplanned', () => {
    expect(artefacts.layout.copied).toEqual(
      expect.arrayContaining([
        '/app/dist/server/main.mjs',
        '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
        '/app/web/',
        '/app/healthcheck.mjs',
      ]),
    );
    // Only the CA bundle comes from outside (downloaded by the build stage).
    expect(artefacts.layout.skipped).toEqual(['/src/certs/global-bundle.pem (from build)']);
    expect(existsSync(join(artefacts.imageRoot, 'app/web/index.html'))).toBe(true);
  });

  it('starts from its CMD and answers /healthz and /readyz', async () => {
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });

  it('serves the web client from WEB_DIR', async () => {
    const page = await fetch(`${baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('exports on /metrics every metric family createMetrics declares', async () => {
    const live = typesInExposition(await (await fetch(`${baseUrl}/metrics`)).text());
    const declared = (await exportedMetrics()).types;
    expect(declared.size).toBeGreaterThan(10);
    for (const [name, type] of declared) expect(live.get(name), name).toBe(type);
  });

  it('passes its own health check, over HTTP and HTTPS, and fails it when the server is gone', async () => {
    expect(await healthCheck({ HOST: '0.0.0.0', PORT: String(server.port) })).toBe(0);
    expect(await healthCheck({ HOST: '127.0.0.1', PORT: String(await freePort()) })).toBe(1);

    // TLS_CERT/TLS_KEY set: the same image serves HTTPS and the check follows (self-signed).
    const { cert, key } = selfSignedCertificate(artefacts.work);
    const https = await startImageServer(artefacts, {
      TLS_CERT: cert,
      TLS_KEY: key,
      DATA_DIR: join(artefacts.work, 'data-tls'),
    });
    try {
      expect(await healthCheck(https.env)).toBe(0);
      expect(await healthCheck({ ...https.env, TLS_CERT: '' })).toBe(1);
    } finally {
      await https.stop();
    }
  });
});

describe('Lambda images: the handler file alone, configured for DocumentDB', () => {
  // As in the image: index.mjs in an empty task root, no node_modules anywhere above it.
  const alone = async (fn: string) => {
    const task = join(artefacts.work, `task-${fn}`);
    await mkdir(task, { recursive: true });
    await copyFile(join(artefacts.bundleDir, `lambda/${fn}/index.mjs`), join(task, 'index.mjs'));
    return join(task, 'index.mjs');
  };
  // A DocumentDB URL nothing answers: these events must be settled without storage.
  const aws = () => ({
    ...dynamoEnv(),
    STORAGE: 'mongodb',
    MONGODB_URL: 'mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500',
    CONNECTION_TTL_SECONDS: '7200',
  });

  it('onConnect refuses a $connect without a valid ticket with 401', async () => {
    const results = await invoke(
      await alone('on-connect'),
      [connectEvent('gone-1', null), connectEvent('gone-2', { other: 'x' })],
      aws(),
    );
    expect(results.map((r) => r.statusCode)).toEqual([401, 401]);
    expect(JSON.parse(results[0]?.body ?? '{}')).toMatchObject({ code: 'TICKET_INVALID' });
  });

  it('onDisconnect answers 200 for a connection it never saw', async () => {
    const results = await invoke(
      await alone('on-disconnect'),
      [disconnectEvent('never-seen')],
      aws(),
    );
    expect(results).toEqual([{ statusCode: 200 }]);
  });
});

describe('Lambda handlers in local mode (SQLite, dynalite, the table from Terraform)', () => {
  const local = () => ({ ...dynamoEnv(), STORAGE: 'sqlite', DATA_DIR: dataDir });
  const onConnect = () => join(artefacts.bundleDir, 'lambda/on-connect/index.mjs');
  const onDisconnect = () => join(artefacts.bundleDir, 'lambda/on-disconnect/index.mjs');

  async function ticketFor(username: string): Promise<string> {
    const json = { 'content-type': 'application/json' };
    const credentials = JSON.stringify({ username, password: 'correct horse battery staple' });
    expect(
      (await fetch(`${baseUrl}/v1/accounts`, { method: 'POST', headers: json, body: credentials }))
        .status,
    ).toBe(201);
    const session = (await (
      await fetch(`${baseUrl}/v1/sessions`, { method: 'POST', headers: json, body: credentials })
    ).json()) as { token: string };
    const ticket = (await (
      await fetch(`${baseUrl}/v1/ws-ticket`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}` },
      })
    ).json()) as { ticket: string };
    return ticket.ticket;
  }

  it('$connect without a ticket: 401; $disconnect of an unknown connection: 200', async () => {
    expect(
      (await invoke(onConnect(), [connectEvent('c-none', null)], local())).map((r) => r.statusCode),
    ).toEqual([401]);
    expect(await invoke(onDisconnect(), [disconnectEvent('c-unknown')], local())).toEqual([
      { statusCode: 200 },
    ]);
  });

  it('records a ticketed connection, refuses the ticket twice, and forgets it on $disconnect', async () => {
    const ticket = await ticketFor('ops_alice');
    const before = Date.now();
    const connected = await invoke(
      onConnect(),
      [connectEvent('c-alice', { ticket }), connectEvent('c-replay', { ticket })],
      local(),
    );
    expect(connected.map((r) => r.statusCode)).toEqual([200, 401]);

    const { Item } = await dynamoClient.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { connectionId: { S: 'c-alice' } },
        ConsistentRead: true,
      }),
    );
    expect(Item?.username).toEqual({ S: 'ops_alice' });
    expect(Item?.accountId?.S).toBeTruthy();
    expect(Number(Item?.deviceId?.N)).toBeGreaterThanOrEqual(1);
    const connectedAt = Number(Item?.connectedAt?.N);
    expect(connectedAt).toBeGreaterThanOrEqual(before);
    // TTL in epoch seconds, at most API Gateway's 2-hour connection lifetime away.
    expect(Number(Item?.expiresAt?.N)).toBe(Math.floor(connectedAt / 1000) + 7200);

    const byUser = await dynamoClient.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'username-index',
        KeyConditionExpression: 'username = :u',
        ExpressionAttributeValues: { ':u': { S: 'ops_alice' } },
      }),
    );
    expect(byUser.Items?.map((i) => i.connectionId?.S)).toEqual(['c-alice']);

    expect(await invoke(onDisconnect(), [disconnectEvent('c-alice')], local())).toEqual([
      { statusCode: 200 },
    ]);
    const after = await dynamoClient.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { connectionId: { S: 'c-alice' } },
        ConsistentRead: true,
      }),
    );
    expect(after.Item).toBeUndefined();
  });
});
