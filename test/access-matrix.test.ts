import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/contracts/tokens.js';
import { newId } from '../src/shared/ids.js';
import { bytes, multipart, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const ROLES: Role[] = ['viewer', 'editor', 'deployer', 'approver', 'admin'];
const RANK: Record<Role, number> = { viewer: 1, editor: 2, deployer: 3, approver: 4, admin: 5 };
const LOCAL = { actor: 'local:test' };
/** How a token holds the role under test: as its global role, or as a grant on its model over a global viewer. */
const MODES = ['global', 'grant'] as const;
const CASES = MODES.flatMap((mode) => ROLES.map((role) => ({ mode, role, key: `${mode}-${role}` })));
const LINEAR = JSON.stringify({ format: 'sextant-linear', features: ['x'], link: 'logistic', classes: [0, 1], coefficients: [[3]], intercept: [0] });
const CSV = ['x,label,group', ...Array.from({ length: 40 }, (_, i) => `${(i % 10) / 5 - 1},${i % 3 === 0 ? 1 : 0},${i % 2 ? 'a' : 'b'}`)].join('\n');

interface Op {
  name: string;
  needs: Role;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: (m: string, f: Fixture) => string;
  body?: (m: string, f: Fixture) => unknown;
  /** Content type when the body is not JSON. */
  type?: string;
  /** Sextant-wide (tokens, channels): only the global role counts, grants never. */
  wide?: boolean;
}

interface Fixture {
  alert: string;
  job: string;
  /** Pending approval requests, one to approve and one to reject. */
  approve: string;
  reject: string;
}

/**
 * Every mutating operation of the REST API on a model, with the role it needs, in an order where
 * each allowed call finds what it needs (the canary it promotes, the alias it rolls back).
 */
const OPS: Op[] = [
  { name: 'create model', needs: 'editor', method: 'POST', url: () => '/api/v1/models', body: (m) => ({ name: `${m}-new`, task: 'regression' }) },
  { name: 'update model', needs: 'editor', method: 'PATCH', url: (m) => `/api/v1/models/${m}`, body: () => ({ description: 'changed' }) },
  { name: 'register version', needs: 'editor', method: 'POST', url: (m) => `/api/v1/models/${m}/versions`, type: 'multipart' },
  { name: 'update version', needs: 'editor', method: 'PATCH', url: (m) => `/api/v1/models/${m}/versions/1`, body: () => ({ description: 'v1' }) },
  { name: 'upload reference', needs: 'editor', method: 'PUT', url: (m) => `/api/v1/models/${m}/versions/1/reference`, body: () => CSV, type: 'text/csv' },
  { name: 'post feedback', needs: 'editor', method: 'POST', url: (m) => `/api/v1/deployments/${m}-d/feedback`, body: () => [{ requestId: 'r-1', label: 1 }] },
  { name: 'edit card', needs: 'editor', method: 'PUT', url: (m) => `/api/v1/models/${m}/card`, body: () => ({ overview: 'scores x' }) },
  { name: 'fairness report', needs: 'editor', method: 'POST', url: (m) => `/api/v1/models/${m}/versions/1/fairness?label=label&sensitive=group`, body: () => CSV, type: 'text/csv' },
  { name: 'set kpi', needs: 'editor', method: 'PUT', url: (m) => `/api/v1/models/${m}/kpi`, body: () => ({ computePrice: 0.05 }) },
  { name: 'set alias', needs: 'deployer', method: 'PUT', url: (m) => `/api/v1/models/${m}/aliases/staging`, body: () => ({ version: 2 }) },
  { name: 'rollback', needs: 'deployer', method: 'POST', url: (m) => `/api/v1/models/${m}/rollback`, body: () => ({ alias: 'staging' }) },
  { name: 'delete alias', needs: 'deployer', method: 'DELETE', url: (m) => `/api/v1/models/${m}/aliases/staging` },
  { name: 'create deployment', needs: 'deployer', method: 'POST', url: () => '/api/v1/deployments', body: (m) => ({ name: `${m}-f`, model: m, alias: 'champion' }) },
  { name: 'update deployment', needs: 'deployer', method: 'PATCH', url: (m) => `/api/v1/deployments/${m}-d`, body: () => ({ shadow: [] }) },
  { name: 'canary', needs: 'deployer', method: 'POST', url: (m) => `/api/v1/deployments/${m}-d/canary`, body: () => ({ version: 2, weight: 10 }) },
  { name: 'promote', needs: 'deployer', method: 'POST', url: (m) => `/api/v1/deployments/${m}-d/promote`, body: () => ({}) },
  { name: 'canary again', needs: 'deployer', method: 'POST', url: (m) => `/api/v1/deployments/${m}-d/canary`, body: () => ({ version: 1, weight: 5 }) },
  { name: 'abort', needs: 'deployer', method: 'POST', url: (m) => `/api/v1/deployments/${m}-d/abort`, body: () => ({}) },
  { name: 'delete deployment', needs: 'deployer', method: 'DELETE', url: (m) => `/api/v1/deployments/${m}-e` },
  { name: 'create monitor', needs: 'deployer', method: 'POST', url: () => '/api/v1/monitors', body: (m) => ({ deployment: `${m}-d`, windowRows: 100 }) },
  { name: 'ack alert', needs: 'deployer', method: 'POST', url: (_m, f) => `/api/v1/alerts/${f.alert}/ack`, body: () => ({}) },
  { name: 'set policy', needs: 'deployer', method: 'PUT', url: (m) => `/api/v1/models/${m}/policy`, body: () => ({ cooldownSeconds: 0 }) },
  { name: 'cancel job', needs: 'deployer', method: 'POST', url: (_m, f) => `/api/v1/jobs/${f.job}/cancel`, body: () => ({}) },
  { name: 'start retrain', needs: 'deployer', method: 'POST', url: (m) => `/api/v1/models/${m}/retrain`, body: () => ({}) },
  { name: 'approve', needs: 'approver', method: 'POST', url: (_m, f) => `/api/v1/approvals/${f.approve}/approve`, body: () => ({}) },
  { name: 'reject', needs: 'approver', method: 'POST', url: (_m, f) => `/api/v1/approvals/${f.reject}/reject`, body: () => ({}) },
  { name: 'protect alias', needs: 'admin', method: 'PUT', url: (m) => `/api/v1/models/${m}/aliases/guarded/protection`, body: () => ({ approvals: 2 }) },
  { name: 'unprotect alias', needs: 'admin', method: 'DELETE', url: (m) => `/api/v1/models/${m}/aliases/guarded/protection` },
  { name: 'set rules', needs: 'admin', method: 'PUT', url: (m) => `/api/v1/models/${m}/rules/guarded`, body: () => ({ requireValidation: true }) },
  { name: 'set grant', needs: 'admin', method: 'PUT', url: (m) => `/api/v1/models/${m}/grants/token:someone`, body: () => ({ role: 'viewer' }) },
  { name: 'revoke grant', needs: 'admin', method: 'DELETE', url: (m) => `/api/v1/models/${m}/grants/token:someone` },
  { name: 'create token', needs: 'admin', wide: true, method: 'POST', url: () => '/api/v1/tokens', body: (m) => ({ name: `${m}-t`, role: 'viewer' }) },
  { name: 'revoke token', needs: 'admin', wide: true, method: 'DELETE', url: (m) => `/api/v1/tokens/${m}-old` },
  { name: 'create channel', needs: 'admin', wide: true, method: 'POST', url: () => '/api/v1/channels', body: (m) => ({ name: `${m}-ch`, url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen+' }) },
  { name: 'delete channel', needs: 'admin', wide: true, method: 'DELETE', url: (m) => `/api/v1/channels/${m}-old` },
  { name: 'delete model', needs: 'admin', method: 'DELETE', url: (m) => `/api/v1/models/${m}-gone` },
];

describe.each(await databaseTargets())('every role × every mutating operation on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const secrets = new Map<string, string>();
  const fixtures = new Map<string, Fixture>();

  beforeAll(async () => {
    const dir = tempDir('sextant-access-');
    const db = await target.create(dir);
    drop = db.drop;
    // Jobs stay queued, so the retrain the matrix starts never runs.
    t = await testApp({ database: db.config, home: dir, auth: true, env: { SEXTANT_RUN_JOBS: '0', SEXTANT_CREATOR_ROLE: 'admin' } });
    const { registry, serving, pipelines, governance, tokens } = t.app;
    for (const { mode, role, key } of CASES) {
      const m = `m-${key}`;
      await registry.models.create({ name: m, task: 'binary-classification' }, LOCAL);
      await registry.models.create({ name: `${m}-gone`, task: 'regression' }, LOCAL);
      for (let i = 0; i < 2; i++) await registry.versions.register(m, bytes(LINEAR), { format: 'sextant-linear', alias: i === 0 ? 'champion' : undefined }, LOCAL);
      await registry.aliases.set(m, 'staging', { version: 1 }, LOCAL);
      await serving.deployments.create({ name: `${m}-d`, model: m, alias: 'champion' }, LOCAL);
      await serving.deployments.create({ name: `${m}-e`, model: m, alias: 'champion' }, LOCAL);
      const alert = newId();
      await t.app.database.db
        .insertInto('alerts')
        .values({ id: alert, deployment: `${m}-d`, rule: 'drift', message: 'drifted', status: 'open', first_window_end: '2030-01-01T00:00:00Z', last_window_end: '2030-01-01T00:00:00Z', windows: 1, acked_by: null, resolved_at: null, created_at: '2030-01-01T00:00:00Z' })
        .execute();
      await pipelines.policies.set(m, { cooldownSeconds: 0 }, LOCAL);
      const job = await pipelines.retrain.request(m, {}, LOCAL);
      await governance.protections.protect(m, 'gate', {}, LOCAL);
      const requests = [];
      for (let i = 0; i < 2; i++) requests.push(await registry.aliases.set(m, 'gate', { version: 2 }, { actor: 'local:requester' }));
      const [approve, reject] = requests.map((r) => ('approval' in r ? r.approval.id : ''));
      fixtures.set(key, { alert, job: job.id, approve: approve!, reject: reject! });
      await tokens.create({ name: `${m}-old`, role: 'viewer' }, LOCAL);
      await t.app.monitoring.notifications.createChannel({ name: `${m}-old`, url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen+' });
      secrets.set(key, (await tokens.create({ name: `u-${key}`, role: mode === 'global' ? role : 'viewer' }, LOCAL)).token);
      if (mode === 'grant') {
        // The role under test on its own models only.
        await governance.grants.set(m, `token:u-${key}`, { role }, LOCAL);
        await governance.grants.set(`${m}-gone`, `token:u-${key}`, { role }, LOCAL);
      }
    }
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const send = (key: string, op: Op) => {
    const m = `m-${key}`;
    const f = fixtures.get(key)!;
    const headers: Record<string, string> = { authorization: `Bearer ${secrets.get(key)}` };
    let payload: string | Buffer | undefined;
    if (op.type === 'multipart') {
      const body = multipart({ format: 'sextant-linear' }, LINEAR);
      headers['content-type'] = body.contentType;
      payload = body.body;
    } else if (op.body) {
      const b = op.body(m, f);
      headers['content-type'] = op.type ?? 'application/json';
      payload = typeof b === 'string' ? b : JSON.stringify(b);
    }
    return t.server.inject({ method: op.method, url: op.url(m, f), headers, payload });
  };

  it.each(CASES)('a $role ($mode role) does exactly what its role allows on its model, and is told what it lacks', async ({ mode, role, key }) => {
    // A model that does not exist yet has no grants: only the global role (or `*`) lets one create it.
    const ops = mode === 'grant' ? OPS.filter((op) => op.name !== 'create model') : OPS;
    expect(ops).toHaveLength(mode === 'grant' ? 35 : 36);
    const allowed = (op: Op) => RANK[role] >= RANK[op.needs] && !(op.wide && mode === 'grant');
    const outcome: string[] = [];
    for (const op of ops) {
      const res = await send(key, op);
      if (allowed(op)) {
        outcome.push(`${op.name}: ${res.statusCode < 300 ? 'done' : `${res.statusCode} ${res.body}`}`);
      } else {
        const err = res.json().error;
        const where = op.wide ? !err?.message.includes(' model ') : err?.message.includes(`model m-${key}`);
        const named = err?.code === 'permission_denied' && err.message.includes(`needs ${op.needs}`) && where;
        outcome.push(`${op.name}: ${res.statusCode === 403 && named ? 'denied' : `${res.statusCode} ${res.body}`}`);
      }
    }
    expect(outcome).toEqual(ops.map((op) => `${op.name}: ${allowed(op) ? 'done' : 'denied'}`));
  });

  it('a grant on one model gives nothing on another; `*` gives it on all; the global role counts everywhere', async () => {
    const { tokens, governance } = t.app;
    const editorEverywhere = (await tokens.create({ name: 'global-deployer', role: 'deployer' }, LOCAL)).token;
    const starred = (await tokens.create({ name: 'starred', role: 'viewer' }, LOCAL)).token;
    await governance.grants.set('*', 'token:starred', { role: 'deployer' }, LOCAL);
    const setAlias = (token: string, model: string) =>
      t.server.inject({ method: 'PUT', url: `/api/v1/models/${model}/aliases/other`, headers: { authorization: `Bearer ${token}` }, payload: { version: 1 } });
    const elsewhere = await setAlias(secrets.get('grant-deployer')!, 'm-grant-admin');
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.message).toBe('token:u-grant-deployer has role viewer on model m-grant-admin; this operation needs deployer on model m-grant-admin');
    expect((await setAlias(editorEverywhere, 'm-grant-admin')).statusCode).toBe(200);
    expect((await setAlias(starred, 'm-grant-viewer')).statusCode).toBe(200);
    // Only an admin on `*` manages `*` grants; an admin of one model does not.
    const star = await t.server.inject({ method: 'PUT', url: '/api/v1/models/*/grants/token:u-grant-viewer', headers: { authorization: `Bearer ${secrets.get('grant-admin')}` }, payload: { role: 'admin' } });
    expect(star.statusCode).toBe(403);
    expect(star.json().error.message).toMatch(/needs admin on every model/);
    // Sextant-wide operations count the global role only.
    const token = await t.server.inject({ method: 'POST', url: '/api/v1/tokens', headers: { authorization: `Bearer ${secrets.get('grant-admin')}` }, payload: { name: 'x', role: 'viewer' } });
    expect(token.statusCode).toBe(403);
    expect(token.json().error.message).toMatch(/needs admin/);
  });

  it('SEXTANT_CREATOR_ROLE grants a model’s creator its role; grants are listed per model and for `*`', async () => {
    const list = (await t.server.inject({ method: 'GET', url: '/api/v1/models/m-global-editor-new/grants', headers: { authorization: `Bearer ${secrets.get('grant-viewer')}` } })).json();
    expect(list.grants.map((g: { principal: string; role: string }) => `${g.principal}=${g.role}`)).toEqual(['token:u-global-editor=admin']);
    const star = (await t.server.inject({ method: 'GET', url: '/api/v1/models/*/grants', headers: { authorization: `Bearer ${secrets.get('grant-viewer')}` } })).json();
    expect(star.grants.map((g: { principal: string }) => g.principal)).toEqual(['token:starred']);
    const audit = await t.app.audit.list({ target: 'model:m-global-editor-new' });
    expect(audit.events.map((e) => [e.action, e.actor])).toEqual([
      ['model.create', 'token:u-global-editor'],
      ['grant.set', 'token:u-global-editor'],
    ]);
  });
});
