import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, gaussian } from '../src/shared/random.js';
import { estimateBinaryMetrics } from '../src/stats/index.js';
import { bytes, testApp, type TestApp } from './helpers/app.js';

const who = { actor: 'test' };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * CBPE estimates quality from scores alone, which is only right for calibrated scores. A model
 * three times too confident (score σ(3x) where the truth is σ(x)) makes raw CBPE overestimate
 * accuracy badly; the isotonic map fitted on its labelled reference data brings the estimate back
 * to the realised accuracy. (Runs on SQLite: the store paths it uses are covered on both databases
 * by the prediction-log tests.)
 */
describe('CBPE with scores calibrated on the reference data', () => {
  let t: TestApp;
  const r = seededRandom(9);
  beforeAll(async () => {
    t = await testApp();
    await t.app.registry.models.create({ name: 'cal', task: 'binary-classification' }, who);
    const model = { format: 'sextant-linear', features: ['x'], link: 'logistic', classes: [0, 1], coefficients: [[3]], intercept: [0] };
    await t.app.registry.versions.register('cal', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    const reference = ['x,label'];
    for (let i = 0; i < 2000; i++) {
      const x = gaussian(r);
      reference.push(`${x},${r() < sigmoid(x) ? 1 : 0}`);
    }
    await t.app.monitoring.references.upload('cal', 1, reference.join('\n'), 'csv');
    await t.app.serving.deployments.create({ name: 'cal', model: 'cal', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => t?.close());

  it('estimates accuracy within 0.02 of the realised value where raw scores miss by far more', async () => {
    const since = new Date().toISOString();
    const scores: number[] = [];
    for (let b = 0; b < 30; b++) {
      const xs = Array.from({ length: 100 }, () => gaussian(r) + 0.3);
      const res = await t.server.inject({ method: 'POST', url: '/v1/deployments/cal/invocations', payload: { instances: xs.map((x) => [x]) }, headers: { 'x-request-id': `cal-${b}` } });
      expect(res.statusCode, res.body).toBe(200);
      scores.push(...xs.map((x) => sigmoid(3 * x)));
      await t.app.monitoring.predictions.flush();
      await t.app.monitoring.feedback.record('cal', [{ requestId: `cal-${b}`, label: xs.map((x) => (r() < sigmoid(x) ? 1 : 0)) }]);
    }
    const report = (await t.server.inject({ method: 'GET', url: `/api/v1/deployments/cal/quality?since=${since}` })).json();
    expect(report).toMatchObject({ rows: 3000, scoredRows: 3000, calibrated: true });
    const realised = report.metrics.accuracy as number;
    const raw = estimateBinaryMetrics(scores).accuracy;
    console.log(`realised accuracy ${realised.toFixed(3)}; CBPE on raw scores ${raw.toFixed(3)}, on calibrated scores ${report.estimated.accuracy.toFixed(3)}`);
    expect(Math.abs(raw - realised)).toBeGreaterThan(0.08);
    expect(Math.abs(report.estimated.accuracy - realised)).toBeLessThan(0.02);
  });
});
