import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceService, TrafficRecorder } from '../src/serving/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, testApp, type TestApp } from './helpers/app.js';

const FIX = path.resolve(import.meta.dirname, 'fixtures', 'serving');
const DATASET = path.resolve(import.meta.dirname, '..', 'assets', 'datasets', 'breast-cancer.csv');
const bc = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')).cases['breast-cancer-logistic'] as { features: string[]; rows: number[][] };
const who = { actor: 'alice', reason: 'first release' };

describe("the dashboard's read routes", () => {
  let t: TestApp;
  let offset = 0;
  const get = (url: string, headers: Record<string, string> = {}) => t.server.inject({ method: 'GET', url, headers });
  const infer = (rows: number[][]) =>
    t.server.inject({ method: 'POST', url: '/v1/deployments/bc/invocations', payload: { instances: rows }, headers: { 'content-type': 'application/json' } });

  beforeAll(async () => {
    t = await testApp({ clock: { now: () => new Date(Date.now() + offset) } });
    const r = t.app.registry;
    await r.models.create({ name: 'bc', task: 'binary-classification' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear', alias: 'champion' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear' }, who);
    await t.app.serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' }, who);
    await t.app.monitoring.references.upload('bc', 1, fs.readFileSync(DATASET, 'utf8'), 'csv');
    await t.app.serving.live.refresh();
  });
  afterAll(async () => t?.close());

  it('whoami: without auth the caller may do everything and is named by x-sextant-actor', async () => {
    const res = await get('/api/v1/whoami', { 'x-sextant-actor': 'dashboard' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ signedIn: true, actor: 'dashboard', role: 'admin', allows: expect.arrayContaining(['viewer', 'editor', 'admin']), auth: false, features: { approvals: true, modelCards: true } });
  });

  it('traffic: what the serving process answered, per step and version, and the overview\'s last minute', async () => {
    for (let i = 0; i < 5; i++) expect((await infer(bc.rows.slice(i, i + 2))).statusCode).toBe(200);
    expect((await infer([[1, 2]])).statusCode).toBe(400);
    await t.app.serving.traffic.flush(true);
    const series = (await get('/api/v1/deployments/bc/traffic?step=10')).json();
    const total = series.points.reduce((s: number, p: { requests: number }) => s + p.requests, 0);
    expect(total, JSON.stringify(series.points.filter((p: { requests: number }) => p.requests > 0))).toBe(6);
    expect(series.points.reduce((s: number, p: { invalid: number }) => s + p.invalid, 0)).toBe(1);
    expect(series.points.find((p: { requests: number }) => p.requests > 0).versions).toEqual({ '1': 6 });
    expect((await get('/api/v1/deployments/nope/traffic')).statusCode).toBe(404);
    expect((await get('/api/v1/deployments/bc/traffic?step=7')).json().error.message).toMatch(/query\.step/);
    // The overview reads complete steps: move the clock past the one just flushed.
    offset = 10_000;
    const overview = (await get('/api/v1/dashboard/overview')).json();
    offset = 0;
    const context = JSON.stringify({ now: new Date().toISOString(), series: series.points.filter((p: { requests: number }) => p.requests > 0), overview });
    expect(overview.deployments, context).toHaveLength(1);
    const d = overview.deployments[0];
    expect(d, context).toMatchObject({ name: 'bc', model: 'bc', alias: 'champion', monitored: false, openAlerts: 0, status: 'ok', reasons: [], drift: null, quality: null });
    expect(d.traffic.requestsPerSecond, context).toBeCloseTo(6 / 60, 10);
    expect(d.traffic.errorRate).toBe(0);
    expect(d.routes).toEqual([{ version: 1, weight: 100, role: 'primary' }]);
  });

  it('traffic: a request shed under overload counts as shed, not as an error', async () => {
    const { live, metrics, slo } = t.app.serving;
    const traffic = new TrafficRecorder(t.app.database.db, silentLogger);
    // A serving process that may take no request at all: every one is shed before any work.
    const full = new InferenceService(live, metrics, slo, silentLogger, () => {}, 0, traffic);
    await expect(full.infer('bc', () => ({ rows: 0, columns: [] }) as never)).rejects.toMatchObject({ status: 429 });
    await traffic.flush(true);
    const points = (await get('/api/v1/deployments/bc/traffic?step=10')).json().points as { shed: number; errors: number }[];
    expect(points.reduce((n, p) => n + p.shed, 0)).toBe(1);
    expect(points.reduce((n, p) => n + p.errors, 0)).toBe(0);
  });

  it('timeline: which version each alias and deployment served, with who did what and why', async () => {
    await t.app.serving.deployments.canary('bc', { version: 2, weight: 20, reason: 'try the retrained one' }, { actor: 'bob' });
    await t.app.serving.deployments.promote('bc', { actor: 'carol', reason: 'canary looks good' });
    const tl = (await get('/api/v1/models/bc/timeline')).json();
    const champion = tl.lanes.find((l: { kind: string; name: string }) => l.kind === 'alias' && l.name === 'champion');
    expect(champion.bands.map((b: { version: number; to: string | null }) => [b.version, b.to === null])).toEqual([
      [1, false],
      [2, true],
    ]);
    const lane = tl.lanes.find((l: { kind: string }) => l.kind === 'deployment');
    expect(lane.name).toBe('bc');
    // Version 1 alone, then 80/20 with the canary, then version 2 alone after the promotion.
    expect(lane.bands.map((b: { version: number; weight: number; role: string; to: string | null }) => [b.version, b.weight, b.role, b.to === null])).toEqual([
      [1, 100, 'primary', false],
      [1, 80, 'primary', false],
      [2, 20, 'canary', false],
      [2, 100, 'primary', true],
    ]);
    const canary = tl.marks.find((m: { kind: string }) => m.kind === 'canary');
    expect(canary).toMatchObject({ actor: 'bob', reason: 'try the retrained one', lane: 'bc', title: 'bc: canary version 2 at 20 %' });
    expect(tl.marks.find((m: { kind: string }) => m.kind === 'promote')).toMatchObject({ actor: 'carol', reason: 'canary looks good' });
    expect(tl.marks.find((m: { kind: string; lane: string; title: string }) => m.kind === 'alias' && m.lane === 'champion' && m.title === 'champion → 2')).toMatchObject({ actor: 'carol' });
    expect(tl.marks.filter((m: { kind: string }) => m.kind === 'version')).toHaveLength(2);
    expect((await get('/api/v1/models/nope/timeline')).statusCode).toBe(404);
    expect((await get('/api/v1/models/bc/timeline?since=2030-01-01T00:00:00Z&until=2029-01-01T00:00:00Z')).statusCode).toBe(400);
    // Outside the range: no marks, and bands only for what still served then.
    const later = (await get(`/api/v1/models/bc/timeline?since=${new Date(Date.now() + 60_000).toISOString()}&until=${new Date(Date.now() + 120_000).toISOString()}`)).json();
    expect(later.marks).toEqual([]);
    expect(later.lanes.find((l: { kind: string }) => l.kind === 'deployment').bands).toEqual([expect.objectContaining({ version: 2, weight: 100, to: null })]);
  });

  it('drift: one feature\'s distributions agree with the drift endpoint, and the HTML report names the features', async () => {
    // Version 2 serves now (the routing table is refreshed here rather than waiting for its poll); give it the reference too and log a shifted window.
    await t.app.serving.live.refresh();
    await t.app.monitoring.references.upload('bc', 2, fs.readFileSync(DATASET, 'utf8'), 'csv');
    const shifted = bc.rows.map((r) => r.map((v, i) => (i === 0 ? v * 1.4 : v)));
    for (let i = 0; i < shifted.length; i += 10) await infer(shifted.slice(i, i + 10));
    await new Promise((r) => setTimeout(r, 30));
    await t.app.monitoring.predictions.flush();
    const drift = (await get('/api/v1/deployments/bc/drift?version=2')).json();
    const f = drift.features.find((x: { feature: string }) => x.feature === 'mean_radius');
    const res = await get('/api/v1/deployments/bc/drift/distribution?feature=mean_radius&version=2');
    expect(res.statusCode, res.body).toBe(200);
    const d = res.json();
    expect(d).toMatchObject({ feature: 'mean_radius', kind: 'num', test: f.test, drifted: f.drifted, threshold: f.threshold, version: 2 });
    expect(d.statistic).toBeCloseTo(f.statistic, 12);
    expect(d.labels.length).toBe(d.reference.length);
    expect(d.current.length).toBe(d.reference.length);
    expect(d.reference.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
    expect(d.current.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
    expect(d.currentRows).toBe(drift.currentRows);
    const missing = await get('/api/v1/deployments/bc/drift/distribution?feature=nope&version=2');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toMatch(/feature nope/);
    expect((await get('/api/v1/deployments/bc/drift/distribution?version=2')).json().error.message).toMatch(/query\.feature/);
    const report = await get('/api/v1/deployments/bc/drift/report?version=2');
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toMatch(/^text\/html/);
    expect(report.body).toContain('<td>mean_radius</td>');
    expect(report.body).toContain('Drift of bc (version 2)');
  });

  it('predictions filter by version and page back in time', async () => {
    const all = (await get('/api/v1/deployments/bc/predictions?pageSize=1000')).json().predictions as { version: number; time: string }[];
    expect(new Set(all.map((p) => p.version))).toEqual(new Set([1, 2]));
    const v1 = (await get('/api/v1/deployments/bc/predictions?version=1&pageSize=1000')).json().predictions as { version: number }[];
    expect(v1.length).toBe(all.filter((p) => p.version === 1).length);
    expect(v1.every((p) => p.version === 1)).toBe(true);
    const cut = all[3]!.time;
    const older = (await get(`/api/v1/deployments/bc/predictions?until=${cut}&pageSize=1000`)).json().predictions as { time: string }[];
    expect(older.length).toBe(all.filter((p) => p.time < cut).length);
    expect(older.every((p) => p.time < cut)).toBe(true);
  });

  it('pages the audit newest first on request', async () => {
    const asc = (await get('/api/v1/audit?pageSize=1000')).json().events.map((e: { seq: number }) => e.seq);
    const first = (await get('/api/v1/audit?order=desc&pageSize=2')).json();
    expect(first.events.map((e: { seq: number }) => e.seq)).toEqual(asc.slice(-2).reverse());
    const second = (await get(`/api/v1/audit?order=desc&pageSize=2&pageToken=${first.nextPageToken}`)).json();
    expect(second.events.map((e: { seq: number }) => e.seq)).toEqual(asc.slice(-4, -2).reverse());
    expect((await get('/api/v1/audit?order=sideways')).statusCode).toBe(400);
  });

  it('lists the new routes in the OpenAPI document, the HTML report as text/html', async () => {
    const doc = (await get('/api/v1/openapi.json')).json();
    for (const p of ['/api/v1/whoami', '/api/v1/dashboard/overview', '/api/v1/deployments/{name}/traffic', '/api/v1/models/{name}/timeline', '/api/v1/deployments/{name}/drift/distribution']) {
      expect(doc.paths[p]?.get, p).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/v1/deployments/{name}/drift/report'].get.responses['200'].content)).toEqual(['text/html']);
  });
});

describe('whoami with auth on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ auth: true });
  });
  afterAll(async () => t?.close());

  it('names the token and lists only the roles it satisfies; without a good token, says to sign in', async () => {
    // Optional APIs show as features once their routes exist.
    const viewer = await t.app.tokens.create({ name: 'ann', role: 'viewer' }, { actor: 'test' });
    const editor = await t.app.tokens.create({ name: 'ed', role: 'editor' }, { actor: 'test' });
    const ask = (token?: string) => t.server.inject({ method: 'GET', url: '/api/v1/whoami', headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await ask(viewer.token)).json()).toEqual({ signedIn: true, actor: 'token:ann', role: 'viewer', allows: ['viewer'], auth: true, features: { approvals: true, modelCards: true } });
    expect((await ask(editor.token)).json()).toMatchObject({ signedIn: true, actor: 'token:ed', role: 'editor', allows: expect.arrayContaining(['viewer', 'editor']), auth: true });
    expect((await ask(editor.token)).json().allows).not.toContain('admin');
    // A grant on one model raises the role there only.
    await t.app.registry.models.create({ name: 'fraud', task: 'regression' }, { actor: 'test' });
    await t.app.governance.grants.set('fraud', 'token:ed', { role: 'deployer' }, { actor: 'test' });
    const onModel = (model: string) => t.server.inject({ method: 'GET', url: `/api/v1/whoami?model=${model}`, headers: { authorization: `Bearer ${editor.token}` } });
    expect((await onModel('fraud')).json()).toMatchObject({ role: 'deployer', allows: ['viewer', 'editor', 'deployer'] });
    expect((await onModel('other')).json()).toMatchObject({ role: 'editor' });
    expect((await onModel('Not A Name')).statusCode).toBe(400);
    const out = { signedIn: false, actor: null, role: null, allows: [], auth: true };
    expect((await ask()).json()).toMatchObject(out);
    expect((await ask('sxt_wrong')).json()).toMatchObject(out);
    await t.app.tokens.revoke('ann', { actor: 'test' });
    expect((await ask(viewer.token)).json()).toMatchObject(out);
    // Everything else still needs the token.
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/dashboard/overview' })).statusCode).toBe(401);
    // The dashboard's files need no token: the login page must load (npm test builds it first).
    const page = await t.server.inject({ method: 'GET', url: '/deployments/x', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
  });
});
