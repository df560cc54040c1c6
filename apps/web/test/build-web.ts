/**
 * Builds apps/web/dist when it is missing or older than any input (the app's sources and the
 * SDK and protocol it bundles), with Vite's build() API and a time bound. Browser tests call
 * it first, so `make test` on a fresh clone tests what the server would serve.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { WEB_DIST, WEB_ROOT, webViteConfig } from '../src/build/vite-config.ts';

const REPO_ROOT = resolve(WEB_ROOT, '../..');
const INPUTS = [
  join(WEB_ROOT, 'src'),
  join(WEB_ROOT, 'public'),
  join(WEB_ROOT, 'index.html'),
  join(WEB_ROOT, 'package.json'),
  join(REPO_ROOT, 'packages/client/src'),
  join(REPO_ROOT, 'packages/protocol/src'),
  join(REPO_ROOT, 'package-lock.json'),
];

function newestMtime(path: string): number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export async function ensureWebBuild(timeoutMs = 90_000): Promise<'up-to-date' | 'built'> {
  const builtAt = statSync(join(WEB_DIST, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (builtAt > Math.max(...INPUTS.map(newestMtime))) return 'up-to-date';
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      build(webViteConfig({ command: 'build', quiet: true })),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`vite build took over ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return 'built';
}
