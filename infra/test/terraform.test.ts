/**
 * infra/terraform without a `terraform` binary: every .tf file parses with HashiCorp's HCL
 * parser, every variable, local, resource, data source and module reference resolves, nothing
 * declared is dead, variables are described and validated, secret.tfvars stays out of git.
 * `terraform fmt -check` runs too where Terraform is installed; CI always runs fmt and validate
 * (.github/workflows/ci.yml). The resources themselves: terraform-architecture.test.ts and
 * terraform-iam-monitoring.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TERRAFORM_DIR,
  allReferences,
  loadTerraform,
  nestedBlocks,
  referencesIn,
  resolve,
  type Body,
  type Reference,
  type TerraformConfig,
} from './terraform-config.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

let config: TerraformConfig;
let refs: Reference[];

beforeAll(async () => {
  config = await loadTerraform();
  refs = await allReferences(config);
}, 60_000);

const source = (file: string) => readFileSync(join(TERRAFORM_DIR, file), 'utf8');

describe('terraform: parsing and references', () => {
  it('parses every file, split by concern', () => {
    expect(config.files).toEqual(
      expect.arrayContaining([
        'versions.tf',
        'variables.tf',
        'outputs.tf',
        'network.tf',
        'ecr.tf',
        'apigateway.tf',
        'lambda.tf',
        'ecs.tf',
        'alb.tf',
        'dynamodb.tf',
        'documentdb.tf',
        'iam.tf',
        'autoscaling.tf',
        'monitoring.tf',
      ]),
    );
    expect(config.expressions.length).toBeGreaterThan(100);
  });

  it('resolves every variable, local, resource, data source and module reference', () => {
    const problems = refs.map((ref) => resolve(config, ref)).filter((p) => p !== undefined);
    expect(problems).toEqual([]);
    expect(refs.length).toBeGreaterThan(200);
  });

  it('finds an unknown reference (the checker is not blind)', async () => {
    const found = await referencesIn({
      file: 'x.tf',
      path: 'test',
      text: '${[for k, v in local.nope : aws_lb.missing[k].arn if v != var.gone]}',
      scope: [],
    });
    const problems = found.map((ref) => resolve(config, ref));
    expect(problems).toEqual([
      'x.tf (test): local.nope is not declared',
      'x.tf (test): aws_lb.missing is not declared',
      'x.tf (test): var.gone is not declared',
    ]);
  });

  it('leaves nothing declared unused', () => {
    const used = new Set(refs.map((ref) => ref.parts.slice(0, 2).join('.')));
    const usedResources = new Set(
      refs.map((ref) => ref.parts.slice(0, ref.parts[0] === 'data' ? 3 : 2).join('.')),
    );
    expect([...config.variables.keys()].filter((name) => !used.has(`var.${name}`))).toEqual([]);
    expect([...config.locals.keys()].filter((name) => !used.has(`local.${name}`))).toEqual([]);
    expect([...config.data.keys()].filter((name) => !usedResources.has(name))).toEqual([]);
  });

  it('is formatted like `terraform fmt` (where Terraform is installed)', (ctx) => {
    const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      ctx.skip('terraform is not installed here; CI runs `terraform fmt -check` and `validate`');
      return;
    }
    const fmt = spawnSync('terraform', ['fmt', '-check', '-diff', '-recursive', TERRAFORM_DIR], {
      encoding: 'utf8',
    });
    expect(fmt.stdout, 'terraform fmt -diff').toBe('');
    expect(fmt.status).toBe(0);
  });
});

describe('terraform: variables, outputs and secret.tfvars', () => {
  it('gives every variable a description and a type, and validates most', () => {
    for (const [name, body] of config.variables) {
      expect(typeof body.description === 'string' && body.description.length > 10, name).toBe(true);
      expect(body.type, name).toBeDefined();
    }
    const validated = [...config.variables.values()].filter(
      (body) => nestedBlocks(body, 'validation').length > 0,
    );
    expect(validated.length / config.variables.size).toBeGreaterThan(0.8);
  });

  it('marks secrets sensitive', () => {
    for (const name of ['gateway_secret', 'documentdb_master_password']) {
      expect(config.variables.get(name)?.sensitive, name).toBe(true);
    }
  });

  it('outputs the WebSocket URL and the API URL, with descriptions', () => {
    for (const name of [
      'websocket_url',
      'api_url',
      'ecr_repository_urls',
      'ecs_cluster_name',
      'ecs_service_name',
    ]) {
      const output = config.outputs.get(name);
      expect(output, name).toBeDefined();
      expect(typeof output?.description, name).toBe('string');
    }
  });

  it('ships secret.tfvars.example covering every required variable, and ignores secret.tfvars', async () => {
    const example = (await parse(
      'secret.tfvars.example',
      readFileSync(join(TERRAFORM_DIR, 'secret.tfvars.example'), 'utf8'),
    )) as Body;
    for (const name of Object.keys(example)) expect(config.variables.has(name), name).toBe(true);
    const required = [...config.variables]
      .filter(([, body]) => !('default' in body))
      .map(([name]) => name);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(Object.keys(example), `required ${name}`).toContain(name);

    const ignored = spawnSync('git', ['check-ignore', '-q', 'infra/terraform/secret.tfvars'], {
      cwd: REPO_ROOT,
    });
    expect(ignored.status, 'secret.tfvars must be git-ignored').toBe(0);
    const example_ignored = spawnSync(
      'git',
      ['check-ignore', '-q', 'infra/terraform/secret.tfvars.example'],
      {
        cwd: REPO_ROOT,
      },
    );
    expect(example_ignored.status, 'the example must stay tracked').toBe(1);
  });

  it('keeps state remote, configured at init time', () => {
    const terraform = config.files.includes('versions.tf') ? source('versions.tf') : '';
    expect(terraform).toMatch(/backend "s3" \{\}/);
    expect(
      execFileSync('git', ['check-ignore', '-v', 'x.tfstate'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      }),
    ).toMatch(/tfstate/);
  });
});
