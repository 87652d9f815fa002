import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorResult } from '../src/contracts/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { runCli } from './helpers/processes.js';

const who = { actor: 'alice' };
const VALUES = { tp: 120, fp: -15, fn: -60, tn: 0 };
// Class-1 probability sigmoid(1.5·x − 3): rows with x above 2 are predicted 1.
const model = { format: 'sextant-linear', features: ['x'], link: 'logistic', classes: [0, 1], coefficients: [[1.5]], intercept: [-3] };
const xs = Array.from({ length: 40 }, (_, i) => (i % 10) * 0.45 + 0.1);
const prob = (x: number) => 1 / (1 + Math.exp(-(1.5 * x - 3)));
const labels = xs.map((x, i) => (i % 4 === 0 ? 1 - Number(x > 2) : Number(x > 2)));
const regression = { format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] };

/** Value by hand: each row's served decision against its label, times the outcome's value. */
function handValue(): number {
  let v = 0;
  for (const [i, x] of xs.entries()) {
    const p = Number(prob(x) >= 0.5);
    const y = labels[i]!;
    v += p ? (y ? VALUES.tp : VALUES.fp) : y ? VALUES.fn : VALUES.tn;
  }
  return v;
}

/** CBPE by hand: a predicted 1 with probability p is worth p·tp + (1 − p)·fp, a predicted 0 p·fn + (1 − p)·tn. */
function handEstimate(): number {
  return xs.reduce((s, x) => {
    const p = prob(x);
    return s + (p > 0.5 ? p * VALUES.tp + (1 - p) * VALUES.fp : p * VALUES.fn + (1 - p) * VALUES.tn);
  }, 0);
}

