import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const LINEAR = JSON.stringify({ format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] });
const LOCAL = { actor: 'local:test' };

describe.each(await databaseTargets())('promotion rules on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const secrets: Record<string, string> = {};
  const call = (who: string, method: string, url: string, payload?: unknown) =>
    t.server.inject({ method: method as 'GET', url, payload: payload as never, headers: { authorization: `Bearer ${secrets[who]}` } });
  const champion = async () => (await t.app.registry.models.get('risk')).aliases.champion;

  beforeAll(async () => {
    const dir = tempDir('sextant-rules-');
    const db = await target.create(dir);
    drop = db.drop;
    t = await testApp({ database: db.config, home: dir, auth: true });
    for (const [name, role] of [['root', 'admin'], ['dep', 'deployer'], ['ap', 'approver']] as const) secrets[name] = (await t.app.tokens.create({ name, role }, LOCAL)).token;
    await t.app.registry.models.create({ name: 'risk', task: 'regression' }, LOCAL);
    for (const accuracy of [0.8, 0.85, 0.95]) {
      await t.app.registry.versions.register('risk', bytes(LINEAR), { format: 'sextant-linear', metrics: { accuracy }, alias: accuracy === 0.8 ? 'champion' : undefined }, LOCAL);
    }
    await t.app.serving.deployments.create({ name: 'risk-web', model: 'risk', alias: 'champion' }, LOCAL);
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('only an admin sets rules; a failing rule answers 412 listing each failing rule with its measured value, and nothing moves', async () => {
    const rules = { minMetrics: [{ metric: 'accuracy', op: '>=', threshold: 0.9 }, { metric: 'auc', op: '>=', threshold: 0.8 }] };
    expect((await call('dep', 'PUT', '/api/v1/models/risk/rules/champion', rules)).statusCode).toBe(403);
    const set = await call('root', 'PUT', '/api/v1/models/risk/rules/champion', rules);
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ model: 'risk', alias: 'champion', updatedBy: 'token:root', rules: { minMetrics: rules.minMetrics, requireValidation: false, maxDriftShare: null } });
    const refused = await call('dep', 'PUT', '/api/v1/models/risk/aliases/champion', { version: 2 });
    expect(refused.statusCode).toBe(412);
    const err = refused.json().error;
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toBe(
      'risk@champion cannot move to version 2: accuracy>=0.9 failed (accuracy of version 2 is 0.85); auc>=0.8 failed (version 2 records no auc (registration metrics or validation gate), so the rule fails closed)',
    );
    expect(err.details.rules).toEqual([
      { rule: 'accuracy>=0.9', passed: false, measured: 0.85, message: 'accuracy of version 2 is 0.85' },
      expect.objectContaining({ rule: 'auc>=0.8', passed: false, measured: null }),
    ]);
    expect(await champion()).toBe(1);
    await call('root', 'PUT', '/api/v1/models/risk/rules/champion', { minMetrics: [rules.minMetrics[0]] });
    expect((await call('dep', 'PUT', '/api/v1/models/risk/aliases/champion', { version: 3 })).statusCode).toBe(200);
    expect(await champion()).toBe(3);
    // Rules guard only their alias.
    expect((await call('dep', 'PUT', '/api/v1/models/risk/aliases/staging', { version: 2 })).statusCode).toBe(200);
  });

  it('validation, card, drift and fairness rules fail closed without evidence and pass with it', async () => {
    await call('root', 'PUT', '/api/v1/models/risk/rules/champion', {
      requireValidation: true,
      requireCard: ['intendedUse', 'limitations'],
      maxDriftShare: 0.3,
      maxFairness: [{ metric: 'demographicParityDifference', threshold: 0.1 }],
    });
    const refused = await call('dep', 'POST', '/api/v1/deployments/risk-web/canary', { version: 1, weight: 10 });
    expect(refused.statusCode).toBe(200);
    const promote = await call('dep', 'POST', '/api/v1/deployments/risk-web/promote', {});
    expect(promote.statusCode).toBe(412);
    const results = promote.json().error.details.rules as { rule: string; measured: unknown; message: string }[];
    expect(results.map((r) => [r.rule, r.measured])).toEqual([
      ['requireValidation', null],
      ['driftShare<=0.3', null],
      ['requireCard intendedUse,limitations', 'missing intendedUse, limitations'],
      ['demographicParityDifference<=0.1', null],
    ]);
    expect(results[3]!.message).toMatch(/has no fairness report/);
    expect((await t.app.serving.deployments.get('risk-web')).canary).toEqual({ version: 1, weight: 10 });
    // Evidence: a card, a monitor window, a validation.
    await t.app.transparency.cards.edit('risk', 1, { intendedUse: ['scoring'], limitations: ['none known'] }, LOCAL);
    await t.app.database.db
      .insertInto('monitor_results')
      .values({ deployment: 'risk-web', window_start: '2030-01-01T00:00:00.000Z', window_end: '2030-01-01T01:00:00.000Z', drift: JSON.stringify({ drifted: false, driftedShare: 0.2, features: [] }), quality: null, alert: null, sections: null })
      .execute();
    await t.app.database.db
      .insertInto('version_validations')
      .values({ model: 'risk', version: 1, job_id: 'job-1', result: JSON.stringify({ passed: true, checks: [] }), created_at: '2030-01-01T00:00:00.000Z' })
      .execute();
    await call('root', 'PUT', '/api/v1/models/risk/rules/champion', { requireValidation: true, requireCard: ['intendedUse', 'limitations'], maxDriftShare: 0.3 });
    const ok = await call('dep', 'POST', '/api/v1/deployments/risk-web/promote', {});
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await champion()).toBe(1);
  });

  it('an approval request shows the evaluation; the rules are judged again at the last approval', async () => {
    await call('root', 'PUT', '/api/v1/models/risk/aliases/champion/protection', { approvals: 1 });
    await call('root', 'PUT', '/api/v1/models/risk/rules/champion', { minMetrics: [{ metric: 'accuracy', op: '>', threshold: 0.9 }] });
    const { approval } = (await call('dep', 'PUT', '/api/v1/models/risk/aliases/champion', { version: 3 })).json();
    expect(approval.rules).toMatchObject({ alias: 'champion', version: 3, passed: true, results: [{ rule: 'accuracy>0.9', passed: true, measured: 0.95 }] });
    await call('root', 'PUT', '/api/v1/models/risk/rules/champion', { minMetrics: [{ metric: 'accuracy', op: '>', threshold: 0.96 }] });
    const last = await call('ap', 'POST', `/api/v1/approvals/${approval.id}/approve`, {});
    expect(last.statusCode).toBe(412);
    expect(last.json().error.message).toMatch(/accuracy>0.96 failed \(accuracy of version 3 is 0.95\)/);
    expect((await call('ap', 'GET', `/api/v1/approvals/${approval.id}`)).json()).toMatchObject({ status: 'pending', approvals: [] });
    expect(await champion()).toBe(1);
    expect((await call('dep', 'GET', '/api/v1/models/risk/rules')).json().rules).toHaveLength(1);
    expect((await call('root', 'PUT', '/api/v1/models/risk/rules/champion', { minMetrics: [{ metric: 'accuracy', op: '~', threshold: 1 }] })).statusCode).toBe(400);
  });
});
