#!/usr/bin/env node
// Bundles the deployable artefacts with esbuild (`npm run bundle`; the Dockerfiles copy them):
//   dist/server/main.mjs               the chat service (ECS task / self-hosted node)
//   dist/lambda/on-connect/index.mjs   API Gateway `$connect`    (exports `handler`)
//   dist/lambda/on-disconnect/index.mjs API Gateway `$disconnect` (exports `handler`)
// Usage: node scripts/bundle.mjs [--outdir DIR]   (default: dist)
import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const outFlag = args.indexOf('--outdir');
if (args.some((a, i) => a !== '--outdir' && i !== outFlag + 1)) {
  process.stderr.write('usage: node scripts/bundle.mjs [--outdir DIR]\n');
  process.exit(2);
}
const outdir = resolve(outFlag >= 0 && args[outFlag + 1] ? args[outFlag + 1] : join(root, 'dist'));

/**
 * better-sqlite3 is a native addon: it cannot be bundled, and a Lambda running on DocumentDB
 * must not even load it. This turns its import into a lazy `require` that only runs when the
 * SQLite adapter is first used (the adapter is reached through a dynamic import).
 */
const lazyNativeSqlite = {
  name: 'lazy-native-sqlite',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, () => ({
      path: 'better-sqlite3',
      namespace: 'lazy-native',
    }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-native' }, () => ({
      contents:
        "import { createRequire } from 'node:module';\n" +
        "export default createRequire(import.meta.url)('better-sqlite3');\n",
      loader: 'js',
    }));
  },
};

// Optional peers the MongoDB driver `require`s inside try/catch; none is used here.
const OPTIONAL_PEERS = [
  '@aws-sdk/credential-providers',
  '@mongodb-js/zstd',
  'gcp-metadata',
  'kerberos',
  'mongodb-client-encryption',
  'snappy',
  'socks',
  'aws4',
];

const entries = [
  { in: 'apps/server/src/main.ts', out: 'server/main' },
  { in: 'apps/lambdas/src/on-connect.ts', out: 'lambda/on-connect/index' },
  { in: 'apps/lambdas/src/on-disconnect.ts', out: 'lambda/on-disconnect/index' },
];

for (const entry of entries) {
  await build({
    absWorkingDir: root,
    entryPoints: [{ in: entry.in, out: entry.out }],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    external: OPTIONAL_PEERS,
    plugins: [lazyNativeSqlite],
    // CommonJS dependencies call `require` for Node built-ins; ESM output needs one in scope.
    banner: {
      js: "import { createRequire as __susurroRequire } from 'node:module'; const require = __susurroRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const file = join(outdir, `${entry.out}.mjs`);
  const { size } = await stat(file);
  process.stdout.write(`${relative(root, file)}  ${(size / 1024).toFixed(0)} KiB\n`);
}
