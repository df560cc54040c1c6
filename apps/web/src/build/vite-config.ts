/**
 * The web client's Vite configuration, as a function (Node-side tooling; never imported by
 * the app). Used by `npm run build` / `npm run dev` and by the browser tests, which build the
 * app themselves when dist/ is missing or stale (test/build-web.ts).
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import type { InlineConfig } from 'vite';

export const WEB_ROOT = resolve(import.meta.dirname, '../..');
export const WEB_DIST = resolve(WEB_ROOT, 'dist');

export function webViteConfig(options: {
  command: 'build' | 'serve';
  serverUrl?: string;
  quiet?: boolean;
}): InlineConfig {
  const target = options.serverUrl ?? 'http://127.0.0.1:8080';
  const production = options.command === 'build';
  return {
    configFile: false,
    root: WEB_ROOT,
    base: '/',
    mode: production ? 'production' : 'development',
    // Vite takes NODE_ENV from the environment when it is set, and test runners set it to
    // "test": a build from a test would then ship React's development build. Pin it.
    define: production ? { 'process.env.NODE_ENV': JSON.stringify('production') } : {},
    plugins: [react()],
    logLevel: options.quiet ? 'warn' : 'info',
    clearScreen: false,
    build: {
      outDir: WEB_DIST,
      emptyOutDir: true,
      // Browsers with WebCrypto X25519 are all far newer than ES2022.
      target: 'es2022',
      // Every asset is a file under /assets (CSP: no data: scripts or styles).
      assetsInlineLimit: 0,
      // Evergreen browsers support <link rel=modulepreload>; skip the polyfill's bytes.
      modulePreload: { polyfill: false },
      reportCompressedSize: true,
      rolldownOptions: {
        output: {
          // Libraries in their own chunks: a deploy that changes only the app leaves React
          // and the audited crypto cached (their hashed names do not change).
          codeSplitting: {
            groups: [
              { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
              { name: 'crypto', test: /[\\/]node_modules[\\/]@noble[\\/]/ },
            ],
          },
        },
      },
    },
    server: {
      host: '127.0.0.1',
      // `npm run dev` talks to a running chat server (make run) through Vite's proxy.
      proxy: { '/v1': { target, ws: true, changeOrigin: false } },
    },
  };
}
