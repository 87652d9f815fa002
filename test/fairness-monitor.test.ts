import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, testApp, type TestApp } from './helpers/app.js';

const who = { actor: 'test' };

/**
 * A monitor with a sensitive feature computes each labelled window's fairness, keeps it with the
 * window as a time series, and raises the `fairness` alert when a threshold is crossed.
 */
describe('live fairness per monitor window', () => {
  let t: TestApp;
  // Decisions: class 1 when 0.2·income + 2·group − 10 ≥ 0 (probability ≥ 0.5).
  const model = { format: 'sextant-linear', features: ['income', 'group'], link: 'logistic', classes: [0, 1], coefficients: [[0.2, 2]], intercept: [-10] };
  const rows = Array.from({ length: 40 }, (_, i) => ({ income: 35 + (i % 10) * 2, group: i % 2 }));
  const decide = (r: { income: number; group: number }) => (0.2 * r.income + 2 * r.group - 10 >= 0 ? 1 : 0);
  const labels = rows.map((_, i) => (i % 3 === 0 ? 0 : 1));

  beforeAll(async () => {
    t = await testApp();
    await t.app.registry.models.create({ name: 'loan', task: 'binary-classification' }, who);
    await t.app.registry.versions.register('loan', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'loan', model: 'loan', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores the fairness of each labelled window and alerts on the parity threshold', async () => {
    const a = t.app;
    const created = await t.server.inject({
      method: 'POST',
      url: '/api/v1/monitors',
      payload: { deployment: 'loan', windowSeconds: 60, thresholds: { sensitive: 'group', maxDpDifference: 0.2, minDisparateImpact: 0.8 } },
    });
    expect(created.statusCode, created.body).toBe(201);
    for (const [i, r] of rows.entries()) {
      const res = await t.server.inject({ method: 'POST', url: '/v1/deployments/loan/invocations', headers: { 'x-request-id': `req-${i}` }, payload: { dataframe_records: [r] } });
      expect(res.statusCode).toBe(200);
    }
    await a.monitoring.predictions.flush();
    const fb = await t.server.inject({ method: 'POST', url: '/api/v1/deployments/loan/feedback', payload: rows.map((_, i) => ({ requestId: `req-${i}`, label: labels[i] })) });
    expect(fb.statusCode, fb.body).toBe(200);
    const m = await a.monitoring.monitors.get('loan');
    const now = Date.now();
    const result = (await a.monitoring.monitors.evaluate(m, new Date(now - 3_600_000), new Date(now + 60_000)))!;
    // Independent count: selection rate per group from the decision rule.
    const rate = (g: number) => rows.filter((r) => r.group === g && decide(r) === 1).length / rows.filter((r) => r.group === g).length;
    const f = result.fairness as { groups: Record<string, { count: number; selectionRate: number }>; demographicParityDifference: number; disparateImpact: Record<string, number>; privileged: string; sensitive: string };
    expect(f.sensitive).toBe('group');
    expect(f.groups['0']!.count).toBe(20);
    expect(f.groups['1']!.selectionRate).toBeCloseTo(rate(1), 12);
    expect(f.groups['0']!.selectionRate).toBeCloseTo(rate(0), 12);
    expect(f.privileged).toBe('1');
    expect(f.demographicParityDifference).toBeCloseTo(rate(1) - rate(0), 12);
    expect(f.disparateImpact['0']).toBeCloseTo(rate(0) / rate(1), 12);
    expect(result.alert.some((x) => /demographic parity difference .* > 0.2 by group/.test(x))).toBe(true);
    expect(result.alert.some((x) => /disparate impact below 0.8 against 1: 0 /.test(x))).toBe(true);
    const alerts = await a.monitoring.alerts.list(undefined, 'loan');
    expect(alerts.some((x) => x.rule === 'fairness')).toBe(true);
    // The time series: the results endpoint carries each window's fairness.
    const results = await t.server.inject({ method: 'GET', url: '/api/v1/monitors/loan/results' });
    expect(results.json().results[0].fairness.demographicParityDifference).toBeCloseTo(rate(1) - rate(0), 12);
  });

  it('the version’s card shows each monitor window’s measured and estimated quality and the drift status', async () => {
    const card = (await t.server.inject({ method: 'GET', url: '/api/v1/models/loan/versions/1/card' })).json();
    const qa = card.quantitative_analysis;
    const live = qa.sextant.liveQuality as { deployment: string; rows: number; measured: Record<string, number>; estimated: Record<string, number> }[];
    expect(live.length).toBeGreaterThan(0);
    const w = live.find((x) => x.rows === rows.length)!;
    const correct = rows.filter((r, i) => decide(r) === labels[i]).length;
    expect(w.measured.accuracy).toBeCloseTo(correct / rows.length, 12);
    expect(typeof w.estimated.accuracy).toBe('number');
    expect(qa.performance_metrics).toContainEqual(expect.objectContaining({ type: 'accuracy', slice: expect.stringMatching(/^loan .* \(estimated\)$/) }));
    expect(qa.sextant.drift).toEqual([expect.objectContaining({ deployment: 'loan', openAlerts: expect.arrayContaining(['fairness']) })]);
  });

  it('a window without labels says so instead of a report', async () => {
    const m = await t.app.monitoring.monitors.get('loan');
    const r = (await t.app.monitoring.monitors.evaluate(m, new Date(Date.now() - 7_200_000), new Date(Date.now() - 3_600_000)))!;
    expect(r.fairness).toEqual({ error: 'no labelled predictions in this window' });
  });
});
