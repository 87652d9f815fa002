import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { MessageChannel } from 'node:worker_threads';
import { channelLogWriter, encodeSegments, PredictionStore, segmentInserter, serveLogWrites } from '../src/monitoring/index.js';
import { ks2samp } from '../src/stats/index.js';
import { migrate, untyped, openDatabase } from '../src/storage/index.js';
import { FsBlobStore } from '../src/artifacts/index.js';
import { silentLogger } from '../src/shared/logger.js';

const FIX = path.resolve(import.meta.dirname, 'fixtures', 'serving');
const bc = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')).cases['breast-cancer-logistic'] as { features: string[]; rows: number[][]; label: number[] };
const who = { actor: 'test' };

const targets = await databaseTargets();

describe.each(targets)('prediction log and ground truth on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const infer = (name: string, rows: number[][], headers: Record<string, string> = {}) =>
    t.server.inject({ method: 'POST', url: `/v1/deployments/${name}/invocations`, payload: { instances: rows }, headers: { 'content-type': 'application/json', ...headers } });

  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    // The monitor tests judge windows explicitly: the background monitor pass (an hour apart here)
    // must not judge a window first and leave the explicit call nothing to return.
    t = await testApp({ env: { SEXTANT_LOG_QUEUE: '50', SEXTANT_MONITOR_INTERVAL_MS: '3600000' }, database: db.config });
    const r = t.app.registry;
    await r.models.create({ name: 'bc', task: 'binary-classification' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear', alias: 'champion' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear' }, who);
    await t.app.serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion', shadow: [2], logging: { sampleRate: 1, redact: ['mean_area'] } }, who);
    await t.app.serving.deployments.create({ name: 'quiet', model: 'bc', alias: 'champion', logging: { sampleRate: 0, redact: [] } }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('logs every inference with inputs, outputs, version, latency and request id, redacting PII fields', async () => {
    const res = await infer('bc', bc.rows.slice(0, 3), { 'x-request-id': 'req-logged-1' });
    expect(res.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 30));
    await t.app.monitoring.predictions.flush();
    const logged = await t.app.monitoring.feedback.list('bc', { pageSize: 10 });
    const primary = logged.find((p) => p.requestId === 'req-logged-1' && p.role === 'primary')!;
    expect(primary).toMatchObject({ deployment: 'bc', model: 'bc', version: 1, rows: 3, error: null, label: null });
    expect(primary.inputs!.features).toEqual(bc.features);
    const area = bc.features.indexOf('mean_area');
    expect(primary.inputs!.rows[0]![area]).toBe('[redacted]');
    expect(primary.inputs!.rows[0]![0]).toBe(bc.rows[0]![0]);
    expect(primary.outputs![0]!.data).toEqual(bc.label.slice(0, 3));
    expect(primary.latencyMs).toBeGreaterThan(0);
    expect(logged.some((p) => p.requestId === 'req-logged-1' && p.role === 'shadow' && p.version === 2)).toBe(true);
  });

  it('logs failed requests with their error, and honours the sampling rate', async () => {
    await infer('bc', [bc.rows[0]!.slice(0, 3)], { 'x-request-id': 'req-bad' });
    await infer('quiet', bc.rows.slice(0, 1), { 'x-request-id': 'req-quiet' });
    await t.app.monitoring.predictions.flush();
    const bad = (await t.app.monitoring.feedback.list('bc', { pageSize: 50 })).find((p) => p.requestId === 'req-bad')!;
    expect(bad.error).toMatch(/expected 30 features/);
    expect(await t.app.monitoring.feedback.list('quiet', {})).toEqual([]);
  });

  it('joins ground truth by request id: late, out of order, duplicated, unknown ids reported', async () => {
    const early = await t.server.inject({ method: 'POST', url: '/api/v1/deployments/bc/feedback', payload: [{ requestId: 'req-later', label: [1] }] });
    expect(early.json()).toEqual({ accepted: 1, duplicates: 0, updated: 0, unknown: ['req-later'] });
    await infer('bc', bc.rows.slice(5, 6), { 'x-request-id': 'req-later' });
    await new Promise((r) => setTimeout(r, 30));
    await t.app.monitoring.predictions.flush();
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/deployments/bc/feedback',
      payload: [
        { requestId: 'req-logged-1', label: [1, 0, 0] },
        { requestId: 'req-logged-1', label: [1, 0, 0] },
        { requestId: 'req-later', label: [1] },
        { requestId: 'never-seen', label: 0 },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, duplicates: 2, updated: 0, unknown: ['never-seen'] });
    const fix = await t.server.inject({ method: 'POST', url: '/api/v1/deployments/bc/feedback', payload: [{ requestId: 'req-logged-1', label: [1, 1, 0] }] });
    expect(fix.json()).toMatchObject({ updated: 1 });
    const labelled = (await t.server.inject({ method: 'GET', url: '/api/v1/deployments/bc/predictions?withLabels=true&role=primary' })).json().predictions;
    expect(labelled.map((p: { requestId: string; label: unknown }) => [p.requestId, p.label]).sort()).toEqual([
      ['req-later', [1]],
      ['req-logged-1', [1, 1, 0]],
    ]);
    const invalid = await t.server.inject({ method: 'POST', url: '/api/v1/deployments/bc/feedback', payload: [{ requestId: '', label: 1 }] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.message).toMatch(/body\.0\.requestId/);
    expect((await t.server.inject({ method: 'POST', url: '/api/v1/deployments/ghost/feedback', payload: [{ requestId: 'x', label: 1 }] })).statusCode).toBe(404);
  });

  it('joins ground truth to the request id the server made, and logs a request once when its caller sends that id back', async () => {
    await t.app.serving.deployments.create({ name: 'echo', model: 'bc', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    const made = (await infer('echo', bc.rows.slice(7, 8))).headers['x-request-id'] as string;
    const quiet = (await infer('quiet', bc.rows.slice(7, 8))).headers['x-request-id'] as string;
    // A caller retrying with the id from the answer it got: the first record stays.
    expect((await infer('echo', bc.rows.slice(9, 10), { 'x-request-id': made })).headers['x-request-id']).toBe(made);
    await t.app.monitoring.predictions.flush();
    const res = await t.server.inject({ method: 'POST', url: '/api/v1/deployments/echo/feedback', payload: [{ requestId: made, label: [0] }, { requestId: quiet, label: [1] }] });
    expect(res.json()).toEqual({ accepted: 2, duplicates: 0, updated: 0, unknown: [quiet] });
    const logged = await t.app.monitoring.feedback.list('echo', { pageSize: 100 });
    expect(logged.map((p) => [p.inputs!.rows[0]![0], p.label])).toEqual([[bc.rows[7]![0], [0]]]);
  });

  it('counts drops when the queue is full instead of blocking or failing requests', async () => {
    const before = Number(/sextant_prediction_log_dropped_total (\d+)/.exec((await t.server.inject({ method: 'GET', url: '/metrics' })).body)![1]);
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => infer('bc', bc.rows.slice(0, 1), { 'x-request-id': `burst-${i}` })));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    const metrics = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    const dropped = Number(/sextant_prediction_log_dropped_total (\d+)/.exec(metrics)![1]);
    expect(dropped).toBeGreaterThan(before);
    await t.app.monitoring.predictions.flush();
    const written = (await t.app.monitoring.feedback.list('bc', { pageSize: 1000, role: 'primary' })).filter((p) => p.requestId.startsWith('burst-')).length;
    expect(written + (dropped - before)).toBeGreaterThanOrEqual(120);
  });

  it('computes quality over a window from logged predictions and their labels', async () => {
    const empty = (await t.server.inject({ method: 'GET', url: '/api/v1/deployments/quiet/quality' })).json();
    expect(empty).toMatchObject({ deployment: 'quiet', task: 'binary-classification', rows: 0, metrics: null });
    const since = new Date().toISOString();
    for (let i = 0; i < 20; i++) await infer('bc', [bc.rows[i]!], { 'x-request-id': `q-${i}` });
    await new Promise((r) => setTimeout(r, 30));
    await t.app.monitoring.predictions.flush();
    // Truth equals the model's answer for 15 rows and is flipped for 5: accuracy exactly 0.75.
    const feedback = bc.label.slice(0, 20).map((label, i) => ({ requestId: `q-${i}`, label: i < 15 ? label : 1 - label }));
    await t.server.inject({ method: 'POST', url: '/api/v1/deployments/bc/feedback', payload: feedback });
    const report = (await t.server.inject({ method: 'GET', url: `/api/v1/deployments/bc/quality?since=${since}` })).json();
    expect(report).toMatchObject({ deployment: 'bc', task: 'binary-classification', rows: 20, requests: 20, skipped: 0 });
    expect(report.metrics.accuracy).toBe(0.75);
    expect(report.metrics.rocAuc).toBeGreaterThan(0);
    expect(report.metrics.logLoss).toBeGreaterThan(0);
    // CBPE uses every scored row of the window, labelled or not.
    expect(report.scoredRows).toBe(20);
    expect(report.estimated.accuracy).toBeGreaterThan(0.5);
    expect(report.estimated.accuracy).toBeLessThanOrEqual(1);
    const bad = await t.server.inject({ method: 'GET', url: '/api/v1/deployments/bc/quality?since=yesterday' });
    expect(bad.statusCode).toBe(400);
  });

  it('compares logged inputs with the version\'s reference data', async () => {
    const missing = await t.server.inject({ method: 'GET', url: '/api/v1/deployments/bc/drift' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toMatch(/has no reference data/);
    // Reference: the first 30 fixture rows; traffic: the same rows with mean_radius shifted.
    const csv = [bc.features.join(','), ...bc.rows.slice(0, 30).map((r) => r.join(','))].join('\n');
    const up = await t.server.inject({ method: 'PUT', url: '/api/v1/models/bc/versions/1/reference', payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(up.statusCode, up.body).toBe(200);
    expect(up.json()).toMatchObject({ model: 'bc', version: 1, format: 'csv', rows: 30 });
    // The stored profile: moments and quantiles per column (exact at 30 rows, below the sketch's size).
    const info = (await t.server.inject({ method: 'GET', url: '/api/v1/models/bc/versions/1/reference' })).json();
    const radius = bc.rows.slice(0, 30).map((r) => r[0]!);
    const mean = radius.reduce((a, b) => a + b, 0) / 30;
    expect(info.profile.mean_radius).toMatchObject({ kind: 'num', count: 30, missing: 0, min: Math.min(...radius), max: Math.max(...radius) });
    expect(info.profile.mean_radius.mean).toBeCloseTo(mean, 10);
    expect(info.profile.mean_radius.std).toBeCloseTo(Math.sqrt(radius.reduce((a, b) => a + (b - mean) ** 2, 0) / 30), 10);
    expect(info.profile.mean_radius.quantiles.p50).toBe([...radius].sort((a, b) => a - b)[14]);
    expect(info.profile.mean_radius.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(30);
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/models/bc/versions/2/reference' })).statusCode).toBe(404);
    const since = new Date().toISOString();
    for (let i = 0; i < 30; i++) {
      const row = [...bc.rows[i]!];
      row[0] = row[0]! + 10;
      await infer('bc', [row], { 'x-request-id': `drift-${i}` });
      // This app's log queue holds 50 rows and each request logs a shadow row too.
      if (i % 10 === 9) await t.app.monitoring.predictions.flush();
    }
    await new Promise((r) => setTimeout(r, 30));
    await t.app.monitoring.predictions.flush();
    const drift = (await t.server.inject({ method: 'GET', url: `/api/v1/deployments/bc/drift?since=${since}` })).json();
    expect(drift).toMatchObject({ deployment: 'bc', version: 1, referenceRows: 30, currentRows: 30 });
    const byName = Object.fromEntries(drift.features.map((f: { feature: string }) => [f.feature, f]));
    expect(byName.mean_radius).toMatchObject({ test: 'ks', drifted: true });
    expect(byName.mean_texture).toMatchObject({ test: 'ks', statistic: 0, drifted: false });
    // mean_area is redacted in this deployment's log, so it cannot be compared.
    expect(drift.skipped.map((s: { feature: string }) => s.feature)).toContain('mean_area');
    // Prediction drift: the model's class-1 probabilities on the reference rows against those it gave the shifted traffic.
    expect(drift.prediction).toMatchObject({ feature: 'prediction', kind: 'num', test: 'ks' });
    // Independently: the logistic model's probabilities computed here from its coefficients.
    const lm = JSON.parse(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'), 'utf8')) as { coefficients: number[][]; intercept: number[] };
    const p1 = (row: number[]) => 1 / (1 + Math.exp(-(lm.intercept[0]! + row.reduce((acc, v, j) => acc + v * lm.coefficients[0]![j]!, 0))));
    const expected = ks2samp(bc.rows.slice(0, 30).map(p1), bc.rows.slice(0, 30).map((r) => p1([r[0]! + 10, ...r.slice(1)])));
    expect(drift.prediction.statistic).toBeCloseTo(expected.statistic, 6);
    expect(drift.prediction.drifted).toBe(expected.drifted);
    const dq = (await t.server.inject({ method: 'GET', url: `/api/v1/deployments/bc/data-quality?since=${since}` })).json();
    expect(dq).toMatchObject({ deployment: 'bc', version: 1, passed: false, failed: 1 });
    const max = Math.max(...bc.rows.slice(0, 30).map((r) => r[0]!));
    const outside = bc.rows.slice(0, 30).filter((r) => r[0]! + 10 > max).length / 30;
    expect(dq.checks.find((c: { passed: boolean }) => !c.passed)).toMatchObject({ rule: 'out_of_range', feature: 'mean_radius', value: outside });
    const bad = await t.server.inject({ method: 'PUT', url: '/api/v1/models/bc/versions/9/reference', payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(bad.statusCode).toBe(404);
  });

  it('monitors a deployment per window: results as a time series, alerts folded across windows, acked and resolved', async () => {
    const events: { type: string; subject: string }[] = [];
    await t.app.events.subscribe('monitor.', (e) => void events.push(e));
    const created = await t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'bc', windowSeconds: 60, thresholds: { driftShare: 0.01, minAccuracy: 0.9 } } });
    expect(created.statusCode, created.body).toBe(201);
    const monitor = await t.app.monitoring.monitors.get('bc');
    // The window holding this test's traffic (the drifted mean_radius rows and the 75 %-accurate labels).
    const start = new Date(Date.now() - 120_000);
    const end = new Date(Date.now() + 1000);
    const result = await t.app.monitoring.monitors.evaluate(monitor, start, end);
    expect(result!.drift!.drifted).toBe(true);
    expect(result!.quality!.accuracy).toBeLessThan(0.9);
    expect(result!.alert).toEqual([expect.stringMatching(/data drift/), 'data quality: mean_radius out of range 25.0 %', expect.stringMatching(/accuracy 0\.\d+ < 0\.9/)]);
    expect(result!.dataQuality).toEqual([{ rule: 'out_of_range', feature: 'mean_radius', value: 0.25, threshold: 0.05 }]);
    expect(await t.app.monitoring.monitors.evaluate(monitor, start, end)).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    // One event per newly opened alert: drift, data quality and accuracy.
    expect(events.filter((e) => e.type === 'monitor.alert' && e.subject === 'bc')).toHaveLength(3);
    const series = (await t.server.inject({ method: 'GET', url: '/api/v1/monitors/bc/results' })).json().results;
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ deployment: 'bc', windowEnd: end.toISOString() });
    // The next window breaches again: folded into the same alerts, no new event.
    const next = new Date(end.getTime() + 60_000);
    expect((await t.app.monitoring.monitors.evaluate(monitor, start, next))!.alert).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'monitor.alert')).toHaveLength(3);
    const open = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=bc&status=open' })).json().alerts;
    expect(open.map((a: { rule: string; windows: number }) => [a.rule, a.windows]).sort()).toEqual([
      ['accuracy', 2],
      ['data_quality', 2],
      ['drift', 2],
    ]);
    const metrics = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/sextant_feature_drifted\{deployment="bc",feature="mean_radius"\} 1/);
    expect(metrics).toMatch(/sextant_drift_score\{deployment="bc",feature="mean_radius",test="ks"\} /);
    expect(metrics).toMatch(/sextant_alerts_open\{deployment="bc",rule="accuracy"\} 1/);
    const acked = await t.server.inject({ method: 'POST', url: `/api/v1/alerts/${open[0].id}/ack` });
    expect(acked.json()).toMatchObject({ status: 'acked', ackedBy: 'anonymous' });
    // A clean window (no traffic, no labels) resolves both.
    const later = new Date(next.getTime() + 3_600_000);
    await t.app.monitoring.monitors.evaluate(monitor, new Date(later.getTime() - 60_000), later);
    const resolved = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=bc' })).json().alerts;
    expect(resolved.every((a: { status: string }) => a.status === 'resolved')).toBe(true);
    expect((await t.server.inject({ method: 'POST', url: `/api/v1/alerts/${open[0].id}/ack` })).statusCode).toBe(409);
    expect((await t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'bc' } })).statusCode).toBe(409);
    expect((await t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'ghost' } })).statusCode).toBe(404);
  });

  it('closes count windows every N logged requests', async () => {
    await t.app.serving.deployments.create({ name: 'counted', model: 'bc', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    const created = await t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'counted', windowRows: 10, thresholds: { minAccuracy: 0.9 } } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ windowRows: 10, windowSeconds: null });
    for (let i = 0; i < 25; i++) {
      await infer('counted', [bc.rows[i]!], { 'x-request-id': `cw-${i}` });
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.app.monitoring.predictions.flush();
    // Labels: all right in the first window, all wrong in the second.
    await t.app.monitoring.feedback.record('counted', bc.label.slice(0, 20).map((label, i) => ({ requestId: `cw-${i}`, label: i < 10 ? label : 1 - label })));
    const written = await t.app.monitoring.monitors.evaluateDue();
    const mine = written.filter((r) => r.deployment === 'counted');
    expect(mine).toHaveLength(2);
    expect(mine.map((r) => r.quality?.accuracy)).toEqual([1, 0]);
    expect(mine[1]!.alert).toEqual([expect.stringMatching(/accuracy 0\.000 < 0\.9 over 10 labelled rows/)]);
    // The last 5 requests wait for the third window.
    expect((await t.app.monitoring.monitors.evaluateDue()).filter((r) => r.deployment === 'counted')).toHaveLength(0);
    const bad = await t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'quiet', windowRows: 3 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/windowRows/);
  });

  it('judges the newest window again when its labels arrive after it was judged', async () => {
    await t.app.serving.deployments.create({ name: 'late', model: 'bc', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    await t.app.monitoring.monitors.create({ deployment: 'late', windowRows: 10, thresholds: { minAccuracy: 0.9 } });
    const events: { type: string; subject: string; data: Record<string, unknown> }[] = [];
    const unsubscribe = await t.app.events.subscribe('monitor.', (e) => void (e.subject === 'late' && events.push(e)));
    for (let i = 0; i < 10; i++) {
      await infer('late', [bc.rows[i]!], { 'x-request-id': `late-${i}` });
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.app.monitoring.predictions.flush();
    const first = (await t.app.monitoring.monitors.evaluateDue()).filter((r) => r.deployment === 'late');
    expect(first).toHaveLength(1);
    expect(first[0]!.quality).toBeNull();
    expect(first[0]!.alert).toEqual([]);
    // The labels come in after the window was judged: every prediction was wrong.
    await t.app.monitoring.feedback.record('late', bc.label.slice(0, 10).map((label, i) => ({ requestId: `late-${i}`, label: 1 - label })));
    const again = (await t.app.monitoring.monitors.evaluateDue()).filter((r) => r.deployment === 'late');
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ windowStart: first[0]!.windowStart, windowEnd: first[0]!.windowEnd, quality: { accuracy: 0 } });
    expect(again[0]!.alert).toEqual([expect.stringMatching(/accuracy 0\.000 < 0\.9 over 10 labelled rows/)]);
    const stored = (await t.server.inject({ method: 'GET', url: '/api/v1/monitors/late/results' })).json().results;
    expect(stored).toHaveLength(1);
    expect(stored[0].quality.accuracy).toBe(0);
    const alerts = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=late' })).json().alerts;
    expect(alerts).toMatchObject([{ rule: 'accuracy', status: 'open', windows: 1 }]);
    const windows = events.filter((e) => e.type === 'monitor.window');
    expect(windows).toHaveLength(2);
    expect(windows[1]!.data).toMatchObject({ reassessed: true, breaches: [{ rule: 'accuracy' }] });
    expect(events.filter((e) => e.type === 'monitor.alert')).toHaveLength(1);
    // Nothing changed since: the window is not judged a third time, and the alert counts one window.
    expect((await t.app.monitoring.monitors.evaluateDue()).filter((r) => r.deployment === 'late')).toHaveLength(0);
    await t.app.monitoring.feedback.record('late', [{ requestId: 'late-0', label: 1 - bc.label[0]! }]);
    expect((await t.app.monitoring.monitors.evaluateDue()).filter((r) => r.deployment === 'late')).toHaveLength(0);
    unsubscribe();
  });

  it('purges records past retention', async () => {
    const purged = await t.app.monitoring.predictions.purge(1, Date.now() + 2 * 86_400_000);
    expect(purged).toBeGreaterThan(0);
    expect(await t.app.monitoring.feedback.list('bc', {})).toEqual([]);
  });
});

