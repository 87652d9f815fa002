import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { type Config, configFromProcess } from '../../config/index.js';
import { makeStream } from '../../experiment/index.js';
import { createClient, type SextantClient, SextantError } from '../../sdk/index.js';
import { createLogger } from '../../shared/logger.js';
import { waitFor } from '../../shared/wait-for.js';
import { CliError } from '../cli-error.js';
import { stopOnSignals } from './server.js';

const DEMO = 'breast-cancer';
const ASSETS = fileURLToPath(new URL('../../../assets/quickstart/', import.meta.url));
const DATASET = fileURLToPath(new URL('../../../assets/datasets/breast-cancer.csv', import.meta.url));
const asset = (name: string) => path.join(ASSETS, name);
const readJson = (name: string) => JSON.parse(fs.readFileSync(asset(name), 'utf8'));

const say = (s: string) => process.stdout.write(`${s}\n`);

/**
 * Registers a real model (logistic regression on the breast cancer data scikit-learn ships) as two
 * versions, moves champion from 1 to 2, and deploys it (idempotent on reruns).
 */
async function setUpDemo(url: string, config: Config, artifactsAt: string): Promise<void> {
  const api = createClient({ baseUrl: url, actor: 'quickstart' });
  const db = config.database.kind === 'sqlite' ? `SQLite at ${config.database.path}` : 'PostgreSQL';
  say(`Sextant is running at ${url}  (${db}, artifacts in ${artifactsAt})`);
  say(`Dashboard: ${url}/`);
  try {
    await api.models.create({
      name: DEMO,
      task: 'binary-classification',
      description: 'Logistic regression on the breast cancer Wisconsin (diagnostic) data; label 1 = benign',
      tags: { dataset: 'breast-cancer-wisconsin', license: 'CC-BY-4.0' },
    });
    say(`created model ${DEMO}`);
  } catch (err) {
    if (!(err instanceof SextantError && err.code === 'already_exists')) throw err;
    say(`model ${DEMO} already exists (quickstart ran here before); reusing it`);
  }
  const existing = await api.models.get(DEMO);
  const metrics = readJson('metrics.json');
  const lineage = { dataUri: 'sklearn.datasets.load_breast_cancer', codeRef: 'test/fixtures/make_serving_fixtures.py' };
  if (existing.latestVersion === null) {
    const v1 = await api.versions.register(
      DEMO,
      { format: 'sextant-linear', params: { C: 1.0 }, metrics, lineage, alias: 'champion', reason: 'first release' },
      { file: fs.createReadStream(asset('breast-cancer-linear.json')), filename: 'breast-cancer-linear.json' },
    );
    say(`registered ${DEMO}/${v1.version} (sextant-linear, sha256 ${v1.digest.slice(0, 12)}…) and made it champion`);
    const v2 = await api.versions.register(
      DEMO,
      { format: 'onnx', signature: readJson('signature.json'), params: { C: 1.0 }, metrics, lineage: { ...lineage, parentVersion: v1.version }, reason: 'same model exported to ONNX' },
      { file: fs.createReadStream(asset('breast-cancer-logreg.onnx')), filename: 'breast-cancer-logreg.onnx' },
    );
    say(`registered ${DEMO}/${v2.version} (onnx, parent ${v1.version})`);
    await api.aliases.set(DEMO, 'champion', v2.version, 'serve the ONNX export');
    say(`moved ${DEMO}@champion to ${v2.version}`);
  }
  const deployments = await api.deployments.list();
  if (!deployments.some((d) => d.name === DEMO)) {
    await api.deployments.create({ name: DEMO, model: DEMO, alias: 'champion' });
    say(`deployed ${DEMO} following ${DEMO}@champion`);
  }
  await demoMonitoringLoop(api, existing.latestVersion === null);
  const sample = readJson('sample.json') as { features: string[]; rows: number[][]; labels: number[] };
  const row = sample.rows[0]!;
  const scored = await api.inference.invocations(DEMO, { dataframe_split: { columns: sample.features, data: [row] } });
  const champion = await api.versions.get(DEMO, 'champion');
  const env = url === 'http://127.0.0.1:8080' ? '' : `SEXTANT_URL=${url} `;
  say('');
  say(`${DEMO}@champion is version ${champion.version}; scoring one held-out row gave ${JSON.stringify(scored.predictions[0])} (true label ${sample.labels[0]}).`);
  say('Score a row yourself (Open Inference Protocol v2):');
  say(`  curl -s ${url}/v2/models/${DEMO}/infer -H 'content-type: application/json' \\`);
  say(`    -d '{"inputs":[{"name":"input-0","shape":[1,${row.length}],"datatype":"FP64","data":${JSON.stringify(row)}}]}'`);
  say('or the MLflow scoring protocol:');
  say(`  curl -s ${url}/v1/deployments/${DEMO}/invocations -H 'content-type: application/json' \\`);
  say(`    -d '{"instances":[${JSON.stringify(row)}]}'`);
  say('Then try, in another terminal:');
  say(`  ${env}npx sextant models list`);
  say(`  ${env}npx sextant versions show ${DEMO}@champion`);
  say(`  ${env}npx sextant deploy canary ${DEMO} --version 1 --weight 10`);
  say(`  ${env}npx sextant deploy status ${DEMO}`);
  say(`  ${env}npx sextant history ${DEMO}`);
  say(`  ${env}npx sextant rollback ${DEMO} --alias champion --reason "try a rollback"`);
  say(`  ${env}npx sextant audit verify`);
  say(`  curl ${url}/metrics    ·    OpenAPI: ${url}/api/v1/openapi.json`);
  say(`Open the dashboard: ${url}/`);
}

