import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/contracts/index.js';
import { RetrainTriggers } from '../src/pipelines/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CSV = fs.readFileSync(path.join(ROOT, 'assets/datasets/breast-cancer.csv'), 'utf8');
const FEATURES = CSV.split('\n')[0]!.split(',').slice(0, -1);
const ROWS = CSV.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
/** The background promotion pass a minute apart: the tests advance ramps themselves, and a concurrent pass raced them. */
const ONLY_MANUAL_PASSES = { SEXTANT_PROMOTION_INTERVAL_MS: '60000' };
const who = { actor: 'alice' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A champion that always answers 0 (about 37 % accurate): any sensible retrain beats it. */
const badModel = JSON.stringify({ format: 'sextant-linear', features: FEATURES, link: 'logistic', classes: [0, 1], coefficients: [FEATURES.map(() => 0)], intercept: [-5] });
/** An external trainer written in node: writes a sextant-linear model (always 1) and metrics.json. */
const nodeTrainer = `const fs=require('fs');const f=process.env.SEXTANT_FEATURES.split(',');const rows=fs.readFileSync(process.env.SEXTANT_TRAIN_DATA,'utf8').trim().split('\\n').length-1;console.log('read',rows,'rows; target',process.env.SEXTANT_TARGET);fs.writeFileSync(process.env.SEXTANT_OUTPUT_DIR+'/model.json',JSON.stringify({format:'sextant-linear',features:f,link:'logistic',classes:[0,1],coefficients:[f.map(()=>0)],intercept:[5]}));fs.writeFileSync(process.env.SEXTANT_OUTPUT_DIR+'/metrics.json',JSON.stringify({rows}))`;

const targets = await databaseTargets();

describe.each(targets)('automated retraining on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let dbDir: string;
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };
  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => t.server.inject({ method, url, payload: payload as object });
  const waitJob = async (id: string, ms = 30_000): Promise<Job> => {
    const end = Date.now() + ms;
    for (;;) {
      const j = await t.app.pipelines.jobs.get(id);
      if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
      if (Date.now() > end) throw new Error(`job ${id} still ${j.status}`);
      await sleep(100);
    }
  };
  const retrain = async (model: string, body: unknown = {}) => {
    const res = await api('POST', `/api/v1/models/${model}/retrain`, body);
    expect(res.statusCode, res.body).toBe(202);
    return waitJob(res.json().id);
  };
  const setPolicy = async (model: string, spec: unknown) => {
    const res = await api('PUT', `/api/v1/models/${model}/policy`, spec);
    expect(res.statusCode, res.body).toBe(200);
  };
  const newModel = async (name: string, deploy: boolean) => {
    await t.app.registry.models.create({ name, task: 'binary-classification' }, who);
    await t.app.registry.versions.register(name, bytes(badModel), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.monitoring.references.upload(name, 1, CSV, 'csv');
    if (deploy) {
      await t.app.serving.deployments.create({ name, model: name, alias: 'champion', slo: { p99LatencyMs: 1000, minRequests: 5, windowSeconds: 60 } }, who);
      await t.app.serving.live.refresh();
    }
  };

  beforeAll(async () => {
    dbDir = tempDir();
    const db = await target.create(dbDir);
    drop = db.drop;
    t = await testApp({ database: db.config, clock, home: tempDir(), env: ONLY_MANUAL_PASSES });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('retrains by hand, validates against the champion on the same holdout, and ramps the challenger to 100 % through a canary', async () => {
    await newModel('bc', true);
    await setPolicy('bc', { trainer: { type: 'logistic' }, promotion: { strategy: 'canary', steps: [10, 50, 100], stepSeconds: 0 } });
    const job = await retrain('bc', { reason: 'first automated model' });
    expect(job.status, job.error ?? '').toBe('succeeded');
    const result = job.result as { version: number; champion: number; gate: { passed: boolean } };
    expect(result).toMatchObject({ version: 2, champion: 1, gate: { passed: true } });
    // The ramp: 10 → 50 → 100, one step per promotion pass.
    for (let i = 0; i < 5; i++) await t.app.pipelines.promotions.advance();
    const [p] = await t.app.pipelines.promotions.list({ model: 'bc' });
    expect(p).toMatchObject({ status: 'promoted', steps: [10, 50, 100], step: 2, deployment: 'bc' });
    expect((await t.app.registry.versions.get('bc', 'champion')).version).toBe(2);
    const served = await t.server.inject({ method: 'POST', url: '/v1/deployments/bc/invocations', payload: { instances: ROWS.slice(0, 1).map((r) => r.slice(0, -1)) } });
    expect(served.headers['x-model-version']).toBe('2');
    // Lineage and the gate on the version.
    const v2 = await t.app.registry.versions.get('bc', 2);
    expect(v2.lineage).toMatchObject({ parentVersion: 1, jobId: job.id, codeRef: 'sextant:trainer/logistic' });
    expect(v2.lineage.dataDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(v2.tags['sextant.validation']).toBe('passed');
    expect(v2.metrics.accuracy).toBeGreaterThan(0.9);
    const validation = (await api('GET', '/api/v1/models/bc/versions/2/validation')).json();
    expect(validation.checks[0]).toMatchObject({ metric: 'accuracy', passed: true, greaterIsBetter: true });
    expect(validation.checks[0].challenger).toBeGreaterThan(validation.checks[0].champion + 0.4);
    const audit = (await t.app.audit.list({ pageSize: 200 })).events.map((e) => `${e.actor} ${e.action}`);
    expect(audit).toEqual(expect.arrayContaining(['sextant:retraining version.validate', 'sextant:promotion deployment.canary', 'sextant:promotion deployment.promote']));
    const logs = (await api('GET', `/api/v1/jobs/${job.id}/logs`)).json().lines.map((l: { line: string }) => l.line);
    expect(logs.some((l: string) => /^data: 569 reference rows \+ 0 labelled predictions/.test(l))).toBe(true);
    expect(logs.some((l: string) => /^gate pass: accuracy/.test(l))).toBe(true);
  });

  it('keeps the champion when the gate fails, and fails closed on a metric it cannot compute', async () => {
    await setPolicy('bc', { trainer: { type: 'logistic' }, gate: { metrics: { accuracy: { threshold: 0.9999 } } } });
    const job = await retrain('bc');
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ version: 3, gate: { passed: false }, promotion: null });
    expect((await t.app.registry.versions.get('bc', 'champion')).version).toBe(2);
    expect((await t.app.registry.versions.get('bc', 3)).tags['sextant.validation']).toBe('failed');
    await setPolicy('bc', { trainer: { type: 'logistic' }, gate: { metrics: { rmse: { minAbsoluteChange: 0 } } } });
    const closed = await retrain('bc');
    const gate = (closed.result as { gate: { passed: boolean; checks: { reason: string }[] } }).gate;
    expect(gate.passed).toBe(false);
    expect(gate.checks[0]!.reason).toBe("the challenger's rmse could not be computed");
    expect((await t.app.registry.versions.get('bc', 'champion')).version).toBe(2);
  });

  it('runs an external command trainer with its output as the job log, and fails crashing, hanging or empty trainers with the reason', async () => {
    await newModel('ext', false);
    await setPolicy('ext', { trainer: { type: 'command', command: [process.execPath, '-e', nodeTrainer] }, promotion: { strategy: 'manual' } });
    const ok = await retrain('ext');
    expect(ok.status, ok.error ?? '').toBe('succeeded');
    const lines = (await t.app.pipelines.jobs.logs(ok.id, {})).lines.map((l) => l.line);
    expect(lines).toContain('read 455 rows; target label');
    expect(ok.result).toMatchObject({ version: 2, promotion: { strategy: 'manual' } });
    // manual: the challenger waits under its alias; the champion is untouched.
    expect((await t.app.registry.versions.get('ext', 'challenger')).version).toBe(2);
    expect((await t.app.registry.versions.get('ext', 'champion')).version).toBe(1);
    expect((await t.app.registry.versions.get('ext', 2)).metrics.train_rows).toBe(455);

    const cases: [string[], number | undefined, RegExp][] = [
      [['sh', '-c', 'echo boom >&2; exit 3'], undefined, /^the trainer exited with code 3$/],
      [['sh', '-c', 'true'], undefined, /wrote no model to SEXTANT_OUTPUT_DIR/],
      [['sh', '-c', 'echo "{\\"format\\":\\"sextant-linear\\"}" > model.json'], undefined, /the trained model failed to load: sextant-linear artifact/],
      [['sleep', '30'], 1, /^timed out after 1 s$/],
      [['/nonexistent/trainer'], undefined, /could not start/],
    ];
    for (const [command, timeoutSeconds, error] of cases) {
      await setPolicy('ext', { trainer: { type: 'command', command }, timeoutSeconds, promotion: { strategy: 'manual' } });
      const failed = await retrain('ext');
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(error);
    }
    const boom = (await t.app.pipelines.jobs.list({ model: 'ext', status: 'failed' })).at(-1)!;
    expect((await t.app.pipelines.jobs.logs(boom.id, {})).lines.map((l) => l.line)).toContain('boom');
    expect((await t.app.registry.versions.get('ext', 'champion')).version).toBe(1);
    expect((await t.app.registry.versions.list('ext', {})).versions.length).toBe(2);
  });

  it('rolls a ramp back when the SLO guard zeroes the canary', async () => {
    await newModel('slow', true);
    await t.app.serving.deployments.update('slow', { slo: { p99LatencyMs: 0.000001, minRequests: 5, windowSeconds: 60 } }, who);
    await setPolicy('slow', { trainer: { type: 'logistic' }, promotion: { strategy: 'canary', steps: [50, 100], stepSeconds: 3600 } });
    const job = await retrain('slow');
    expect(job.status, job.error ?? '').toBe('succeeded');
    const [p] = await t.app.pipelines.promotions.list({ model: 'slow' });
    expect(p).toMatchObject({ status: 'running', step: 0 });
    await t.app.serving.live.refresh();
    for (let i = 0; i < 40; i++) await t.server.inject({ method: 'POST', url: '/v1/deployments/slow/invocations', payload: { instances: [ROWS[i]!.slice(0, -1)] } });
    offset.ms += 3_601_000;
    await t.app.pipelines.promotions.advance();
    const [after] = await t.app.pipelines.promotions.list({ model: 'slow' });
    expect(after).toMatchObject({ status: 'rolled-back' });
    expect(after!.reason).toMatch(/SLO breached by canary version 2/);
    const dep = await t.app.serving.deployments.get('slow');
    expect(dep.canary).toBeNull();
    expect((await t.app.registry.versions.get('slow', 'champion')).version).toBe(1);
  });

  it('resumes a ramp after a restart', async () => {
    await newModel('resume', true);
    await setPolicy('resume', { trainer: { type: 'logistic' }, promotion: { strategy: 'shadow-then-canary', steps: [10, 100], stepSeconds: 600, shadowSeconds: 600 } });
    const job = await retrain('resume');
    expect(job.status, job.error ?? '').toBe('succeeded');
    expect((await t.app.serving.deployments.get('resume')).shadow).toEqual([2]);
    // Restart: a new process over the same database picks the ramp up where it stood.
    const config = t.config;
    await t.close();
    t = await testApp({ database: config.database, clock, home: t.home, env: ONLY_MANUAL_PASSES });
    const [p] = await t.app.pipelines.promotions.list({ model: 'resume' });
    expect(p).toMatchObject({ status: 'running', step: 0, steps: ['shadow', 10, 100] });
    offset.ms += 601_000;
    await t.app.pipelines.promotions.advance();
    const mid = await t.app.serving.deployments.get('resume');
    expect(mid.shadow).toEqual([]);
    expect(mid.canary).toEqual({ version: 2, weight: 10 });
    offset.ms += 601_000;
    await t.app.pipelines.promotions.advance();
    expect((await t.app.pipelines.promotions.list({ model: 'resume' }))[0]).toMatchObject({ status: 'promoted' });
    expect((await t.app.registry.versions.get('resume', 'champion')).version).toBe(2);
  });

  it('triggers on drift breaches with a cooldown, on a schedule exactly once per tick across processes, and after N new labels', async () => {
    await newModel('trig', true);
    await setPolicy('trig', { trainer: { type: 'logistic' }, cooldownSeconds: 3600, promotion: { strategy: 'manual' } });
    const window = { type: 'monitor.window', time: new Date().toISOString(), subject: 'trig', data: { breaches: [{ rule: 'drift', message: 'data drift: 60 % of features drifted' }] } };
    expect(await t.app.pipelines.triggers.onWindow({ ...window, data: { breaches: [] } })).toBe('no breach');
    const first = await t.app.pipelines.triggers.onWindow(window);
    expect(typeof first).toBe('object');
    expect((first as Job).trigger).toEqual({ type: 'drift', detail: 'trig: data drift: 60 % of features drifted' });
    await waitJob((first as Job).id);
    expect(await t.app.pipelines.triggers.onWindow(window)).toMatch(/^in cooldown/);
    await setPolicy('trig', { trainer: { type: 'logistic' }, triggers: { drift: false }, cooldownSeconds: 0, promotion: { strategy: 'manual' } });
    expect(await t.app.pipelines.triggers.onWindow(window)).toBe('drift trigger off');

    // Two processes tick the same minute: one job.
    await setPolicy('trig', { trainer: { type: 'logistic' }, triggers: { drift: false, quality: false, schedule: '* * * * *' }, cooldownSeconds: 0, promotion: { strategy: 'manual' } });
    const a = t.app.pipelines.triggers;
    const b = new RetrainTriggers(t.app.database.db, t.app.pipelines.policies, t.app.pipelines.retrain, t.app.pipelines.jobs, t.app.events, clock, silentLogger, t.app.monitoring.log);
    const fired = (await Promise.all([a.tick(), b.tick(), a.tick()])).flat();
    expect(fired.length).toBe(1);
    expect(fired[0]!.trigger.type).toBe('schedule');
    await waitJob(fired[0]!.id);

    await setPolicy('trig', { trainer: { type: 'logistic' }, triggers: { drift: false, quality: false, newLabels: 5 }, cooldownSeconds: 0, promotion: { strategy: 'manual' } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.server.inject({ method: 'POST', url: '/v1/deployments/trig/invocations', payload: { instances: [ROWS[i]!.slice(0, -1)] } });
      ids.push(String(r.headers['x-request-id']));
    }
    await t.app.monitoring.predictions.flush();
    expect(await t.app.pipelines.triggers.tick()).toEqual([]);
    await t.app.monitoring.feedback.record('trig', ids.map((requestId, i) => ({ requestId, label: ROWS[i]!.at(-1)! })));
    const [byLabels] = await t.app.pipelines.triggers.tick();
    expect(byLabels?.trigger.type).toBe('labels');
    const done = await waitJob(byLabels!.id);
    const logs = (await t.app.pipelines.jobs.logs(done.id, {})).lines.map((l) => l.line);
    expect(logs.some((l) => /^data: 569 reference rows \+ 5 labelled predictions/.test(l))).toBe(true);
  });

  it('answers bad requests with 4xx naming the field', async () => {
    const bad = await api('PUT', '/api/v1/models/bc/policy', { trainer: { type: 'forest' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/trainer\.type/);
    const cron = await api('PUT', '/api/v1/models/bc/policy', { triggers: { schedule: '99 * * * *' } });
    expect(cron.statusCode).toBe(400);
    expect(cron.json().error.message).toMatch(/minute field "99"/);
    const ridge = await api('PUT', '/api/v1/models/bc/policy', { trainer: { type: 'ridge' } });
    expect(ridge.statusCode).toBe(400);
    expect((await api('POST', '/api/v1/models/nope/retrain', {})).statusCode).toBe(404);
    expect((await api('GET', '/api/v1/jobs/nope')).statusCode).toBe(404);
    expect((await api('GET', '/api/v1/models/bc/versions/1/validation')).statusCode).toBe(404);
    const steps = await api('PUT', '/api/v1/models/bc/policy', { promotion: { steps: [10, 50] } });
    expect(steps.json().error.message).toMatch(/the last step must be 100/);
  });
});
