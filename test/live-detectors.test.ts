import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adwin, Ddm, type Detector, Kswin, PageHinkley } from '../src/stats/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { runCli } from './helpers/processes.js';

const who = { actor: 'test' };
const targets = await databaseTargets();

/** Deterministic standard normals (Box–Muller over a small LCG). */
function normals(seed: number, n: number): number[] {
  let s = seed;
  const u = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/**
 * A stream with a known change point at row 300: the feature x shifts by two standard deviations
 * (so the score shifts too), and the error rate jumps from 10 % to 50 %. The monitor cuts it into
 * windows of 100 rows and must fire at exactly the rows the detectors fire at on the whole stream
 * (the state carries across windows), within each detector's expected delay.
 */
const CHANGE = 300;
const ROWS = 600;
const x = normals(1, ROWS).map((v, i) => (i < CHANGE ? v : v + 2));
const wrong = (() => {
  let s = 1 * 7 + 3;
  const u = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  return x.map((_, i) => (u() < (i < CHANGE ? 0.1 : 0.5) ? 1 : 0));
})();
const score = x.map((v) => 1 / (1 + Math.exp(-v)));
const rowsFired = (d: Detector, xs: number[]) => xs.flatMap((v, i) => (d.update(v).drift ? [i + 1] : []));

/**
 * Expected delays after the change, in rows: Page–Hinkley's cumulative sum passes its threshold of
 * 50 after about 50 / 2 rows of a two-sigma shift; KSWIN needs the shifted rows to fill much of its
 * 30-value test sample; ADWIN looks only every 32 values (its clock) and needs a few dozen rows on
 * each side of a cut; DDM's p + s passes p_min + 3 s_min within a few dozen rows of a 10 → 50 % jump.
 */
const DELAY = { page_hinkley: 60, kswin: 60, adwin: 64, ddm: 60 };

describe.each(targets)('streaming detectors in live monitors on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    t = await testApp({ database: db.config, env: { SEXTANT_MONITOR_INTERVAL_MS: '3600000' } });
    await t.app.registry.models.create({ name: 'm', task: 'binary-classification' }, who);
    const model = { format: 'sextant-linear', features: ['x'], link: 'logistic', classes: [0, 1], coefficients: [[1]], intercept: [0] };
    await t.app.registry.versions.register('m', bytes(JSON.stringify(model)), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('fires where the detectors fire on the whole stream, within their expected delay, and the alert names detector and row', async () => {
    const created = await t.server.inject({
      method: 'POST',
      url: '/api/v1/monitors',
      payload: {
        deployment: 'm',
        windowRows: 10,
        thresholds: {
          detectors: [
            { detector: 'page_hinkley', stream: 'feature', feature: 'x' },
            { detector: 'kswin', stream: 'score' },
            { detector: 'adwin', stream: 'error' },
            { detector: 'ddm', stream: 'error' },
          ],
        },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const alerts: string[] = [];
    // Ten requests of ten rows make a window; labels arrive with their window, before it is judged.
    for (let w = 0; w < ROWS / 100; w++) {
      for (let k = 0; k < 10; k++) {
        const from = w * 100 + k * 10;
        const res = await t.server.inject({
          method: 'POST',
          url: '/v1/deployments/m/invocations',
          payload: { instances: x.slice(from, from + 10).map((v) => [v]) },
          headers: { 'x-request-id': `r-${from}` },
        });
        expect(res.statusCode, res.body).toBe(200);
        await new Promise((r) => setTimeout(r, 2));
      }
      await t.app.monitoring.predictions.flush();
      const labels = Array.from({ length: 10 }, (_, k) => {
        const from = w * 100 + k * 10;
        return { requestId: `r-${from}`, label: x.slice(from, from + 10).map((v, i) => ((v >= 0 ? 1 : 0) ^ wrong[from + i]!)) };
      });
      await t.app.monitoring.feedback.record('m', labels);
      const written = await t.app.monitoring.monitors.evaluateDue();
      expect(written).toHaveLength(1);
      alerts.push(...written[0]!.alert);
    }
    const results = (await t.server.inject({ method: 'GET', url: '/api/v1/monitors/m/results' })).json().results.reverse() as {
      detectors: { detector: string; values: number; rows: number; detections: { row: number; requestId: string }[] }[];
    }[];
    expect(results).toHaveLength(6);
    const fired = (name: string) => results.flatMap((r) => r.detectors.find((d) => d.detector === name)!.detections.map((d) => d.row));
    const expected = {
      page_hinkley: rowsFired(new PageHinkley(), x),
      kswin: rowsFired(new Kswin(), score),
      adwin: rowsFired(new Adwin(), wrong),
      ddm: rowsFired(new Ddm(), wrong),
    };
    for (const [name, rows] of Object.entries(expected)) {
      expect(fired(name), name).toEqual(rows);
      // Nothing before the change; the first detection after it within the expected delay.
      expect(rows[0], name).toBeGreaterThan(CHANGE);
      expect(rows[0]! - CHANGE, name).toBeLessThanOrEqual(DELAY[name as keyof typeof DELAY]);
    }
    // Every window fed each detector its 100 rows, counted on from the window before.
    expect(results.map((r) => r.detectors[0]!.rows)).toEqual([100, 200, 300, 400, 500, 600]);
    // The row names its request: row 318 is the 8th row of the request starting at row 310.
    const ph = results.flatMap((r) => r.detectors[0]!.detections)[0]!;
    expect(ph.requestId).toBe(`r-${Math.floor((ph.row - 1) / 10) * 10}`);
    expect(alerts.join('\n')).toContain(`Page-Hinkley on feature x detected a change at row ${expected.page_hinkley[0]} (request ${ph.requestId}`);
    expect(alerts.join('\n')).toMatch(new RegExp(`DDM on the error stream detected a change at row ${expected.ddm[0]}`));
    const open = (await t.server.inject({ method: 'GET', url: '/api/v1/alerts?deployment=m' })).json().alerts;
    expect(open.some((a: { rule: string }) => a.rule === 'detector')).toBe(true);
  });

  it('the CLI: --detector and the estimate thresholds on monitor create, detections in monitor results', async () => {
    const env = { SEXTANT_URL: await t.server.listen({ port: 0, host: '127.0.0.1' }) };
    await t.app.serving.deployments.create({ name: 'm3', model: 'm', alias: 'champion' }, who);
    const made = await runCli(['monitor', 'create', 'm3', '--window-rows', '50', '--detector', 'adwin:error', '--detector', 'kswin:feature:x', '--min-roc-auc', '0.7', '--max-mae', '2', '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).thresholds).toMatchObject({
      detectors: [{ detector: 'adwin', stream: 'error' }, { detector: 'kswin', stream: 'feature', feature: 'x' }],
      minRocAuc: 0.7,
      maxMae: 2,
    });
    const bad = await runCli(['monitor', 'create', 'm3', '--detector', 'ddm:score'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--detector ddm:score: DDM and EDDM watch a 0/1 error stream');
    const results = await runCli(['monitor', 'results', 'm'], env);
    expect(results.code, results.stderr).toBe(0);
    expect(results.stdout).toMatch(/DETECTORS/);
    expect(results.stdout).toMatch(/page_hinkley feature x @3\d\d/);
  });

  it('refuses a detector rule that cannot run, with 400 naming the field', async () => {
    await t.app.serving.deployments.create({ name: 'm2', model: 'm', alias: 'champion' }, who);
    const post = (detectors: unknown) => t.server.inject({ method: 'POST', url: '/api/v1/monitors', payload: { deployment: 'm2', thresholds: { detectors } } });
    const ddmOnScore = await post([{ detector: 'ddm', stream: 'score' }]);
    expect(ddmOnScore.statusCode).toBe(400);
    expect(ddmOnScore.json().error.message).toMatch(/thresholds\.detectors\.0\.stream.*DDM and EDDM/);
    expect((await post([{ detector: 'kswin', stream: 'feature' }])).json().error.message).toMatch(/thresholds\.detectors\.0\.feature/);
    expect((await post([{ detector: 'cusum', stream: 'score' }])).json().error.message).toMatch(/thresholds\.detectors\.0\.detector/);
  });
});