describe.each(await databaseTargets())('business value on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => t.server.inject({ method, url, payload: payload as object });

  beforeAll(async () => {
    const dir = tempDir('sextant-kpi-');
    const db = await target.create(dir);
    drop = db.drop;
    t = await testApp({ database: db.config, home: dir });
    await t.app.registry.models.create({ name: 'loan', task: 'binary-classification' }, who);
    await t.app.registry.versions.register('loan', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'loan', model: 'loan', alias: 'champion' }, who);
    await t.app.registry.models.create({ name: 'price', task: 'regression' }, who);
    await t.app.registry.versions.register('price', bytes(JSON.stringify(regression)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'price', model: 'price', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('PUT and GET /api/v1/models/{name}/kpi store the KPI through the write seam; bad input is a 400 naming the field', async () => {
    expect((await api('GET', '/api/v1/models/loan/kpi')).statusCode).toBe(404);
    const put = await api('PUT', '/api/v1/models/loan/kpi', { outcomes: VALUES, computePrice: 0.36 });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ model: 'loan', task: 'binary-classification', spec: { outcomes: VALUES, computePrice: 0.36 } });
    expect((await api('GET', '/api/v1/models/loan/kpi')).json().spec).toEqual({ outcomes: VALUES, computePrice: 0.36 });
    const audit = await api('GET', '/api/v1/audit?target=model:loan');
    expect(audit.body).toContain('kpi.set');

    const bad = await api('PUT', '/api/v1/models/loan/kpi', { outcomes: { tp: 'a lot' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('body.outcomes.tp');
    const unknown = await api('PUT', '/api/v1/models/loan/kpi', { outcome: VALUES });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('body.outcome');
    const wrongTask = await api('PUT', '/api/v1/models/loan/kpi', { absErrorCost: 2 });
    expect(wrongTask.statusCode).toBe(400);
    expect(wrongTask.json().error.message).toContain('body.absErrorCost');
    const negative = await api('PUT', '/api/v1/models/price/kpi', { absErrorCost: -1 });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().error.message).toContain('body.absErrorCost');
    expect((await api('PUT', '/api/v1/models/nobody/kpi', { computePrice: 1 })).statusCode).toBe(404);
    // The OpenAPI document has both operations and the contract.
    const doc = (await api('GET', '/api/v1/openapi.json')).json();
    expect(Object.keys(doc.paths['/api/v1/models/{name}/kpi']).sort()).toEqual(['get', 'put']);
    expect(Object.keys(doc.components.schemas.KpiSpec.properties).sort()).toEqual(['absErrorCost', 'classes', 'computePrice', 'outcomes']);
    // The failed writes left the KPI as it was.
    expect((await api('GET', '/api/v1/models/loan/kpi')).json().spec).toEqual({ outcomes: VALUES, computePrice: 0.36 });
    // A rename carries the KPI along; deleting the model deletes it, so a new model of that name starts without one.
    await t.app.registry.models.create({ name: 'scratch', task: 'regression' }, who);
    expect((await api('PUT', '/api/v1/models/scratch/kpi', { absErrorCost: 1 })).statusCode).toBe(200);
    await t.app.registry.models.rename('scratch', 'scratch2', who);
    expect((await api('GET', '/api/v1/models/scratch2/kpi')).json().spec).toEqual({ absErrorCost: 1 });
    await t.app.registry.models.delete('scratch2', who);
    await t.app.registry.models.create({ name: 'scratch2', task: 'regression' }, who);
    expect((await api('GET', '/api/v1/models/scratch2/kpi')).statusCode).toBe(404);
  });

  it('every window reports the estimated value before labels (and the min-value alert fires on it), then the measured value, per 1,000 predictions, with the compute cost', async () => {
    const a = t.app;
    const created = await api('POST', '/api/v1/monitors', { deployment: 'loan', windowSeconds: 60, thresholds: { minValue: 50_000 } });
    expect(created.statusCode, created.body).toBe(201);
    const ids: string[] = [];
    for (const x of xs) {
      const res = await api('POST', '/v1/deployments/loan/invocations', { dataframe_records: [{ x }] });
      expect(res.statusCode).toBe(200);
      ids.push(res.headers['x-request-id'] as string);
    }
    await a.monitoring.predictions.flush();
    await a.serving.cpu.flush(true);
    const m = await a.monitoring.monitors.get('loan');
    const start = new Date(Date.now() - 3_600_000);
    const end = new Date(Date.now() + 60_000);
    const before = (await a.monitoring.monitors.evaluate(m, start, end))!;
    const v = before.value!;
    expect(v.measured).toBeNull();
    expect(v.measuredError).toBe('no labelled predictions in this window');
    expect(v.estimated).toMatchObject({ method: 'cbpe', rows: 40 });
    expect(v.estimated!.total).toBeCloseTo(handEstimate(), 9);
    expect(v.estimated!.per1000).toBeCloseTo((handEstimate() / 40) * 1000, 6);
    expect(v.estimated!.low).toBeLessThan(v.estimated!.per1000);
    expect(v.estimated!.high).toBeGreaterThan(v.estimated!.per1000);
    // Serving CPU: the 40 rows predicted, some CPU time, its price per 1,000 at 0.36 per CPU-hour.
    expect(v.compute.predictions).toBe(40);
    expect(v.compute.cpuSeconds).toBeGreaterThan(0);
    expect(v.compute.cpuSecondsPer1000).toBeCloseTo((v.compute.cpuSeconds / 40) * 1000, 12);
    expect(v.compute.costPer1000).toBeCloseTo((v.compute.cpuSecondsPer1000! * 0.36) / 3600, 12);
    expect(v.netPer1000).toBeCloseTo(v.estimated!.per1000 - v.compute.costPer1000!, 9);
    // The estimate is below 50,000 per 1,000: the value alert is open before any label arrived.
    expect((handEstimate() / 40) * 1000).toBeLessThan(50_000);
    expect(before.alert.some((x) => /^estimated value .* per 1,000 predictions \(CBPE, 95 % band .*\) < 50000$/.test(x))).toBe(true);
    expect((await a.monitoring.alerts.list('open', 'loan')).map((x) => x.rule)).toContain('value');

    const fb = await api('POST', '/api/v1/deployments/loan/feedback', ids.map((requestId, i) => ({ requestId, label: labels[i] })));
    expect(fb.statusCode, fb.body).toBe(200);
    const after = (await a.monitoring.monitors.evaluate(m, start, end, { reassess: true }))!;
    expect(after.value!.measured).toEqual({ rows: 40, total: handValue(), per1000: (handValue() / 40) * 1000 });
    const listed = (await api('GET', '/api/v1/monitors/loan/results')).json().results as MonitorResult[];
    expect(listed[0]!.value!.measured!.total).toBe(handValue());

    // The version's model card carries the KPI and each window's value under its Sextant key.
    const card = (await api('GET', '/api/v1/models/loan/versions/1/card')).json();
    const bv = card.quantitative_analysis.sextant.businessValue;
    expect(bv.kpi).toEqual({ outcomes: VALUES, computePrice: 0.36 });
    expect(bv.windows[0]).toMatchObject({ deployment: 'loan', labelledRows: 40, measuredPer1000: (handValue() / 40) * 1000 });
    expect(bv.windows[0].estimatedPer1000).toBeCloseTo((handEstimate() / 40) * 1000, 6);
    expect(card.quantitative_analysis.performance_metrics).toContainEqual({ type: 'business value per 1,000 predictions', value: (handValue() / 40) * 1000, slice: `loan ${end.toISOString()} (measured)` });
  });

  it('a multiclass model is valued one-vs-rest per class from labels, and estimated from its class probabilities before them', async () => {
    const pets = { format: 'sextant-linear', features: ['x'], link: 'softmax', classes: ['cat', 'dog', 'fox'], coefficients: [[1], [0], [-1]], intercept: [0, 0.5, 0] };
    await t.app.registry.models.create({ name: 'pets', task: 'multiclass-classification' }, who);
    await t.app.registry.versions.register('pets', bytes(JSON.stringify(pets)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'pets', model: 'pets', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    const cat = { tp: 10, fp: -2, fn: -5, tn: 0 };
    const dog = { tp: 7, fp: -1, fn: -3, tn: 0 };
    expect((await api('PUT', '/api/v1/models/pets/kpi', { classes: { cat, dog } })).statusCode).toBe(200);
    expect((await api('POST', '/api/v1/monitors', { deployment: 'pets', windowSeconds: 60 })).statusCode).toBe(201);
    const xs2 = [-2, -1, 0, 0.2, 1, 2];
    const truth = ['fox', 'dog', 'dog', 'cat', 'cat', 'dog'];
    const ids: string[] = [];
    for (const x of xs2) ids.push((await api('POST', '/v1/deployments/pets/invocations', { dataframe_records: [{ x }] })).headers['x-request-id'] as string);
    await t.app.monitoring.predictions.flush();
    expect((await api('POST', '/api/v1/deployments/pets/feedback', ids.map((requestId, i) => ({ requestId, label: truth[i] })))).statusCode).toBe(200);
    const m = await t.app.monitoring.monitors.get('pets');
    const r = (await t.app.monitoring.monitors.evaluate(m, new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000)))!;
    // By hand: softmax of (x, 0.5, −x); the served class is the largest.
    const names = ['cat', 'dog', 'fox'];
    const probs = xs2.map((x) => {
      const e = [Math.exp(x), Math.exp(0.5), Math.exp(-x)];
      const s = e[0]! + e[1]! + e[2]!;
      return e.map((v) => v / s);
    });
    const served = probs.map((p) => names[p.indexOf(Math.max(...p))]!);
    const outcome = (v: typeof cat, c: string, pred: string, y: string) => (pred === c ? (y === c ? v.tp : v.fp) : y === c ? v.fn : v.tn);
    const f = (pred: string, y: string) => outcome(cat, 'cat', pred, y) + outcome(dog, 'dog', pred, y);
    const measured = served.reduce((s, pred, i) => s + f(pred, truth[i]!), 0);
    const expected = served.reduce((s, pred, i) => s + names.reduce((a, y, k) => a + probs[i]![k]! * f(pred, y), 0), 0);
    expect(r.value!.measured).toEqual({ rows: 6, total: measured, per1000: (measured / 6) * 1000 });
    expect(r.value!.estimated).toMatchObject({ method: 'cbpe', rows: 6 });
    expect(r.value!.estimated!.total).toBeCloseTo(expected, 9);
  });

  it('a regression model values absolute error at its cost, and its estimate before labels comes from DLE', async () => {
    expect((await api('PUT', '/api/v1/models/price/kpi', { absErrorCost: 2.5 })).statusCode).toBe(200);
    expect((await api('POST', '/api/v1/monitors', { deployment: 'price', windowSeconds: 60 })).statusCode).toBe(201);
    const m = await t.app.monitoring.monitors.get('price');
    const ys = [3, 5, 9];
    const ids: string[] = [];
    for (const x of [1, 2, 3]) ids.push((await api('POST', '/v1/deployments/price/invocations', { dataframe_records: [{ x }] })).headers['x-request-id'] as string);
    await t.app.monitoring.predictions.flush();
    // Without a labelled reference DLE has no nanny model: no estimate, and the reason.
    const bare = (await t.app.monitoring.monitors.evaluate(m, new Date(Date.now() - 7_200_000), new Date(Date.now() + 30_000)))!;
    expect(bare.value!.estimated).toBeNull();
    expect(bare.value!.estimatedError).toMatch(/^no DLE estimate: /);

    expect((await api('POST', '/api/v1/deployments/price/feedback', ids.map((requestId, i) => ({ requestId, label: ys[i] })))).statusCode).toBe(200);
    // A labelled reference: the truth is 2x + 1 give or take 0.5, so DLE expects errors of about a quarter.
    const ref = Array.from({ length: 300 }, (_, i) => [(i % 30) / 10, i % 2 ? 0.5 : -0.5] as const);
    await t.app.monitoring.references.upload('price', 1, ['x,label', ...ref.map(([x, e]) => `${x},${2 * x + 1 + e}`)].join('\n'), 'csv');
    const r = (await t.app.monitoring.monitors.evaluate(m, new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000)))!;
    // Predictions 3, 5, 7 against 3, 5, 9: one error of 2, costing 5 over 3 rows.
    expect(r.value!.measured).toEqual({ rows: 3, total: -5, per1000: (-5 / 3) * 1000 });
    const dle = (r as unknown as { estimated: { method: string; rows: number; metrics: { mae: { value: number; samplingError: number } } } }).estimated;
    expect(dle.method).toBe('dle');
    const e = r.value!.estimated!;
    expect(e).toMatchObject({ method: 'dle', rows: 3 });
    expect(e.per1000).toBeCloseTo(-2.5 * dle.metrics.mae.value * 1000, 9);
    expect(e.total).toBeCloseTo(-2.5 * dle.metrics.mae.value * 3, 9);
    expect(e.low).toBeCloseTo(-2.5 * (dle.metrics.mae.value + 1.959963984540054 * dle.metrics.mae.samplingError) * 1000, 6);
    expect(r.value!.compute.costPer1000).toBeNull();
  });
});

describe('sextant kpi and monitor results', () => {
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await testApp();
    await t.app.registry.models.create({ name: 'pets', task: 'multiclass-classification' }, who);
    await t.app.registry.models.create({ name: 'loan', task: 'binary-classification' }, who);
    await t.app.registry.versions.register('loan', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'loan', model: 'loan', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    env = { SEXTANT_URL: await t.server.listen({ port: 0, host: '127.0.0.1' }) };
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sets per-class values with CLASS:OUTCOME=N, shows them, refuses a malformed --value, and monitor results prints the value columns', async () => {
    const set = await runCli(['kpi', 'set', 'pets', '--value', 'cat:tp=10', '--value', 'cat:fn=-5', '--value', 'dog:fp=-1', '--compute-price', '0.05'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('business value of pets set: cat: tp 10, fp 0, fn -5, tn 0; dog: tp 0, fp -1, fn 0, tn 0; 0.05 per CPU-hour\n');
    const show = await runCli(['kpi', 'show', 'pets', '--json'], env);
    expect(JSON.parse(show.stdout).spec).toEqual({ classes: { cat: { tp: 10, fp: 0, fn: -5, tn: 0 }, dog: { tp: 0, fp: -1, fn: 0, tn: 0 } }, computePrice: 0.05 });
    const bad = await runCli(['kpi', 'set', 'pets', '--value', 'cat:tq=1'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--value cat:tq=1: expected [CLASS:]OUTCOME=NUMBER');

    expect((await runCli(['kpi', 'set', 'loan', '--value', 'tp=120', '--value', 'fp=-15', '--value', 'fn=-60', '--value', 'tn=0', '--compute-price', '0.36'], env)).code).toBe(0);
    expect((await runCli(['monitor', 'create', 'loan', '--window', '60', '--min-value', '50000'], env)).code).toBe(0);
    for (const x of xs) expect((await t.server.inject({ method: 'POST', url: '/v1/deployments/loan/invocations', payload: { dataframe_records: [{ x }] } })).statusCode).toBe(200);
    await t.app.monitoring.predictions.flush();
    await t.app.serving.cpu.flush(true);
    const m = await t.app.monitoring.monitors.get('loan');
    await t.app.monitoring.monitors.evaluate(m, new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000));
    const out = await runCli(['monitor', 'results', 'loan'], env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/VALUE\/1K\s+ESTIMATE\/1K\s+COST\/1K/);
    expect(out.stdout).toContain(`${((handEstimate() / 40) * 1000).toFixed(2)} [`);
    expect(out.stdout).toContain('cbpe');
  });
});
