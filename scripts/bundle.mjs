#!/usr/bin/env node
// Bundles the deployable artefacts with esbuild (`npm run bundle`; the Dockerfiles copy them):
//   dist/server/main.mjs               the chat service (ECS task / self-hosted node)
//   dist/lambda/on-connect/index.mjs   API Gateway `$connect`    (exports `handler`)
//   dist/lambda/on-disconnect/index.mjs API Gateway `$disconnect` (exports `handler`)
// Usage: node scripts/bundle.mjs [--outdir DIR]   (default: dist)
import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from './bundle-entry.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const outFlag = args.indexOf('--outdir');
if (args.some((a, i) => a !== '--outdir' && i !== outFlag + 1)) {
  process.stderr.write('usage: node scripts/bundle.mjs [--outdir DIR]\n');
  process.exit(2);
}
const outdir = resolve(outFlag >= 0 && args[outFlag + 1] ? args[outFlag + 1] : join(root, 'dist'));

const entries = [
  { in: 'apps/server/src/main.ts', out: 'server/main' },
  { in: 'apps/lambdas/src/on-connect.ts', out: 'lambda/on-connect/index' },
  { in: 'apps/lambdas/src/on-disconnect.ts', out: 'lambda/on-disconnect/index' },
];

for (const entry of entries) {
  const file = await bundleEntry(entry.in, join(outdir, `${entry.out}.mjs`));
  const { size } = await stat(file);
  process.stdout.write(`${relative(root, file)}  ${(size / 1024).toFixed(0)} KiB\n`);
}
