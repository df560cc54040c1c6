/**
 * Serves the web client's production build (apps/web/dist) at `/`, next to the API:
 *
 * - `/assets/*` are content-hashed by Vite: cached for a year, `immutable`;
 * - every other GET outside the API (`/`, `/chat/alice`, …) gets index.html, `no-cache` (always
 *   revalidated, answered 304 via ETag), so a deploy is picked up on the next load and
 *   client-side routes survive a reload; other files at the build's top level (favicon) are
 *   served as they are;
 * - HTML carries a strict Content-Security-Policy: scripts and styles only from this origin,
 *   no inline code, no framing, no plugins. The page holds private keys; the CSP is the
 *   second wall against XSS after React's escaping.
 *
 * Paths under the API's prefixes never fall through to index.html: they keep the API's JSON
 * 404 (`reply.callNotFound()`). Text assets are gzipped once and kept in memory (the build is
 * a few hundred KB), keyed by path, size and mtime, so a rebuild is picked up without restart.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const WEB_CSP = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths owned by the API and operations endpoints: never answered with the web app. */
const API_PREFIXES = ['/v1', '/metrics', '/healthz', '/readyz', '/openapi.json'];

const ASSET_CACHE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
/** Below this, gzip's header costs more than it saves. */
const GZIP_MIN_BYTES = 1024;

const TYPES: Record<string, { type: string; compress: boolean }> = {
  '.html': { type: 'text/html; charset=utf-8', compress: true },
  '.js': { type: 'text/javascript; charset=utf-8', compress: true },
  '.mjs': { type: 'text/javascript; charset=utf-8', compress: true },
  '.css': { type: 'text/css; charset=utf-8', compress: true },
  '.json': { type: 'application/json; charset=utf-8', compress: true },
  '.webmanifest': { type: 'application/manifest+json', compress: true },
  '.svg': { type: 'image/svg+xml', compress: true },
  '.txt': { type: 'text/plain; charset=utf-8', compress: true },
  '.map': { type: 'application/json; charset=utf-8', compress: true },
  '.png': { type: 'image/png', compress: false },
  '.ico': { type: 'image/x-icon', compress: false },
  '.webp': { type: 'image/webp', compress: false },
  '.woff2': { type: 'font/woff2', compress: false },
};

interface CachedFile {
  readonly version: string;
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly etag: string;
}

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

export function registerStaticWeb(app: FastifyInstance, webDir: string): void {
  const root = resolve(webDir);
  const cache = new Map<string, CachedFile>();

  /** Resolves a URL path inside `root`, or undefined if it is unsafe or names no file. */
  async function load(relative: string): Promise<{ file: CachedFile; ext: string } | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      return undefined;
    }
    // No traversal, no hidden files, no NUL bytes.
    if (decoded.includes('\0') || decoded.split('/').some((s) => s === '..' || s.startsWith('.')))
      return undefined;
    const full = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
    if (!full.startsWith(root + sep)) return undefined;
    const ext = extname(full).toLowerCase();
    const kind = TYPES[ext];
    if (!kind) return undefined;
    let info;
    try {
      info = await stat(full);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const version = `${info.size}:${info.mtimeMs}`;
    let file = cache.get(full);
    if (file?.version !== version) {
      const body = await readFile(full);
      file = {
        version,
        body,
        gzip: kind.compress && body.length >= GZIP_MIN_BYTES ? gzipSync(body) : undefined,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      };
      cache.set(full, file);
    }
    return { file, ext };
  }

  function send(
    request: FastifyRequest,
    reply: FastifyReply,
    { file, ext }: { file: CachedFile; ext: string },
    cacheControl: string,
  ) {
    reply
      .header('content-type', TYPES[ext]!.type)
      .header('cache-control', cacheControl)
      .header('etag', file.etag)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    if (ext === '.html') {
      reply.header('content-security-policy', WEB_CSP).header('x-frame-options', 'DENY');
    }
    if (file.gzip) reply.header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
    const acceptsGzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
    if (file.gzip && acceptsGzip) {
      return reply.header('content-encoding', 'gzip').send(file.gzip);
    }
    return reply.send(file.body);
  }

  async function index(request: FastifyRequest, reply: FastifyReply) {
    const found = await load('/index.html');
    if (!found) return reply.callNotFound();
    return send(request, reply, found, REVALIDATE);
  }

  app.get('/assets/*', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const found = await load(path);
    if (!found) return reply.callNotFound();
    return send(request, reply, found, ASSET_CACHE);
  });

  app.get('/', index);

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (isApiPath(path)) return reply.callNotFound();
    // A top-level file of the build (favicon.svg, robots.txt); anything else is a client route.
    if (extname(path) !== '') {
      const found = path.lastIndexOf('/') === 0 ? await load(path) : undefined;
      if (!found) return reply.callNotFound();
      return send(request, reply, found, REVALIDATE);
    }
    return index(request, reply);
  });
}
