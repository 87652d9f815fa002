import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, tempDir } from './helpers/app.js';

const FIX = path.resolve(import.meta.dirname, 'fixtures', 'serving');
const who = { actor: 'test' };

describe('SLO guard across processes', () => {
  let home: string;
  let a: App;
  let b: App;

  beforeAll(async () => {
    home = tempDir('sextant-slo-');
    const config = loadConfig({ env: { SEXTANT_HOME: home } });
    a = await buildApp(config, { logger: silentLogger });
    b = await buildApp(config, { logger: silentLogger });
    const linear = fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'));
    await a.registry.models.create({ name: 'm', task: 'binary-classification' }, who);
    await a.registry.versions.register('m', bytes(linear), { format: 'sextant-linear', alias: 'champion' }, who);
    await a.registry.versions.register('m', bytes(linear), { format: 'sextant-linear' }, who);
    await a.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion', slo: { maxErrorRate: 0.1, windowSeconds: 60, minRequests: 20 } }, who);
    await a.serving.deployments.canary('m', { version: 2, weight: 30 }, who);
    await a.serving.live.refresh();
    await b.serving.live.refresh();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('combines the canary figures of every process before judging', async () => {
    const da = a.serving.live.get('m')!;
    const db = b.serving.live.get('m')!;
    for (let i = 0; i < 15; i++) a.serving.slo.record(da, 2, 1, true);
    await a.serving.slo.flush(true);
    expect(await a.serving.slo.check()).toEqual([]); // 15 requests: below minRequests
    for (let i = 0; i < 15; i++) b.serving.slo.record(db, 2, 1, true);
    await b.serving.slo.flush(true);
    expect(await a.serving.slo.check()).toEqual(['m']); // 30 across both processes
    const d = await a.serving.deployments.get('m');
    expect(d.canary).toEqual({ version: 2, weight: 0 });
    expect(d.lastEvent!.reason).toMatch(/over 30 requests/);
    await b.serving.live.refresh();
    expect(await b.serving.slo.check()).toEqual([]);
  });
});
