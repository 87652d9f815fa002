import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVALUATORS, MonitorService, type WindowEvaluator } from '../src/monitoring/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const who = { actor: 'test' };
const targets = await databaseTargets();

/**
 * The evaluator seam: a check added beside the built-in ones stores its section with each window,
 * gets back the state it stored with the window before, and a window judged again starts from the
 * state before that window, not from its own.
 */
describe.each(targets)('monitor window evaluators on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    t = await testApp({ database: db.config });
    await t.app.registry.models.create({ name: 'm', task: 'binary-classification' }, who);
    const model = { format: 'sextant-linear', features: ['x'], link: 'logistic', classes: [0, 1], coefficients: [[1]], intercept: [0] };
    await t.app.registry.versions.register('m', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('stores each section, hands state from one window to the next, and keeps the built-in sections as they were', async () => {
    const seen: unknown[] = [];
    const counter: WindowEvaluator = {
      name: 'probe',
      rules: [],
      async evaluate({ previous, section, reassess }) {
        const before = (await previous()) as { n: number } | null;
        seen.push(section('drift'));
        const n = (before?.n ?? 0) + 1;
        return { section: { n, reassess }, state: { n }, breaches: [] };
      },
    };
    const a = t.app;
    const monitors = new MonitorService(a.database.db, a.clock, a.monitoring.references, a.monitoring.quality, a.writes, a.logger, a.monitoring.alerts, a.monitoring.log, [...DEFAULT_EVALUATORS, counter]);
    const m = await monitors.create({ deployment: 'm', windowSeconds: 60 });
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    const at = (k: number) => new Date(t0 + k * 60_000);
    for (let k = 0; k < 3; k++) expect(await monitors.evaluate(m, at(k), at(k + 1))).toMatchObject({ probe: { n: k + 1, reassess: false } });
    const again = await monitors.evaluate(m, at(2), at(3), { reassess: true });
    expect(again).toMatchObject({ probe: { n: 3, reassess: true }, driftError: expect.stringMatching(/logged no predictions/), drift: null, dataQuality: [], quality: null, alert: [] });
    // The built-in drift section came first, and the later evaluator could read it.
    expect(seen[0]).toMatchObject({ drifted: false, error: expect.stringMatching(/logged no predictions/) });
    const stored = await monitors.results('m');
    expect(stored.map((r) => (r as { probe?: { n: number } }).probe?.n)).toEqual([3, 2, 1]);
    // The stored row keeps its state out of the result.
    expect(JSON.stringify(stored)).not.toContain('"state"');
  });
});
