// One entry point bundled the way the deployable artefacts are (scripts/bundle.mjs); the server
// load benchmark bundles its server with it too, so it measures what the image runs.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

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

/**
 * Bundles `entry` (relative to the repository root, or absolute) into the ES module `outfile`,
 * with a linked source map. Resolves with `outfile`.
 */
export async function bundleEntry(entry, outfile) {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Identifiers are not minified, so functions and classes keep their names (stack traces,
    // logged error types) without esbuild's keepNames, which wraps every function expression
    // in a `__name` call that defines a property each time the closure is created: ~2 % of
    // the server's CPU at 10k msg/s, on the message path's per-frame callbacks.
    minifyWhitespace: true,
    minifySyntax: true,
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
  return outfile;
}
