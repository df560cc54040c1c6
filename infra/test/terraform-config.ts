/**
 * Reads infra/terraform with HashiCorp's HCL parser (@cdktf/hcl2json: HCL → JSON, and the AST
 * of every expression) so tests can check the configuration without a `terraform` binary:
 * what is declared, and every reference made from any expression.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpressionAst, parse } from '@cdktf/hcl2json';

export const TERRAFORM_DIR = new URL('../terraform/', import.meta.url).pathname;

/** A block body as hcl2json renders it: attributes, nested blocks as arrays, `${…}` strings. */
export type Body = Record<string, unknown>;

export interface TerraformConfig {
  readonly files: readonly string[];
  readonly variables: ReadonlyMap<string, Body>;
  readonly locals: ReadonlyMap<string, unknown>;
  /** `type.name` → body. */
  readonly resources: ReadonlyMap<string, Body>;
  /** `data.type.name` → body. */
  readonly data: ReadonlyMap<string, Body>;
  readonly outputs: ReadonlyMap<string, Body>;
  readonly modules: ReadonlyMap<string, Body>;
  /** Every `${…}` string with where it sits, for reference checks. */
  readonly expressions: readonly Expression[];
}

export interface Expression {
  readonly file: string;
  /** e.g. `resource.aws_lb.api.subnets`. */
  readonly path: string;
  readonly text: string;
  /** Names valid as the first part of a traversal here (each, dynamic block iterators, …). */
  readonly scope: readonly string[];
}

export interface Reference {
  readonly file: string;
  readonly path: string;
  /** `var.x`, `local.y`, `aws_lb.api.arn`, `data.aws_region.current.name`, `each.key`, … */
  readonly parts: readonly string[];
}

const BUILTIN_ROOTS = ['each', 'count', 'self', 'path', 'terraform'];

function record(value: unknown): Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Body)
    : {};
}

/** An attribute as text: an expression's `${…}` string as is, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** hcl2json renders each block as a one-element array of its body. */
export function blockBody(value: unknown): Body {
  return Array.isArray(value) ? record(value[0]) : record(value);
}

/** Nested blocks of a body (e.g. `statement`, `ingress`) as a list of bodies. */
export function nestedBlocks(body: Body, name: string): Body[] {
  const value = body[name];
  return Array.isArray(value) ? value.map(record) : [];
}

export async function loadTerraform(dir = TERRAFORM_DIR): Promise<TerraformConfig> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const variables = new Map<string, Body>();
  const locals = new Map<string, unknown>();
  const resources = new Map<string, Body>();
  const data = new Map<string, Body>();
  const outputs = new Map<string, Body>();
  const modules = new Map<string, Body>();
  const expressions: Expression[] = [];

  const declare = <T>(map: Map<string, T>, key: string, value: T, file: string) => {
    if (map.has(key)) throw new Error(`${file}: ${key} is declared twice`);
    map.set(key, value);
  };

  for (const file of files) {
    const doc = record(await parse(file, readFileSync(join(dir, file), 'utf8')));
    for (const [name, value] of Object.entries(record(doc.variable))) {
      const body = blockBody(value);
      declare(variables, name, body, file);
      // A variable's `type` is a type constraint (string, map(...)), not an expression.
      const { type: _type, ...rest } = body;
      collect(rest, file, `variable.${name}`, [], expressions);
    }
    for (const block of Array.isArray(doc.locals) ? doc.locals : []) {
      for (const [name, value] of Object.entries(record(block))) {
        declare(locals, name, value, file);
        collect(value, file, `local.${name}`, [], expressions);
      }
    }
    for (const [kind, target] of [
      ['resource', resources],
      ['data', data],
    ] as const) {
      for (const [type, named] of Object.entries(record(doc[kind]))) {
        for (const [name, value] of Object.entries(record(named))) {
          const body = blockBody(value);
          const key = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
          declare(target, key, body, file);
          // `dynamic "x"` blocks bring an iterator named x into scope; lifecycle lists
          // attribute names (ignore_changes), not references.
          const iterators = Object.keys(record(body.dynamic));
          const { lifecycle: _lifecycle, ...rest } = body;
          collect(rest, file, `${kind}.${type}.${name}`, iterators, expressions);
        }
      }
    }
    for (const [name, value] of Object.entries(record(doc.output))) {
      declare(outputs, name, blockBody(value), file);
      collect(value, file, `output.${name}`, [], expressions);
    }
    for (const [name, value] of Object.entries(record(doc.module))) {
      declare(modules, name, blockBody(value), file);
      collect(value, file, `module.${name}`, [], expressions);
    }
    for (const block of Object.values(record(doc.provider))) {
      collect(block, file, 'provider', [], expressions);
    }
  }
  return { files, variables, locals, resources, data, outputs, modules, expressions };
}