describe('prediction log batches handed to another process (the SQLite cluster path)', () => {
  const record = (id: string) => ({
    requestId: id,
    role: 'primary' as const,
    deployment: 'd',
    model: 'm',
    version: 1,
    time: Date.now(),
    features: ['x'],
    batch: { rows: 1, columns: [Float64Array.of(1.5)] },
    outputs: null,
    latencyMs: 0.1,
    error: null,
    redact: [],
  });

  it('inserts on the far side of a real message channel, reports its failures, and fails in-flight batches when it goes away', async () => {
    const database = openDatabase({ kind: 'sqlite', path: path.join(tempDir(), 'log.db') });
    await migrate(untyped(database.db), database.dialect);
    const { port1, port2 } = new MessageChannel();
    // The receiving side inserts for real; 'fail' in a batch makes it answer with an error.
    const insert = segmentInserter(database);
    const serve = serveLogWrites(async (segments) => (segments.some((d) => d.ids.split('\n').includes('fail')) ? Promise.reject(new Error('disk full')) : insert(segments)));
    port2.on('message', (m) => serve(m, (ack) => port2.postMessage(ack)));
    const closers: (() => void)[] = [];
    const writer = channelLogWriter({ send: (m) => port1.postMessage(m), onMessage: (l) => port1.on('message', l), onClose: (l) => closers.push(l) });

    expect(await Promise.all([writer.write(encodeSegments([record('a'), record('b')])), writer.write(encodeSegments([record('c')]))])).toEqual([2, 1]);
    const store = new PredictionStore(database.db, new FsBlobStore(tempDir()), silentLogger);
    const logged = await store.newest({ deployment: 'd' }, 10);
    expect(logged.map((r) => [r.requestId, r.inputs()]).sort()).toEqual(['a', 'b', 'c'].map((id) => [id, { features: ['x'], rows: [[1.5]] }]));
    await expect(writer.write(encodeSegments([record('fail')]))).rejects.toThrow('disk full');

    // Batches are inserted in order of arrival, each acknowledged with the records it stored: a
    // request id logged before (here 'a', and 'g1' twice in one batch) keeps its first record.
    const acks: unknown[] = [];
    serve({ type: 'sextant-log', id: 1, segments: encodeSegments([record('g1'), record('g1')]) }, (a) => acks.push(a));
    serve({ type: 'sextant-log', id: 2, segments: encodeSegments([record('g2'), record('a'), record('g3')]) }, (a) => acks.push(a));
    serve({ type: 'sextant-log', id: 3, segments: encodeSegments([record('a')]) }, (a) => acks.push(a));
    for (let i = 0; i < 100 && acks.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(acks).toEqual([1, 2, 0].map((written, i) => ({ type: 'sextant-log-ack', id: i + 1, written })));
    expect((await store.newest({ deployment: 'd' }, 100)).map((r) => r.requestId).sort()).toEqual(['a', 'b', 'c', 'g1', 'g2', 'g3']);
    expect([...(await store.known('d', ['a', 'g1', 'g3', 'nope']))].sort()).toEqual(['a', 'g1', 'g3']);
    expect(await store.known('other', ['a'])).toEqual(new Set());

    port2.removeAllListeners('message');
    const hanging = writer.write(encodeSegments([record('d')]));
    for (const close of closers) close();
    await expect(hanging).rejects.toThrow(/log writer process is gone/);
    await expect(writer.write(encodeSegments([record('e')]))).rejects.toThrow(/log writer process is gone/);
    port1.close();
    await database.close();
  });
});
