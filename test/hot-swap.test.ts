import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { startServer, type RunningServer } from '../src/server/index.js';
import { createLogger } from '../src/shared/logger.js';
import { buildApp } from '../src/app.js';
import { bytes, tempDir } from './helpers/app.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'serving');
const bc = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')).cases['breast-cancer-logistic'] as { rows: number[][] };
const signature = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'signature.json'), 'utf8'));
const who = { actor: 'test' };
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function infer(url: string, body: string): Promise<{ status: number; version: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v2/models/bc/infer`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, version: String(res.headers['x-model-version']) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('hot swap under load', () => {
  let running: RunningServer;
  let home: string;

  beforeAll(async () => {
    home = tempDir('sextant-swap-');
    const config = loadConfig({ env: { SEXTANT_HOME: home, SEXTANT_PORT: '0', SEXTANT_REFRESH_MS: '100' } });
    const app = await buildApp(config, { logger: createLogger('silent') });
    const r = app.registry;
    await r.models.create({ name: 'bc', task: 'binary-classification' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-logreg.onnx'))), { format: 'onnx', signature, alias: 'champion' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear' }, who);
    await app.serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' }, who);
    running = await startServer(config, app);
  });

  afterAll(async () => {
    await running?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('flips the alias 20 times under concurrent load with zero failed requests, each flip live within 1 s', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: bc.rows[0] }] });
    let stop = false;
    let sent = 0;
    const failures: number[] = [];
    const served = new Map<string, number>();
    const loops = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await infer(running.url, body);
        sent++;
        if (r.status !== 200) failures.push(r.status);
        served.set(r.version, (served.get(r.version) ?? 0) + 1);
      }
    });
    const delays: number[] = [];
    for (let flip = 0; flip < 20; flip++) {
      const target = flip % 2 === 0 ? 2 : 1;
      const t0 = performance.now();
      await running.app.registry.aliases.set('bc', 'champion', { version: target, reason: `flip ${flip}` }, who);
      // Another process would learn of it from the change sequence; poll like a client would.
      for (;;) {
        if ((await infer(running.url, body)).version === String(target)) break;
        if (performance.now() - t0 > 5000) throw new Error(`flip ${flip} not live after 5 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      delays.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(500);
    expect(served.get('1')).toBeGreaterThan(0);
    expect(served.get('2')).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThan(1000);
  });
});
