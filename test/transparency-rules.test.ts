import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxFairnessEvaluator, requireCardEvaluator } from '../src/governance/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const DIR = path.join(path.resolve(import.meta.dirname, '..'), 'test', 'fixtures', 'fairness');
const who = { actor: 'alice' };

/** The evaluators of promotion rules `requireCard` and `maxFairness`: they read cards and fairness reports, and fail closed. */
describe.each(await databaseTargets())('transparency rule evaluators on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const dir = tempDir('sextant-rules-');
    const db = await target.create(dir);
    drop = db.drop;
    t = await testApp({ database: db.config, home: dir });
    await t.app.registry.models.create({ name: 'credit', task: 'binary-classification' }, who);
    const model = fs.readFileSync(path.join(DIR, 'credit-linear.json'));
    await t.app.registry.versions.register('credit', bytes(model), { format: 'sextant-linear' }, who);
    await t.app.registry.versions.register('credit', bytes(model), { format: 'sextant-linear' }, who);
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('requireCard passes once every named section is filled, by the model or the version', async () => {
    const { cards } = t.app.transparency;
    const rule = requireCardEvaluator((m, v) => cards.humanFields(m, v));
    const v2 = { model: 'credit', version: 2 };
    expect(await rule.evaluate({ sections: ['intendedUse', 'limitations'] }, v2)).toMatchObject({ passed: false, measured: 'missing intendedUse, limitations' });
    await cards.edit('credit', null, { intendedUse: ['credit pre-screening'] }, who);
    await cards.edit('credit', 2, { limitations: ['2026 applicants only'] }, who);
    expect(await rule.evaluate({ sections: ['intendedUse', 'limitations'] }, v2)).toMatchObject({ passed: true });
    expect(await rule.evaluate({ sections: ['use_cases', 'limitations'] }, { model: 'credit', version: 1 })).toMatchObject({ passed: false, measured: 'missing limitations' });
    expect((await rule.evaluate({ sections: ['intended_use'] }, v2)).message).toMatch(/unknown card section intended_use/);
  });

  it('maxFairness reads the latest report of the version and fails closed without one', async () => {
    const { fairness } = t.app.transparency;
    const rule = maxFairnessEvaluator((m, v) => fairness.latest(m, v));
    const v1 = { model: 'credit', version: 1 };
    expect(await rule.evaluate({ metric: 'demographicParityDifference', threshold: 0.1 }, v1)).toMatchObject({ passed: false, measured: null, message: expect.stringMatching(/no fairness report.*fails closed/) });
    const report = await fairness.evaluate('credit', 1, fs.readFileSync(path.join(DIR, 'credit.csv'), 'utf8'), 'csv', { label: 'approved', sensitive: 'sex' }, who);
    const ok = await rule.evaluate({ metric: 'demographicParityDifference', threshold: 0.1 }, v1);
    expect(ok).toMatchObject({ passed: true, measured: report.demographicParityDifference });
    const tight = await rule.evaluate({ metric: 'equalizedOddsDifference', threshold: report.equalizedOddsDifference / 2 }, v1);
    expect(tight).toMatchObject({ passed: false, measured: report.equalizedOddsDifference });
    expect((await rule.evaluate({ metric: 'demographicParityRatio', threshold: 1 }, v1)).passed).toBe(false);
    expect((await rule.evaluate({ metric: 'demographicParityDifference', threshold: 1 }, { model: 'credit', version: 2 })).passed).toBe(false);
  });
});
