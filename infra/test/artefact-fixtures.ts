/**
 * Fixtures for artefacts.test.ts: the bundle and the chat-service image laid out on disk, the
 * image started the way Docker would start it, bundled Lambda handlers invoked the way the
 * Lambda runtime would, and the connections table created from Terraform's definition.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type ScalarAttributeType,
} from '@aws-sdk/client-dynamodb';
import { build as viteBuild } from 'vite';
import { webViteConfig } from '../../apps/web/src/build/vite-config.ts';
import { environment, execForm, last, parseDockerfile, type Stage } from './dockerfile.ts';
import { layOutStage, type Layout } from './image-layout.ts';
import { blockBody, loadTerraform, nestedBlocks, resource } from './terraform-config.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const RUNNER = new URL('./invoke-lambda.mjs', import.meta.url).pathname;
const execFileAsync = promisify(execFile);
/** Node 20 is supported here; the AWS SDK's notice about its future Node 22 floor is noise. */
const QUIET = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export interface Artefacts {
  /** Temp directory outside the repository (image layout, web build, scratch files). */
  readonly work: string;
  /** `scripts/bundle.mjs --outdir`: inside node_modules/.cache, so better-sqlite3 resolves. */
  readonly bundleDir: string;
  /** The chat-service image's `/`. */
  readonly imageRoot: string;
  readonly serverStage: Stage;
  readonly layout: Layout;
  cleanup(): Promise<void>;
}

/** Bundles once, builds the web client (the `web` stage) and lays out the server image. */
export async function buildArtefacts(): Promise<Artefacts> {
  const bundler = join(REPO_ROOT, 'scripts/bundle.mjs');
  if (!existsSync(bundler)) {
    throw new Error('scripts/bundle.mjs is missing: the images have nothing to copy');
  }
  const work = await mkdtemp(join(tmpdir(), 'susurro-artefacts-'));
  await mkdir(join(REPO_ROOT, 'node_modules/.cache'), { recursive: true });
  const bundleDir = await mkdtemp(join(REPO_ROOT, 'node_modules/.cache/susurro-bundle-'));
  const cleanup = async () => {
    await rm(work, { recursive: true, force: true });
    await rm(bundleDir, { recursive: true, force: true });
  };
  try {
    await execFileAsync(process.execPath, [bundler, '--outdir', bundleDir], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    });
    // Into a temp dir: apps/web/dist belongs to the browser tests running alongside.
    const webDir = join(work, 'web-dist');
    const web = webViteConfig({ command: 'build', quiet: true });
    await viteBuild({ ...web, build: { ...web.build, outDir: webDir } });

    const dockerfile = readFileSync(join(REPO_ROOT, 'infra/docker/Dockerfile'), 'utf8');
    const serverStage = parseDockerfile(dockerfile).stages.find((s) => s.name === 'server');
    if (!serverStage) throw new Error('the Dockerfile has no server stage');
    const imageRoot = join(work, 'image');
    const layout = await layOutStage(serverStage, imageRoot, '/app', {
      repoRoot: REPO_ROOT,
      bundleDir,
      webDir,
    });
    return { work, bundleDir, imageRoot, serverStage, layout, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Runs the image's health check (Docker HEALTHCHECK, ECS healthCheck); its exit code. */
export async function healthCheck(
  artefacts: Artefacts,
  env: Record<string, string>,
): Promise<number> {
  try {
    await execFileAsync(process.execPath, [join(artefacts.imageRoot, 'app/healthcheck.mjs')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 10_000,
    });
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
}

export interface ImageServer {
  readonly port: number;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the laid-out chat-service image as its CMD with its ENV. Only the host paths, the
 * loopback address, the port and (for speed) password hashing differ. Ready when the image's
 * own health check passes.
 */
export async function startImageServer(
  artefacts: Artefacts,
  overrides: Record<string, string>,
): Promise<ImageServer> {
  const port = await freePort();
  const app = join(artefacts.imageRoot, 'app');
  const env = {
    PATH: process.env.PATH ?? '',
    ...Object.fromEntries(environment(artefacts.serverStage)),
    HOST: '127.0.0.1',
    PORT: String(port),
    WEB_DIR: join(app, 'web'),
    SCRYPT_LOG2_N: '10',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  // The image's own command line (V8 flags included), with this machine's node.
  const [, ...args] = execForm(last(artefacts.serverStage, 'CMD')?.args ?? '');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  while ((await healthCheck(artefacts, env)) !== 0) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`the image did not become healthy:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, env, stop };
}

export interface LambdaResult {
  readonly statusCode: number;
  readonly body?: string;
}

/**
 * Runs a handler module in a fresh Node process (one warm environment) over `events`. Async:
 * a dynalite in this process must keep answering while the handler runs.
 */
export async function invokeLambda(
  artefacts: Artefacts,
  modulePath: string,
  events: readonly unknown[],
  env: Record<string, string>,
): Promise<LambdaResult[]> {
  const dir = await mkdtemp(join(artefacts.work, 'invoke-'));
  await writeFile(join(dir, 'events.json'), JSON.stringify(events));
  try {
    await execFileAsync(
      process.execPath,
      [RUNNER, modulePath, join(dir, 'events.json'), join(dir, 'results.json')],
      { env: { PATH: process.env.PATH ?? '', ...QUIET, ...env }, timeout: 30_000 },
    );
  } catch (e) {
    const { stderr = '', stdout = '' } = e as { stderr?: string; stdout?: string };
    throw new Error(`handler failed: ${String(e)}\n${stderr}\n${stdout}`);
  }
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as LambdaResult[];
}

/** The connections table exactly as infra/terraform/dynamodb.tf declares it. */
export async function createConnectionsTable(client: DynamoDBClient, name: string): Promise<void> {
  const table = resource(await loadTerraform(), 'aws_dynamodb_table.connections');
  const gsi = blockBody(table.global_secondary_index);
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: String(table.billing_mode) as 'PAY_PER_REQUEST',
      AttributeDefinitions: nestedBlocks(table, 'attribute').map((a): AttributeDefinition => ({
        AttributeName: String(a.name),
        AttributeType: String(a.type) as ScalarAttributeType,
      })),
      KeySchema: [{ AttributeName: String(table.hash_key), KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: String(gsi.name),
          KeySchema: [
            { AttributeName: String(gsi.hash_key), KeyType: 'HASH' },
            { AttributeName: String(gsi.range_key), KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: String(gsi.projection_type) as 'ALL' },
        },
      ],
    }),
  );
}