function collect(
  value: unknown,
  file: string,
  path: string,
  scope: readonly string[],
  out: Expression[],
): void {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push({ file, path, text: value, scope });
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, file, path, scope, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      collect(item, file, `${path}.${key}`, scope, out);
  }
}

interface AstNode {
  readonly type: string;
  readonly meta?: {
    readonly keyVar?: string;
    readonly valVar?: string;
    readonly traversal?: readonly { readonly type: string; readonly segment?: string }[];
  };
  readonly children?: readonly AstNode[];
}

/**
 * Every traversal in an expression (`var.x`, `aws_lb.api.dns_name`, …), minus names that are
 * local to it: `for` variables, each/count/self/path/terraform and dynamic-block iterators.
 */
export async function referencesIn(expression: Expression): Promise<Reference[]> {
  const ast = (await getExpressionAst(expression.file, `"${expression.text}"`)) as AstNode | null;
  const found: Reference[] = [];
  const local = new Set([...BUILTIN_ROOTS, ...expression.scope]);
  const visit = (node: AstNode, bound: ReadonlySet<string>) => {
    let inner = bound;
    if (node.type === 'for') {
      inner = new Set([...bound, node.meta?.keyVar ?? '', node.meta?.valVar ?? ''].filter(Boolean));
    }
    if (node.type === 'scopeTraversal') {
      const parts: string[] = [];
      for (const step of node.meta?.traversal ?? []) {
        if (step.type !== 'nameTraversal' || step.segment === undefined) break;
        parts.push(step.segment);
      }
      const root = parts[0];
      if (root !== undefined && !inner.has(root) && !local.has(root)) {
        found.push({ file: expression.file, path: expression.path, parts });
      }
    }
    for (const child of node.children ?? []) visit(child, inner);
  };
  if (ast) visit(ast, new Set());
  return found;
}

/** The declaration a reference needs, or why it cannot resolve. */
export function resolve(config: TerraformConfig, ref: Reference): string | undefined {
  const [root, a, b] = ref.parts;
  const missing = (what: string) => `${ref.file} (${ref.path}): ${what} is not declared`;
  switch (root) {
    case 'var':
      return a !== undefined && config.variables.has(a) ? undefined : missing(`var.${a}`);
    case 'local':
      return a !== undefined && config.locals.has(a) ? undefined : missing(`local.${a}`);
    case 'module':
      return a !== undefined && config.modules.has(a) ? undefined : missing(`module.${a}`);
    case 'data':
      return config.data.has(`data.${a}.${b}`) ? undefined : missing(`data.${a}.${b}`);
    default:
      if (root !== undefined && /^[a-z][a-z0-9]*_[a-z0-9_]+$/.test(root)) {
        return config.resources.has(`${root}.${a}`) ? undefined : missing(`${root}.${a}`);
      }
      return `${ref.file} (${ref.path}): unknown name ${ref.parts.join('.')}`;
  }
}

export async function allReferences(config: TerraformConfig): Promise<Reference[]> {
  const refs: Reference[] = [];
  for (const expression of config.expressions) refs.push(...(await referencesIn(expression)));
  return refs;
}

export function resource(config: TerraformConfig, address: string): Body {
  const body = config.resources.get(address);
  if (body === undefined) throw new Error(`resource ${address} is missing`);
  return body;
}

export function resourcesOfType(config: TerraformConfig, type: string): [string, Body][] {
  return [...config.resources].filter(([address]) => address.startsWith(`${type}.`));
}

/**
 * The values an attribute takes across a `for_each = local.X` resource: `${each.value.f}`
 * looked up in each entry of the local map; a literal as itself.
 */
export function valuesAcrossForEach(
  config: TerraformConfig,
  body: Body,
  attribute: string,
): unknown[] {
  const value = body[attribute];
  const field =
    typeof value === 'string' ? /^\$\{each\.value\.(\w+)\}$/.exec(value)?.[1] : undefined;
  const source =
    typeof body.for_each === 'string' ? /^\$\{local\.(\w+)\}$/.exec(body.for_each)?.[1] : undefined;
  if (field === undefined || source === undefined) return [value];
  return Object.values(record(config.locals.get(source))).map((entry) => record(entry)[field]);
}
