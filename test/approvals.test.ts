import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/shared/clock.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const LINEAR = JSON.stringify({ format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] });
const LOCAL = { actor: 'local:test' };

/** Real time, moved forward by hand (requests expire). */
function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

describe.each(await databaseTargets())('protected aliases and four-eyes approvals on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const clock = offsetClock();
  const secrets: Record<string, string> = {};

  const call = (who: string, method: string, url: string, payload?: unknown) =>
    t.server.inject({ method: method as 'GET', url, payload: payload as never, headers: { authorization: `Bearer ${secrets[who]}` } });
  const champion = async (model: string) => (await t.app.registry.models.get(model)).aliases.champion;

  beforeAll(async () => {
    const dir = tempDir('sextant-approvals-');
    const db = await target.create(dir);
    drop = db.drop;
    // The test takes promotion steps and expiry passes itself: the background pass waits a minute.
    t = await testApp({ database: db.config, home: dir, auth: true, clock, env: { SEXTANT_RUN_JOBS: '0', SEXTANT_PROMOTION_INTERVAL_MS: '60000' } });
    for (const [name, role] of [['root', 'admin'], ['dep', 'deployer'], ['ap1', 'approver'], ['ap2', 'approver'], ['carl', 'approver']] as const) {
      secrets[name] = (await t.app.tokens.create({ name, role }, LOCAL)).token;
    }
    for (const model of ['fraud', 'churn']) {
      await t.app.registry.models.create({ name: model, task: 'regression' }, LOCAL);
      await t.app.registry.versions.register(model, bytes(LINEAR), { format: 'sextant-linear', alias: 'champion' }, { actor: 'token:dep' });
      await t.app.registry.versions.register(model, bytes(LINEAR), { format: 'sextant-linear' }, { actor: 'token:dep' });
      // carl wrote version 3: he may not approve its promotion.
      await t.app.registry.versions.register(model, bytes(LINEAR), { format: 'sextant-linear' }, { actor: 'token:carl' });
    }
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('only an admin protects; a move becomes a pending request (202) and nothing moves', async () => {
    expect((await call('dep', 'PUT', '/api/v1/models/fraud/aliases/champion/protection', { approvals: 2 })).statusCode).toBe(403);
    const p = await call('root', 'PUT', '/api/v1/models/fraud/aliases/champion/protection', { approvals: 2 });
    expect(p.statusCode).toBe(200);
    expect(p.json()).toMatchObject({ model: 'fraud', alias: 'champion', approvals: 2, ttlSeconds: 259200, protectedBy: 'token:root' });
    const res = await call('dep', 'PUT', '/api/v1/models/fraud/aliases/champion', { version: 3, reason: 'better recall' });
    expect(res.statusCode).toBe(202);
    const { approval } = res.json();
    expect(approval).toMatchObject({ status: 'pending', model: 'fraud', alias: 'champion', version: 3, fromVersion: 1, required: 2, requestedBy: 'token:dep', versionAuthor: 'token:carl', approvals: [], reason: 'better recall' });
    expect(Date.parse(approval.expiresAt) - Date.parse(approval.requestedAt)).toBe(72 * 3600 * 1000);
    expect(await champion('fraud')).toBe(1);
    const deleted = await call('root', 'DELETE', '/api/v1/models/fraud/aliases/champion');
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json().error.message).toMatch(/is protected and cannot be deleted; unprotect it first/);
    const listed = (await call('ap1', 'GET', '/api/v1/approvals?model=fraud&status=pending')).json().approvals;
    expect(listed.map((a: { id: string }) => a.id)).toEqual([approval.id]);
    expect((await call('ap1', 'GET', `/api/v1/approvals/${approval.id}`)).json()).toEqual(approval);
  });

  it('needs distinct approvers, refuses the requester and the version author, and moves atomically on the last approval', async () => {
    const [a] = (await call('ap1', 'GET', '/api/v1/approvals?model=fraud&status=pending')).json().approvals;
    const viewerLike = await call('dep', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(viewerLike.statusCode).toBe(403);
    expect(viewerLike.json().error.message).toBe('token:dep has role deployer on model fraud; this operation needs approver on model fraud');
    // The requester, given the approver role on the model, still may not approve their own request.
    await t.app.governance.grants.set('fraud', 'token:dep', { role: 'approver' }, LOCAL);
    const own = await call('dep', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(own.statusCode).toBe(403);
    expect(own.json().error.message).toMatch(/^token:dep requested approval \S+ and may not approve it/);
    const author = await call('carl', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(author.statusCode).toBe(403);
    expect(author.json().error.message).toBe('token:carl is the author of version 3 of model fraud and may not approve its promotion');
    const first = await call('ap1', 'POST', `/api/v1/approvals/${a.id}/approve`, { reason: 'metrics look right' });
    expect(first.json()).toMatchObject({ status: 'pending', approvals: [{ approver: 'token:ap1', reason: 'metrics look right' }] });
    expect(await champion('fraud')).toBe(1);
    const twice = await call('ap1', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.message).toMatch(/distinct approver/);
    const last = await call('ap2', 'POST', `/api/v1/approvals/${a.id}/approve`, {});
    expect(last.statusCode).toBe(200);
    expect(last.json()).toMatchObject({ status: 'approved', approvals: [{ approver: 'token:ap1' }, { approver: 'token:ap2' }] });
    expect(await champion('fraud')).toBe(3);
    const history = await t.app.registry.aliases.history('fraud', 'champion');
    expect(history.periods.at(-1)).toMatchObject({ version: 3, action: 'set', actor: 'token:dep' });
    expect(history.periods.at(-1)!.reason).toBe(`better recall; approved by token:ap1, token:ap2 (approval ${a.id})`);
    const moved = (await t.app.audit.list({ target: 'model:fraud@champion' })).events.at(-1)!;
    expect(moved).toMatchObject({ action: 'alias.set', actor: 'token:dep', before: { version: 1 }, after: { version: 3 } });
    expect(moved.reason).toContain('approved by token:ap1, token:ap2');
    const trail = (await t.app.audit.list({ target: `approval:${a.id}` })).events;
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['approval.request', 'token:dep'],
      ['approval.approve', 'token:ap1'],
      ['approval.approve', 'token:ap2'],
      ['approval.approved', 'token:ap2'],
    ]);
    expect(trail.at(-1)!.after).toMatchObject({ requestedBy: 'token:dep', approvers: ['token:ap1', 'token:ap2'], fromVersion: 1, version: 3 });
    expect((await call('ap1', 'POST', `/api/v1/approvals/${a.id}/reject`, {})).statusCode).toBe(409);
  });

  it('rollback becomes a request too; a rejection leaves the alias where it is', async () => {
    const res = await call('dep', 'POST', '/api/v1/models/fraud/rollback', { alias: 'champion' });
    expect(res.statusCode).toBe(202);
    const { approval } = res.json();
    expect(approval).toMatchObject({ action: 'alias.rollback', version: 1, fromVersion: 3 });
    const rejected = await call('ap1', 'POST', `/api/v1/approvals/${approval.id}/reject`, { reason: 'not now' });
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejectedBy: { approver: 'token:ap1', reason: 'not now' }, decisionReason: 'not now' });
    expect(await champion('fraud')).toBe(3);
    expect((await call('ap2', 'POST', `/api/v1/approvals/${approval.id}/approve`, {})).json().error.message).toMatch(/already rejected/);
  });

  it('a request whose alias moved since is refused as stale; an old request expires', async () => {
    await call('root', 'PUT', '/api/v1/models/churn/aliases/champion/protection', { approvals: 1, ttlSeconds: 3600 });
    const stale = (await call('dep', 'PUT', '/api/v1/models/churn/aliases/champion', { version: 2 })).json().approval;
    const later = (await call('dep', 'PUT', '/api/v1/models/churn/aliases/champion', { version: 3 })).json().approval;
    expect((await call('ap1', 'POST', `/api/v1/approvals/${later.id}/approve`, {})).json()).toMatchObject({ status: 'approved' });
    expect(await champion('churn')).toBe(3);
    const refused = await call('ap2', 'POST', `/api/v1/approvals/${stale.id}/approve`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toMatch(/^stale: churn@champion points at version 3, not version 1/);
    // A refusal changes nothing: the stale request stays open until someone rejects it or it expires.
    expect((await call('ap1', 'GET', `/api/v1/approvals/${stale.id}`)).json()).toMatchObject({ status: 'pending', approvals: [] });
    expect((await call('ap1', 'POST', `/api/v1/approvals/${stale.id}/reject`, { reason: 'stale' })).json()).toMatchObject({ status: 'rejected' });
    expect(await champion('churn')).toBe(3);

    const old = (await call('dep', 'PUT', '/api/v1/models/churn/aliases/champion', { version: 2 })).json().approval;
    clock.advance(3601_000);
    expect((await call('ap1', 'GET', `/api/v1/approvals?model=churn&status=expired`)).json().approvals.map((a: { id: string }) => a.id)).toEqual([old.id]);
    const expired = await call('ap1', 'POST', `/api/v1/approvals/${old.id}/approve`, {});
    expect(expired.statusCode).toBe(409);
    expect(expired.json().error.message).toMatch(/expired at/);
    expect((await t.app.audit.list({ target: `approval:${old.id}` })).events.map((e) => e.action)).toEqual(['approval.request']);
    // The sweep (under the promotions lease) records the expiry.
    await t.app.governance.approvals.expireDue();
    expect((await t.app.audit.list({ target: `approval:${old.id}` })).events.map((e) => e.action)).toEqual(['approval.request', 'approval.expired']);
    expect(await champion('churn')).toBe(3);
  });

  it('deploy promote on a deployment following a protected alias waits; the canary keeps its share until approved', async () => {
    await t.app.serving.deployments.create({ name: 'fraud-web', model: 'fraud', alias: 'champion' }, LOCAL);
    await t.app.serving.deployments.canary('fraud-web', { version: 2, weight: 20 }, LOCAL);
    const res = await call('dep', 'POST', '/api/v1/deployments/fraud-web/promote', { reason: 'ramp done' });
    expect(res.statusCode).toBe(202);
    const { approval } = res.json();
    expect(approval).toMatchObject({ action: 'deployment.promote', version: 2, fromVersion: 3 });
    expect((await t.app.serving.deployments.get('fraud-web')).canary).toEqual({ version: 2, weight: 20 });
    await call('ap1', 'POST', `/api/v1/approvals/${approval.id}/approve`, {});
    await call('ap2', 'POST', `/api/v1/approvals/${approval.id}/approve`, {});
    const d = await t.app.serving.deployments.get('fraud-web');
    expect(d.canary).toBeNull();
    expect(d.routes).toEqual([{ version: 2, weight: 100, role: 'primary' }]);
    expect(d.lastEvent).toMatchObject({ action: 'promote' });
    expect(await champion('fraud')).toBe(2);
  });

  it('the last step of an automated promotion waits for approval; the job says so; approval finishes it', async () => {
    // The job that validated version 3 (it stays queued: this process runs no jobs).
    const job = await t.app.pipelines.jobs.enqueue({ kind: 'retrain', model: 'fraud', createdBy: 'local:test' });
    const started = await t.app.pipelines.promotions.begin({
      model: 'fraud',
      version: 3,
      spec: { strategy: 'canary', steps: [30, 100], stepSeconds: 0, shadowSeconds: 0, alias: 'champion' },
      jobId: job.id,
    });
    expect(started.promotions).toHaveLength(1);
    for (let i = 0; i < 4; i++) await t.app.pipelines.promotions.advance();
    const [p] = await t.app.pipelines.promotions.list({ model: 'fraud' });
    expect(p).toMatchObject({ status: 'waiting', approvalId: expect.any(String) });
    // The challenger keeps the share of the step before: it does not take all the traffic unapproved.
    expect((await t.app.serving.deployments.get('fraud-web')).canary).toEqual({ version: 3, weight: 30 });
    const logs = (await t.app.pipelines.jobs.logs(job.id, {})).lines.map((l) => l.line);
    expect(logs).toContain(`waiting for approval ${p!.approvalId} to move the protected fraud@champion to version 3; the canary keeps its share until the decision`);
    const approval = (await call('ap1', 'GET', `/api/v1/approvals/${p!.approvalId}`)).json();
    expect(approval).toMatchObject({ status: 'pending', requestedBy: 'sextant:promotion', action: 'deployment.promote' });
    await call('ap1', 'POST', `/api/v1/approvals/${p!.approvalId}/approve`, {});
    await call('ap2', 'POST', `/api/v1/approvals/${p!.approvalId}/approve`, {});
    expect((await t.app.pipelines.promotions.list({ model: 'fraud' }))[0]).toMatchObject({ status: 'promoted' });
    expect(await champion('fraud')).toBe(3);
    expect((await t.app.serving.deployments.get('fraud-web')).canary).toBeNull();
    expect((await t.app.pipelines.jobs.logs(job.id, {})).lines.at(-1)!.line).toMatch(/approved by token:ap1, token:ap2: version 3 promoted/);
  });

  it('a rejected or expired approval rolls a waiting promotion back and removes its canary; registration with a protected alias asks too', async () => {
    await t.app.serving.deployments.create({ name: 'churn-web', model: 'churn', alias: 'champion' }, LOCAL);
    const spec = { strategy: 'canary' as const, steps: [100], stepSeconds: 0, shadowSeconds: 0, alias: 'champion' };
    const job = await t.app.pipelines.jobs.enqueue({ kind: 'retrain', model: 'churn', createdBy: 'local:test' });
    await t.app.pipelines.promotions.begin({ model: 'churn', version: 2, spec, jobId: job.id });
    for (let i = 0; i < 3; i++) await t.app.pipelines.promotions.advance();
    const [waiting] = await t.app.pipelines.promotions.list({ model: 'churn' });
    expect(waiting).toMatchObject({ status: 'waiting' });
    await call('ap1', 'POST', `/api/v1/approvals/${waiting!.approvalId}/reject`, { reason: 'not this one' });
    expect((await t.app.pipelines.promotions.list({ model: 'churn' }))[0]).toMatchObject({ status: 'rolled-back', reason: `approval ${waiting!.approvalId} rejected` });
    expect((await t.app.serving.deployments.get('churn-web')).canary).toBeNull();
    expect((await t.app.pipelines.jobs.logs(job.id, {})).lines.at(-1)!.line).toBe(`approval ${waiting!.approvalId} rejected: the canary was removed`);
    expect(await champion('churn')).toBe(3);

    await t.app.pipelines.promotions.begin({ model: 'churn', version: 2, spec, jobId: null });
    for (let i = 0; i < 3; i++) await t.app.pipelines.promotions.advance();
    const [again] = await t.app.pipelines.promotions.list({ model: 'churn', status: 'waiting' });
    // A ramp that starts at 100 waits with the challenger loaded but idle.
    expect((await t.app.serving.deployments.get('churn-web')).canary).toEqual({ version: 2, weight: 0 });
    clock.advance(3601_000);
    await t.app.governance.approvals.expireDue();
    expect((await t.app.governance.approvals.get(again!.approvalId!)).status).toBe('expired');
    expect((await t.app.pipelines.promotions.list({ model: 'churn' }))[0]).toMatchObject({ status: 'rolled-back', reason: `approval ${again!.approvalId} expired` });
    expect((await t.app.serving.deployments.get('churn-web')).canary).toBeNull();

    const registered = await t.app.registry.versions.register('churn', bytes(LINEAR), { format: 'sextant-linear', alias: 'champion' }, { actor: 'token:dep' });
    expect(registered.aliases).toEqual([]);
    expect(registered.warnings.at(-1)).toEqual(expect.stringMatching(/^approval \S+ requested: churn@champion is protected and moves to version 4 once approved$/));
    expect(await champion('churn')).toBe(3);
  });

  it('unprotect lets moves happen directly again; bad input is a 400 naming the field', async () => {
    expect((await call('root', 'DELETE', '/api/v1/models/fraud/aliases/champion/protection')).statusCode).toBe(204);
    expect((await call('dep', 'PUT', '/api/v1/models/fraud/aliases/champion', { version: 1 })).statusCode).toBe(200);
    expect((await call('root', 'DELETE', '/api/v1/models/fraud/aliases/champion/protection')).statusCode).toBe(404);
    const bad = await call('root', 'PUT', '/api/v1/models/fraud/aliases/champion/protection', { approvals: 0 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/approvals/);
    expect((await call('ap1', 'GET', '/api/v1/approvals?status=maybe')).statusCode).toBe(400);
    expect((await call('ap1', 'GET', '/api/v1/approvals/nope')).statusCode).toBe(404);
  });
});
