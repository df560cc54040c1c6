/**
 * infra/docker/Dockerfile without a Docker engine: dockerfilelint passes, and the structure the
 * issue asks for holds (multi-stage, pinned bases, non-root chat service with a health check,
 * configured only by environment, Lambda images on the AWS base image). What the images copy
 * is exercised for real in artefacts.test.ts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run as dockerfilelint } from 'dockerfilelint';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../packages/server/src/node-flags.ts';
import { copies, environment, execForm, last, parseDockerfile, type Stage } from './dockerfile.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const DOCKERFILE = join(REPO_ROOT, 'infra/docker/Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
const { stages } = parseDockerfile(text);

function stage(name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

describe('Dockerfile', () => {
  it('passes dockerfilelint (rules: .dockerfilelintrc)', () => {
    expect(dockerfilelint(REPO_ROOT, text)).toEqual([]);
  });

  it('lints a bad Dockerfile as bad (the linter runs)', () => {
    const items = dockerfilelint(REPO_ROOT, 'FROM node:latest\nrun apt-get install curl\n');
    expect(items.map((i) => i.rule).sort()).toEqual(
      expect.arrayContaining(['apt-get_missing_param', 'latest_tag', 'uppercase_commands']),
    );
  });

  it('builds in stages, the chat service being the default (last) target', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'web', 'lambda', 'server']);
    const internal = new Set(stages.map((s) => s.name));
    for (const s of stages.filter((s) => !internal.has(s.from))) {
      expect(s.from, `${s.name} base image pinned`).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(s.from).not.toMatch(/:latest$/);
    }
    // Native addons are compiled in `build` for exactly the runtime that loads them.
    expect(stage('server').from).toBe(stage('build').from);
    for (const s of stages) {
      for (const c of copies(s).filter((c) => c.from !== undefined)) {
        expect(internal, `${s.name} line ${c.line}`).toContain(c.from);
      }
    }
  });

  it('installs from the lockfile with every workspace manifest in place', () => {
    const manifests = copies(stage('build'))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    const workspaces = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
    ).workspaces;
    const expected = workspaces.flatMap((pattern) => {
      const base = pattern.replace(/\/\*$/, '');
      return readdirSync(join(REPO_ROOT, base))
        .filter((dir) => existsSync(join(REPO_ROOT, base, dir, 'package.json')))
        .map((dir) => `${base}/${dir}/package.json`);
    });
    expect(manifests).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', ...expected]),
    );
    const run = stage('build')
      .instructions.filter((i) => i.keyword === 'RUN')
      .map((i) => i.args);
    expect(run).toContain('npm ci --no-audit --no-fund');
    expect(run).toContain('node scripts/bundle.mjs');
  });

  it('runs the chat service as a non-root user with a health check, configured only by env', () => {
    const server = stage('server');
    const user = last(server, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const userIndex = server.instructions.findIndex((i) => i.keyword === 'USER');
    expect(server.instructions.findIndex((i) => i.keyword === 'CMD')).toBeGreaterThan(userIndex);

    const health = last(server, 'HEALTHCHECK');
    expect(health?.args).toMatch(/--interval=\d+s/);
    expect(execForm(health?.args ?? '')).toEqual(['node', '/app/healthcheck.mjs']);
    expect(copies(server)).toContainEqual(
      expect.objectContaining({
        sources: ['infra/docker/healthcheck.mjs'],
        dest: 'healthcheck.mjs',
      }),
    );
    expect(last(server, 'WORKDIR')?.args).toBe('/app');

    expect(execForm(last(server, 'CMD')?.args ?? '')).toEqual([
      'node',
      ...SERVER_NODE_FLAGS,
      'dist/server/main.mjs',
    ]);
    expect(copies(server)).toContainEqual(
      expect.objectContaining({
        from: 'build',
        sources: ['/src/dist/server/main.mjs'],
        dest: 'dist/server/main.mjs',
      }),
    );

    // Every variable set is one the server reads; nothing secret is baked in.
    const env = environment(server);
    const read = readFileSync(join(REPO_ROOT, 'packages/server/src/config.ts'), 'utf8');
    for (const name of env.keys()) {
      if (name === 'NODE_ENV') continue;
      expect(read, `${name} is read by config.ts`).toContain(`'${name}'`);
    }
    expect(env.get('PORT')).toBe('8080');
    expect(last(server, 'EXPOSE')?.args).toBe(env.get('PORT'));
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
        expect(i.args, `line ${i.line}`).not.toMatch(/(SECRET|PASSWORD|TOKEN|PRIVATE_KEY)/i);
      }
    }
  });

  it('starts the chat service with the same V8 flags everywhere (node-flags.ts)', () => {
    const makefile = readFileSync(join(REPO_ROOT, 'Makefile'), 'utf8');
    expect(/^SERVER_NODE_FLAGS := (.*)$/m.exec(makefile)?.[1]?.split(' ')).toEqual(
      SERVER_NODE_FLAGS,
    );
    // Every target that starts the server passes them.
    const starts = makefile.split('\n').filter((l) => l.includes('apps/server/src/main.ts'));
    expect(starts.length).toBeGreaterThan(0);
    for (const line of starts) expect(line).toContain('node $(SERVER_NODE_FLAGS) ');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/server/package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} --import tsx src/main.ts`);
  });

  it('builds each Lambda image from the AWS Lambda Node.js base with one bundled handler', () => {
    const lambda = stage('lambda');
    expect(lambda.from).toMatch(/^public\.ecr\.aws\/lambda\/nodejs:\d+$/);
    expect(lambda.instructions.find((i) => i.keyword === 'ARG')?.args).toBe('FUNCTION=on-connect');
    expect(copies(lambda)).toContainEqual(
      expect.objectContaining({
        from: 'build',
        sources: ['/src/dist/lambda/${FUNCTION}/index.mjs'],
        dest: '${LAMBDA_TASK_ROOT}/',
      }),
    );
    expect(execForm(last(lambda, 'CMD')?.args ?? '')).toEqual(['index.handler']);
  });

  it('puts the DocumentDB CA bundle where Terraform points NODE_EXTRA_CA_CERTS', () => {
    const main = readFileSync(join(REPO_ROOT, 'infra/terraform/main.tf'), 'utf8');
    const server = copies(stage('server')).find(
      (c) => c.sources[0] === '/src/certs/global-bundle.pem',
    );
    const lambda = copies(stage('lambda')).find(
      (c) => c.sources[0] === '/src/certs/global-bundle.pem',
    );
    expect(server?.dest).toBe('certs/');
    expect(lambda?.dest).toBe('${LAMBDA_TASK_ROOT}/certs/');
    expect(main).toContain('server_ca_bundle = "/app/certs/global-bundle.pem"');
    expect(main).toContain('lambda_ca_bundle = "/var/task/certs/global-bundle.pem"');
  });

  it('keeps installs, outputs, git data and secrets out of the build context', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining([
        '.git',
        '**/node_modules',
        '**/dist',
        '.data',
        '**/*.tfvars',
        '**/*.tfstate*',
      ]),
    );
    // …but not what the build needs.
    for (const c of stages.flatMap(copies).filter((c) => c.from === undefined)) {
      for (const src of c.sources.filter((s) => s !== '.')) {
        expect(existsSync(join(REPO_ROOT, src)), src).toBe(true);
        expect(
          ignored.some((pattern) => src === pattern || src.startsWith(`${pattern}/`)),
          src,
        ).toBe(false);
      }
    }
  });
});
