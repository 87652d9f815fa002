import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cbpeMulticlass, cbpeMulticlassComponents, cbpeMulticlassSamplingErrors } from '../src/stats/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const who = { actor: 'test' };
const targets = await databaseTargets();

/** A deterministic uniform stream and standard normals from it. */
function rng(seed: number) {
  let s = seed;
  const u = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  return { u, normal: () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) };
}
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

interface Estimate {
  value: number;
  samplingError: number;
  lower: number;
  upper: number;
}

/**
 * Labels that arrive late: the window is judged on its estimate first (and alerts on it), and the
 * labels that come in afterwards confirm the alert and fall inside the estimate's band.
 */
describe.each(targets)('label-free quality estimates in monitors on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const infer = (name: string, rows: number[][], id: string) =>
    t.server.inject({ method: 'POST', url: `/v1/deployments/${name}/invocations`, payload: { instances: rows }, headers: { 'x-request-id': id } });

  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    t = await testApp({ database: db.config, env: { SEXTANT_MONITOR_INTERVAL_MS: '3600000' } });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  /** Sends `requests` requests of ten rows, then judges the window they close. */
  async function window(name: string, rows: number[][]) {
    for (let i = 0; i < rows.length; i += 10) {
      const res = await infer(name, rows.slice(i, i + 10), `${name}-${i}`);
      expect(res.statusCode, res.body).toBe(200);
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.app.monitoring.predictions.flush();
    const written = await t.app.monitoring.monitors.evaluateDue();
    expect(written).toHaveLength(1);
    return written[0]! as typeof written[0] & { estimated: { method: string; rows: number; metrics: Record<string, Estimate> } };
  }

  it('binary CBPE: the estimated accuracy alerts before labels arrive; the late labels confirm it inside the band', async () => {
    const r = rng(3);
    await t.app.registry.models.create({ name: 'bin', task: 'binary-classification' }, who);
    const model = { format: 'sextant-linear', features: ['x'], link: 'logistic', classes: [0, 1], coefficients: [[2]], intercept: [0] };
    await t.app.registry.versions.register('bin', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    // The reference: labels drawn from the model's own probabilities (a calibrated model).
    const ref = Array.from({ length: 600 }, () => r.normal());
    const csv = ['x,label', ...ref.map((x) => `${x},${r.u() < sigmoid(2 * x) ? 1 : 0}`)].join('\n');
    await t.app.monitoring.references.upload('bin', 1, csv, 'csv');
    await t.app.serving.deployments.create({ name: 'bin', model: 'bin', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    await t.app.monitoring.monitors.create({ deployment: 'bin', windowRows: 20, thresholds: { minAccuracy: 0.75, minRocAuc: 0.6 } });
    // Traffic crowds the decision boundary: the model is right little more than half the time.
    const xs = Array.from({ length: 200 }, () => r.normal() * 0.25);
    const w = await window('bin', xs.map((x) => [x]));
    expect(w.quality).toBeNull();
    expect(w.estimated).toMatchObject({ method: 'cbpe', rows: 200 });
    const acc = w.estimated.metrics.accuracy!;
    expect(acc.value).toBeLessThan(0.75);
    expect(acc.lower).toBeCloseTo(acc.value - 3 * acc.samplingError, 12);
    // The traffic drifted too (its own alerts); the quality alert is the estimate's, not a measurement's.
    expect(w.alert.filter((a) => !/drift/.test(a))).toEqual([expect.stringMatching(/^estimated accuracy 0\.\d{3} < 0\.75 \(CBPE, band .*\) over 200 rows/)]);
    const quality = (list: { rule: string }[]) => list.map((a) => a.rule).filter((x) => !/drift|data_quality/.test(x)).sort();
    let alerts = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=bin' })).json().alerts;
    expect(quality(alerts)).toEqual(['estimated_quality']);
    // The labels arrive later, drawn from the same probabilities.
    const labels = [];
    for (let i = 0; i < 200; i += 10) labels.push({ requestId: `bin-${i}`, label: xs.slice(i, i + 10).map((x) => (r.u() < sigmoid(2 * x) ? 1 : 0)) });
    await t.app.monitoring.feedback.record('bin', labels);
    const again = (await t.app.monitoring.monitors.evaluateDue())[0]! as typeof w;
    expect(again.windowEnd).toBe(w.windowEnd);
    const measured = again.quality!.accuracy!;
    expect(measured).toBeLessThan(0.75);
    expect(measured).toBeGreaterThanOrEqual(acc.lower);
    expect(measured).toBeLessThanOrEqual(acc.upper);
    expect(again.estimated.metrics.accuracy!.value).toBeCloseTo(acc.value, 12);
    alerts = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=bin' })).json().alerts;
    expect(quality(alerts)).toEqual(['accuracy', 'estimated_quality']);
    const stored = (await t.server.inject({ method: 'GET', url: '/api/v1/monitors/bin/results' })).json().results;
    expect(stored[0].estimated.metrics.roc_auc).toMatchObject({ value: expect.any(Number), samplingError: expect.any(Number) });
  });

  it('multiclass CBPE, one-vs-rest on string classes: the window’s estimate is CBPE of the probabilities it served, the band from the reference', async () => {
    const r = rng(9);
    await t.app.registry.models.create({ name: 'mc', task: 'multiclass-classification' }, who);
    const W = [[2, 0], [0, 2], [-2, -2]];
    const model = { format: 'sextant-linear', features: ['a', 'b'], link: 'softmax', classes: ['cat', 'dog', 'eel'], coefficients: W, intercept: [0, 0, 0] };
    await t.app.registry.versions.register('mc', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    const softmax = (a: number, b: number) => {
      const z = W.map(([u, v]) => Math.exp(u! * a + v! * b));
      const s = z.reduce((x, y) => x + y, 0);
      return z.map((v) => v / s);
    };
    const draw = (p: number[]) => {
      const u = r.u();
      return u < p[0]! ? 'cat' : u < p[0]! + p[1]! ? 'dog' : 'eel';
    };
    const ref = Array.from({ length: 600 }, () => [r.normal(), r.normal()]);
    const refLabels = ref.map(([a, b]) => draw(softmax(a!, b!)));
    await t.app.monitoring.references.upload('mc', 1, ['a,b,label', ...ref.map(([a, b], i) => `${a},${b},${refLabels[i]}`)].join('\n'), 'csv');
    await t.app.serving.deployments.create({ name: 'mc', model: 'mc', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    await t.app.monitoring.monitors.create({ deployment: 'mc', windowRows: 20, thresholds: { minRocAuc: 0.99 } });
    const rows = Array.from({ length: 200 }, () => [r.normal() * 0.5, r.normal() * 0.5]);
    const w = await window('mc', rows);
    expect(w.estimated).toMatchObject({ method: 'cbpe', rows: 200 });
    const served = (await t.server.inject({ method: 'GET', url: '/api/v1/deployments/mc/predictions?pageSize=1000' })).json().predictions as { requestId: string; outputs: { name: string; data: number[] }[] }[];
    const byId = new Map(served.map((p) => [p.requestId, p.outputs.find((o) => o.name === 'probabilities')!.data]));
    const probs = Array.from({ length: 20 }, (_, k) => byId.get(`mc-${k * 10}`)!).flatMap((d) => Array.from({ length: 10 }, (_, i) => d.slice(i * 3, i * 3 + 3)));
    const expected = cbpeMulticlass(probs, probs.map((p) => p.indexOf(Math.max(...p))));
    for (const [k, v] of Object.entries(expected)) expect(w.estimated.metrics[k]!.value, k).toBeCloseTo(v, 12);
    // The sampling errors come from the reference: its labels as class indices, the model's probabilities for its rows.
    const refProbs = ref.map(([a, b]) => softmax(a!, b!));
    const comp = cbpeMulticlassComponents(refLabels.map((l) => ['cat', 'dog', 'eel'].indexOf(l)), refProbs.map((p) => p.indexOf(Math.max(...p))), refProbs);
    for (const [k, v] of Object.entries(cbpeMulticlassSamplingErrors(comp, 200))) expect(w.estimated.metrics[k]!.samplingError, k).toBeCloseTo(v, 9);
    expect(w.alert.filter((a) => a.startsWith('estimated'))).toEqual([expect.stringMatching(/^estimated roc_auc 0\.\d{3} < 0\.99 \(CBPE/)]);
  });

  it('regression DLE: nanny models predict the error where the traffic is noisier; the estimate alerts, the labels confirm', async () => {
    const r = rng(5);
    await t.app.registry.models.create({ name: 'reg', task: 'regression' }, who);
    const model = { format: 'sextant-linear', features: ['x', 'z'], link: 'identity', coefficients: [[1, 0]], intercept: [0] };
    await t.app.registry.versions.register('reg', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    // The truth is x plus noise whose size grows with z: the model errs more where z is large.
    const noise = (z: number) => r.normal() * (0.2 + Math.abs(z));
    const ref = Array.from({ length: 800 }, () => [r.normal(), r.normal()] as const);
    await t.app.monitoring.references.upload('reg', 1, ['x,z,label', ...ref.map(([x, z]) => `${x},${z},${x + noise(z)}`)].join('\n'), 'csv');
    await t.app.serving.deployments.create({ name: 'reg', model: 'reg', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    await t.app.monitoring.monitors.create({ deployment: 'reg', windowRows: 20, thresholds: { maxMae: 1.2, maxRmse: 1.5 } });
    const rows = Array.from({ length: 200 }, () => [r.normal(), 2 + Math.abs(r.normal()) * 0.5]);
    const w = await window('reg', rows);
    expect(w.estimated).toMatchObject({ method: 'dle', rows: 200 });
    const mae = w.estimated.metrics.mae!;
    expect(mae.value).toBeGreaterThan(1.2);
    expect(w.alert.join('\n')).toMatch(/estimated mae \d+\.\d{3} > 1\.2 \(DLE, band/);
    const labels = [];
    for (let i = 0; i < 200; i += 10) labels.push({ requestId: `reg-${i}`, label: rows.slice(i, i + 10).map(([x, z]) => x! + noise(z!)) });
    await t.app.monitoring.feedback.record('reg', labels);
    const again = (await t.app.monitoring.monitors.evaluateDue())[0]!;
    const measuredMae = again.quality!.mae!;
    expect(measuredMae).toBeGreaterThan(1.2);
    // The band is sampling error only; the nanny models' own fitting error comes on top (here the
    // traffic's z lies past most of the reference's, where trees extrapolate flat): the realised
    // MAE is within a quarter of the estimate, the realised RMSE inside its band.
    expect(Math.abs(measuredMae - mae.value)).toBeLessThan(0.25 * measuredMae);
    const rmse = (again as typeof w).estimated.metrics.rmse!;
    expect(again.quality!.rmse).toBeGreaterThanOrEqual(rmse.lower);
    expect(again.quality!.rmse).toBeLessThanOrEqual(rmse.upper);
    const alerts = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=reg' })).json().alerts;
    expect(alerts.map((a: { rule: string }) => a.rule).filter((x: string) => !/drift|data_quality/.test(x)).sort()).toEqual(['estimated_quality', 'rmse']);
  });
});
