import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from './static-files.js';

const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

describe('serving the dashboard', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-web-'));
  const server = Fastify();
  beforeAll(async () => {
    fs.mkdirSync(path.join(root, 'assets'));
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Sextant</title>');
    fs.writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    fs.writeFileSync(path.join(root, 'assets', 'index-Ab12Cd34.js'), SCRIPT);
    server.get('/api/v1/models', async () => ({ models: [] }));
    registerDashboard(server, root);
    await server.ready();
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const get = (url: string, headers: Record<string, string> = {}) => server.inject({ method: 'GET', url, headers });

  it('answers the page at / revalidated every time, with a content security policy', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<title>Sextant</title>');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const again = await get('/', { 'if-none-match': String(res.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('caches hashed assets for a year and compresses them for clients that accept gzip', async () => {
    const plain = await get('/assets/index-Ab12Cd34.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.body).toBe(SCRIPT);
    const gz = await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
    expect((await get('/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
  });

  it('answers the page for the app\'s own routes, but never shadows the API, inference, metrics or health', async () => {
    const page = await get('/models/fraud?tab=versions', { accept: 'text/html,application/xhtml+xml' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Sextant</title>');
    for (const url of ['/api/v1/nope', '/api', '/v1/deployments/x/invocations', '/v2/models/x', '/metrics', '/healthz', '/readyz']) {
      const res = await get(url, { accept: 'text/html' });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('not_found');
    }
    expect((await get('/api/v1/models', { accept: 'text/html' })).json()).toEqual({ models: [] });
    // Not a page request, a missing asset, or a path that tries to leave the folder: a JSON 404.
    expect((await get('/models/fraud')).statusCode).toBe(404);
    expect((await get('/assets/missing.js', { accept: 'text/html' })).statusCode).toBe(404);
    expect((await get('/assets/../index.html')).statusCode).toBe(404);
    expect((await get('/%2e%2e/package.json')).statusCode).toBe(404);
    expect((await server.inject({ method: 'POST', url: '/models/x', headers: { accept: 'text/html' } })).statusCode).toBe(404);
  });

  it('says how to build the dashboard when it is missing', async () => {
    const bare = Fastify();
    registerDashboard(bare, path.join(root, 'nothing-here'));
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toMatch(/npm run build/);
    await bare.close();
  });
});
