import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { sendError } from './errors.js';

/** Where `npm run build` puts the dashboard (the same from `src/server` and `dist/server`). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths the dashboard never answers, so an unknown API route stays a JSON 404. */
const RESERVED = /^\/(?:api|v1|v2|metrics|healthz|readyz)(?:[/?]|$)/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.map', '.txt']);

/**
 * The page's rules: scripts and styles from this server only (inline styles for uPlot and the
 * HTML reports and cards it shows), no plugins, not framed by other sites.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "frame-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface File {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  immutable: boolean;
}

/** Serves the built dashboard: hashed assets cached for a year, the page itself revalidated every time. */
export interface DashboardFiles {
  /** Whether a built dashboard was found. */
  readonly built: boolean;
  /** Answers a file, or the page for a dashboard route; false when the request is not the dashboard's. */
  serve(req: FastifyRequest, reply: FastifyReply): boolean;
}

function load(file: string, immutable: boolean): File {
  const body = fs.readFileSync(file);
  const ext = path.extname(file);
  return {
    body,
    // Compressed once, when first asked for; the whole dashboard is a few hundred kilobytes.
    gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null,
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    immutable,
  };
}

function send(req: FastifyRequest, reply: FastifyReply, f: File): void {
  reply
    .header('content-type', f.type)
    .header('etag', f.etag)
    .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff');
  if (f.type.startsWith('text/html')) reply.header('content-security-policy', CSP).header('referrer-policy', 'same-origin');
  if (req.headers['if-none-match'] === f.etag) {
    void reply.code(304).send();
    return;
  }
  const gzip = f.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (f.gzip !== null) reply.header('vary', 'accept-encoding');
  if (gzip) reply.header('content-encoding', 'gzip');
  void reply.code(200).send(gzip ? f.gzip : f.body);
}

/** The dashboard under `root` (by default the build in the package). */
export function dashboardFiles(root = DASHBOARD_DIR): DashboardFiles {
  const index = path.join(root, 'index.html');
  const built = fs.existsSync(index);
  // Only files present at start are served, by exact name: no path ever reaches the file system.
  const names = new Map<string, { file: string; immutable: boolean }>();
  if (built) {
    for (const e of fs.readdirSync(root, { withFileTypes: true })) if (e.isFile()) names.set(`/${e.name}`, { file: path.join(root, e.name), immutable: false });
    const assets = path.join(root, 'assets');
    if (fs.existsSync(assets)) for (const name of fs.readdirSync(assets)) names.set(`/assets/${name}`, { file: path.join(assets, name), immutable: true });
  }
  const cache = new Map<string, File>();
  const file = (urlPath: string): File | null => {
    const hit = cache.get(urlPath);
    if (hit) return hit;
    const found = names.get(urlPath);
    if (!found) return null;
    const f = load(found.file, found.immutable);
    cache.set(urlPath, f);
    return f;
  };
  return {
    built,
    serve(req, reply) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const urlPath = req.url.split('?')[0]!;
      if (RESERVED.test(urlPath)) return false;
      const direct = urlPath === '/' || urlPath === '/index.html' ? null : file(urlPath);
      if (direct) {
        send(req, reply, direct);
        return true;
      }
      // A dashboard route (a page the app draws) gets the page; anything else asking for
      // something other than HTML is a 404 like any unknown path.
      const wantsPage = urlPath === '/' || /text\/html/.test(String(req.headers.accept ?? ''));
      if (!wantsPage || urlPath.startsWith('/assets/')) return false;
      if (!built) throw new AppError('not_found', 'the dashboard is not built in this installation: run `npm run build` (npm install does it)');
      send(req, reply, file('/index.html')!);
      return true;
    },
  };
}

/**
 * Serves the dashboard at `/`: its files, and its page for any other path a browser asks for
 * (never under /api, /v1, /v2, /metrics, /healthz or /readyz, which keep their JSON 404).
 */
export function registerDashboard(server: FastifyInstance, root = DASHBOARD_DIR): void {
  const dashboard = dashboardFiles(root);
  const page = (req: FastifyRequest, reply: FastifyReply) => {
    try {
      if (!dashboard.serve(req, reply)) sendError(new AppError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply);
    } catch (err) {
      sendError(err, req, reply);
    }
  };
  server.get('/', page);
  server.get('/assets/*', page);
  server.setNotFoundHandler(page);
}