/**
 * The monitoring and retraining loop on the demo: reference data, a monitor with count windows and
 * a retraining policy; then 100 requests like the training data and 100 from a recalibrated
 * instrument (five size features read 40 % high), each with its ground truth. Prints each window,
 * the alerts, the retrain and its promotion.
 */
async function demoMonitoringLoop(api: SextantClient, firstRun: boolean): Promise<void> {
  const window = 100;
  const champion = await api.versions.get(DEMO, 'champion');
  // A version retrained by an earlier run keeps the reference it was trained on.
  if (firstRun) await api.versions.uploadReference(DEMO, champion.version, fs.readFileSync(DATASET, 'utf8'), 'csv');
  try {
    await api.monitors.create({ deployment: DEMO, windowRows: window, thresholds: { driftShare: 0.3, minAccuracy: 0.9 } });
  } catch (err) {
    if (!(err instanceof SextantError && err.code === 'already_exists')) throw err;
  }
  await api.retraining.setPolicy(DEMO, {
    trainer: { type: 'logistic', params: {} },
    triggers: { drift: true, quality: true },
    cooldownSeconds: 60,
    data: { includeReference: false, windowSeconds: 3600, maxRows: 1000, holdoutFraction: 0.3, seed: 1 },
    promotion: { strategy: 'canary', steps: [50, 100], stepSeconds: 1 },
  });
  say('');
  say(`monitoring ${DEMO}: reference data of version ${champion.version}, a window every ${window} requests, a retraining policy (logistic regression, canary 50 % → 100 %)`);
  const stream = makeStream('dataset', 2 * window, 11, DATASET);
  const jobsBefore = (await api.jobs.list({ model: DEMO })).length;
  for (const [label, rows] of [
    ['like the training data', stream.rows.slice(0, window)],
    ['worst_* size features read 40 % high', stream.rows.slice(window)],
  ] as const) {
    const before = (await api.monitors.results(DEMO)).length;
    const feedback: { requestId: string; label: number }[] = [];
    for (const r of rows) {
      const res = await api.inference.invocations(DEMO, { dataframe_split: { columns: stream.features, data: [r.x] } });
      feedback.push({ requestId: res.requestId, label: r.y });
    }
    // Ground truth comes after the window closed, as in production; the monitor judges the window
    // again once its labels are in.
    await api.deployments.feedback(DEMO, feedback);
    const [result] = await waitFor('the monitor window and its labels', async () => {
      const r = await api.monitors.results(DEMO);
      return r.length > before && r[0]!.quality ? r : null;
    });
    const drifted = (result!.drift?.features as { feature: string; drifted: boolean }[] | undefined)?.filter((f) => f.drifted).map((f) => f.feature) ?? [];
    const accuracy = result!.quality?.accuracy;
    say(
      `  ${window} requests ${label}: accuracy ${typeof accuracy === 'number' ? accuracy.toFixed(3) : '-'}, ` +
        `${drifted.length} of 30 features drifted${drifted.length ? ` (${drifted.slice(0, 5).join(', ')}${drifted.length > 5 ? ', …' : ''})` : ''}` +
        `${result!.alert.length ? `\n    alert: ${result!.alert.join('\n    alert: ')}` : ''}`,
    );
  }
  const job = await waitFor('the retrain the alert triggers', async () => {
    const jobs = await api.jobs.list({ model: DEMO });
    return jobs.length > jobsBefore ? jobs[0] : null;
  }, 5000).catch(() => null);
  if (!job) {
    say('  no retrain was triggered (a recent one is still in its cooldown)');
    return;
  }
  const done = await waitFor('the retrain', async () => {
    const j = await api.jobs.get(job.id);
    return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : null;
  }, 120_000);
  const result = done.result as { version?: number; gate?: { passed: boolean; checks: { reason: string }[] } } | null;
  say(`  retrain ${done.id} (${done.trigger.type}): ${done.status}${done.error ? ` — ${done.error}` : ''}`);
  if (result?.gate) say(`    gate ${result.gate.passed ? 'passed' : 'failed'}: ${result.gate.checks.map((c) => c.reason).join('; ')}`);
  if (result?.gate?.passed && result.version) {
    const promoted = await waitFor('the canary ramp', async () => {
      const [p] = await api.retraining.promotions({ model: DEMO });
      return p && p.version === result.version && p.status !== 'running' ? p : null;
    }, 60_000);
    say(`    canary ${promoted.steps.join(' → ')} %: ${promoted.status}; ${DEMO}@champion is now version ${(await api.versions.get(DEMO, 'champion')).version}`);
  }
  say(`  see it with: npx sextant alerts list · npx sextant jobs logs ${done.id} · npx sextant monitor results ${DEMO}`);
}

export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('start Sextant on the embedded default: register a real model, deploy it, then show drift, alerts and an automated retrain')
    .option('--port <port>', 'port', '8080')
    .option('--home <dir>', 'state folder (default ./.sextant)')
    .option('--exit', 'stop the server once the demo is set up')
    .action(async (o) => {
      const base = configFromProcess({ port: o.port, home: o.home, host: '127.0.0.1' });
      // The demo's monitor windows and canary steps are seconds apart, so look for them often.
      const config = { ...base, pipelines: { ...base.pipelines, monitorIntervalMs: 250, promotionIntervalMs: 250 } };
      const [{ buildApp }, { startServer }] = await Promise.all([import('../../app.js'), import('../../server/index.js')]);
      const app = await buildApp(config, { logger: createLogger('warn') });
      const running = await startServer(config, app).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new CliError(`port ${config.port} is in use; pass --port to pick another (or stop what runs there)`, 1);
        throw err;
      });
      try {
        await setUpDemo(running.url, config, app.blobs.location);
      } catch (err) {
        await running.stop();
        throw err;
      }
      if (o.exit) return running.stop();
      say('\nPress Ctrl-C to stop.');
      stopOnSignals(running);
    });
}
