import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, testApp, type TestApp } from './helpers/app.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'serving');
const bc = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')).cases['breast-cancer-logistic'] as { rows: number[][] };
const who = { actor: 'test' };
const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: bc.rows[0] }] });
const json = { 'content-type': 'application/json' };

// A deployment made through another process (here: the service, which leaves this process's
// routing table alone) with the poll an hour away in effect: only catching up on a miss serves it.
describe('a deployment this process has not polled for yet', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await testApp({ env: { SEXTANT_REFRESH_MS: '60000' } });
    await t.app.registry.models.create({ name: 'bc', task: 'binary-classification' }, who);
    await t.app.registry.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear', alias: 'champion' }, who);
    baseUrl = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('is served on its first request, over both transports, instead of "not found" until the next poll', async () => {
    for (const name of ['late', 'later']) await t.app.serving.deployments.create({ name, model: 'bc', alias: 'champion' }, who);
    expect(t.app.serving.inference.find('late')).toBeUndefined();

    const injected = await t.server.inject({ method: 'POST', url: '/v2/models/late/infer', payload: body, headers: json });
    expect(injected.statusCode, injected.body).toBe(200);
    expect(injected.headers['x-model-version']).toBe('1');

    const res = await fetch(`${baseUrl}/v1/deployments/later/invocations`, { method: 'POST', headers: json, body: JSON.stringify({ instances: [bc.rows[0]] }) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
  });

  it('answers metadata and readiness of a new deployment at once, and still 404 for a name nobody made', async () => {
    await t.app.serving.deployments.create({ name: 'newest', model: 'bc', alias: 'champion' }, who);
    const ready = await t.server.inject({ method: 'GET', url: '/v2/models/newest/ready' });
    expect(ready.statusCode, ready.body).toBe(200);

    const missing = await t.server.inject({ method: 'POST', url: '/v2/models/nobody/infer', payload: body, headers: json });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe('deployment nobody not found');
  });
});
