import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftHtml, driftReport } from '../src/stats/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const who = { actor: 'test' };
const targets = await databaseTargets();

/** Deterministic standard normals (Box–Muller over a small LCG). */
function normals(seed: number, n: number): number[] {
  let s = seed;
  const u = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/**
 * The drift report of a deployment window over REST is the page `sextant drift --html` writes for
 * the same reference and logged inputs, and a drift alert carries the path of its window's report.
 */
describe.each(targets)('the drift report route and drift alerts on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const x0 = normals(11, 300);
  const x1 = normals(12, 300);
  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    t = await testApp({ database: db.config, env: { SEXTANT_MONITOR_INTERVAL_MS: '3600000' } });
    await t.app.registry.models.create({ name: 'm', task: 'binary-classification' }, who);
    const model = { format: 'sextant-linear', features: ['x0', 'x1'], link: 'logistic', classes: [0, 1], coefficients: [[1, 1]], intercept: [0] };
    await t.app.registry.versions.register('m', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.monitoring.references.upload('m', 1, ['x0,x1', ...x0.map((v, i) => `${v},${x1[i]}`)].join('\n'), 'csv');
    await t.app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('serves the window’s HTML report, and the drift alert links to it', async () => {
    await t.app.monitoring.monitors.create({ deployment: 'm', windowRows: 20 });
    const shifted = normals(13, 100).map((v, i) => [v + 2, x1[i]! + 2]);
    for (let i = 0; i < 100; i += 5) {
      const res = await t.server.inject({ method: 'POST', url: '/v1/deployments/m/invocations', payload: { instances: shifted.slice(i, i + 5) } });
      expect(res.statusCode, res.body).toBe(200);
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.app.monitoring.predictions.flush();
    const [w] = await t.app.monitoring.monitors.evaluateDue();
    expect(w!.drift).toMatchObject({ drifted: true, driftedShare: 1 });
    const [alert] = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=m' })).json().alerts.filter((a: { rule: string }) => a.rule === 'drift');
    const q = new URLSearchParams({ since: w!.windowStart, until: w!.windowEnd });
    expect(alert.report).toBe(`/api/v1/deployments/m/drift/report.html?${q.toString()}`);
    const page = await t.server.inject({ method: 'GET', url: alert.report });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // The same page the CLI writes for the same two samples.
    const current = { x0: shifted.map((r) => r[0]!), x1: shifted.map((r) => r[1]!) };
    const reference = { x0, x1 };
    const expected = driftHtml(driftReport(reference, current), reference, current, `Drift of m (version 1) from ${w!.windowStart} to ${w!.windowEnd}`);
    expect(page.body).toBe(expected);
    expect(page.body).not.toMatch(/<script|src="http/);
  });

  it('multivariate drift as a monitor rule: a flipped correlation that no single feature shows, linked to the report with its multivariate section', async () => {
    await t.app.registry.models.create({ name: 'mv', task: 'regression' }, who);
    const model = { format: 'sextant-linear', features: ['a', 'b'], link: 'identity', coefficients: [[1, 1]], intercept: [0] };
    await t.app.registry.versions.register('mv', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    // Reference: b follows a. Window: b follows −a. Each feature alone is still N(0, ~1).
    const a = normals(21, 400);
    const e = normals(22, 400).map((v) => v * 0.2);
    await t.app.monitoring.references.upload('mv', 1, ['a,b', ...a.slice(0, 300).map((v, i) => `${v},${v + e[i]!}`)].join('\n'), 'csv');
    await t.app.serving.deployments.create({ name: 'mv', model: 'mv', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    const created = await t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'mv', windowRows: 20, thresholds: { multivariate: 'reconstruction' } } });
    expect(created.statusCode, created.body).toBe(201);
    const flipped = a.slice(300).map((v, i) => [v, -v + e[300 + i]!]);
    for (let i = 0; i < 100; i += 5) {
      expect((await t.server.inject({ method: 'POST', url: '/v1/deployments/mv/invocations', payload: { instances: flipped.slice(i, i + 5) } })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.app.monitoring.predictions.flush();
    const [w] = (await t.app.monitoring.monitors.evaluateDue()).filter((r) => r.deployment === 'mv');
    const mv = (w as { multivariate?: { drifted: boolean; reconstruction: { error: number; upper: number; chunkSize: number } } }).multivariate!;
    expect(w!.drift).toMatchObject({ drifted: false, driftedShare: 0 });
    expect(mv.drifted).toBe(true);
    expect(mv.reconstruction.error).toBeGreaterThan(mv.reconstruction.upper);
    expect(mv.reconstruction.chunkSize).toBe(30);
    expect(w!.alert.join('\n')).toMatch(/multivariate drift: reconstruction error \S+ outside the reference band/);
    const [alert] = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=mv' })).json().alerts.filter((x: { rule: string }) => x.rule === 'multivariate_drift');
    expect(alert.report).toBe(`/api/v1/deployments/mv/drift/report.html?${new URLSearchParams({ since: w!.windowStart, until: w!.windowEnd })}&multivariate=reconstruction`);
    const page = await t.server.inject({ method: 'GET', url: alert.report });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('Multivariate drift: <strong>yes</strong>');
    expect(page.body).toContain('Data reconstruction');
    // With both methods, the gbt domain classifier tells the window from the reference too.
    const both = await t.server.inject({ method: 'GET', url: alert.report.replace('multivariate=reconstruction', 'multivariate=both') });
    expect(both.body).toMatch(/Domain classifier <small>5-fold ROC AUC 0\.9\d+ \(threshold 0\.65\) · drift/);
    expect((await t.server.inject({ method: 'GET', url: alert.report.replace('multivariate=reconstruction', 'multivariate=pca') })).json().error.message).toMatch(/query\.multivariate/);
  });

  it('refuses a bad window with 400 naming the field and an unknown deployment with 404', async () => {
    const bad = await t.server.inject({ method: 'GET', url: '/api/v1/deployments/m/drift/report.html?since=yesterday' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/query\.since/);
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/deployments/nope/drift/report.html' })).statusCode).toBe(404);
    const doc = (await t.server.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/deployments/{name}/drift/report.html'].get.responses['200'].content)).toEqual(['text/html']);
  });
});
