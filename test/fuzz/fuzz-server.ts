import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { sql } from 'kysely';
import { bytes, testApp, type TestApp } from '../helpers/app.js';
import { fakeRemote } from '../helpers/fake-remote.js';

const FIX = path.resolve(import.meta.dirname, '..', 'fixtures');
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const who = { actor: 'fuzz' };

interface Case {
  features: string[];
  rows: number[][];
  label?: number[];
}
const cases = (JSON.parse(fs.readFileSync(path.join(FIX, 'serving', 'expected.json'), 'utf8')) as { cases: Record<string, Case> }).cases;

/** What a deployment takes, so the fuzzer can write valid inference bodies for it. */
export interface DeploymentShape {
  name: string;
  features: string[];
  /** A row of valid values, in feature order. */
  row: unknown[];
}

export interface FuzzServer {
  t: TestApp;
  url: string;
  deployments: DeploymentShape[];
  /** Existing values for each path parameter name, so requests reach handlers, not just 404s. */
  known: Record<string, string[]>;
  /** Row counts of the state tables and the audit chain's head: what a refused request must not change. */
  snapshot(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Tables written by background work or as observations of requests, not by the request's own
 * change: the prediction log (refused inference requests are logged on purpose, as data-quality
 * evidence), SLO samples, the dashboard's traffic history, serving CPU time, deliveries, monitor results and alerts,
 * schedule ticks, job logs, the outbox relay's rows, leases and SQLite's own bookkeeping
 * (`sqlite_sequence`, which those inserts advance). Everything else must be untouched by a 4xx.
 */
const OBSERVATIONS = /^(sqlite_|prediction_|slo_|traffic_|serving_cpu$|deliveries$|monitor_results$|alerts$|schedule_ticks$|job_logs$|outbox|leases?$|sextant_migrations$)/;

/**
 * A real HTTP server (port 0) on SQLite with real models behind real deployments: ONNX (per-feature
 * and one-tensor), sextant-linear, XGBoost and a remote model, a canary, a batching deployment, a
 * reference, a monitor, a webhook channel, a policy, a queued job and a token. Background work that
 * would change rows between two requests (jobs, monitor windows) is switched off.
 */
export async function fuzzServer(): Promise<FuzzServer> {
  const remote = await fakeRemote();
  const hook = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const t = await testApp({
    env: { SEXTANT_BODY_LIMIT: String(256 * 1024), SEXTANT_RUN_JOBS: 'off', SEXTANT_MONITOR_INTERVAL_MS: '3600000', SEXTANT_PROMOTION_INTERVAL_MS: '60000' },
  });
  const { registry, serving, monitoring } = t.app;
  const bc = cases['breast-cancer-logistic']!;
  const xgb = cases['xgb-binary']!;
  const dia = cases['diabetes-forest']!;
  const signature = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'signature.json'), 'utf8'));

  await registry.models.create({ name: 'bc', task: 'binary-classification', tags: { team: 'risk' } }, who);
  await registry.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'serving', 'breast-cancer-logreg.onnx'))), { format: 'onnx', signature, alias: 'champion' }, who);
  await registry.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'serving', 'breast-cancer-linear.json'))), { format: 'sextant-linear', alias: 'challenger' }, who);
  await registry.models.create({ name: 'credit', task: 'regression' }, who);
  await registry.versions.register('credit', bytes(fs.readFileSync(path.join(FIX, 'onnx', 'per-feature.onnx'))), { format: 'onnx', alias: 'champion' }, who);
  await registry.models.create({ name: 'xgb', task: 'binary-classification' }, who);
  const xgbSignature = { inputs: xgb.features.map((name) => ({ name, type: 'double' as const })), outputs: [] };
  await registry.versions.register('xgb', bytes(fs.readFileSync(path.join(FIX, 'serving', 'xgb-binary.json'))), { format: 'xgboost-json', signature: xgbSignature, alias: 'champion' }, who);
  await registry.models.create({ name: 'dia', task: 'regression' }, who);
  await registry.versions.register('dia', bytes(fs.readFileSync(path.join(FIX, 'serving', 'diabetes-forest.onnx'))), { format: 'onnx', alias: 'champion' }, who);
  await registry.models.create({ name: 'far', task: 'regression' }, who);
  await registry.versions.register('far', bytes(JSON.stringify({ url: remote.url, protocol: 'mlflow', features: ['x', 'y'] })), { format: 'remote', alias: 'champion' }, who);

  await serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion', shadow: [2], batching: { maxBatchSize: 8, maxLatencyMs: 2 } }, who);
  await serving.deployments.canary('bc', { version: 2, weight: 20 }, who);
  await serving.deployments.create({ name: 'credit', model: 'credit', alias: 'champion', stickyHeader: 'x-user' }, who);
  await serving.deployments.create({ name: 'xgb', model: 'xgb', alias: 'champion' }, who);
  await serving.deployments.create({ name: 'dia', model: 'dia', alias: 'champion' }, who);
  await serving.deployments.create({ name: 'far', model: 'far', alias: 'champion' }, who);
  await serving.live.refresh();

  const csv = [[...bc.features, 'label'].join(','), ...bc.rows.map((r, i) => [...r, bc.label![i]].join(','))].join('\n');
  await monitoring.references.upload('bc', 1, csv, 'csv');
  await monitoring.monitors.create({ deployment: 'bc', windowRows: 50 });
  await monitoring.notifications.createChannel({ name: 'ops', url: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`, secret: 'a-secret-of-sixteen+' });
  await t.app.pipelines.policies.set('bc', { triggers: { drift: true } }, who);
  const job = await t.app.pipelines.retrain.request('bc', {}, who);
  const token = await t.app.tokens.create({ name: 'fuzz-reader', role: 'viewer' }, who);

  const url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  const db = t.app.database.db;
  const tables = (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map((r) => r.name).filter((n) => !OBSERVATIONS.test(n)).sort();

  return {
    t,
    url,
    deployments: [
      { name: 'bc', features: bc.features, row: bc.rows[0]! },
      { name: 'credit', features: ['amount', 'count', 'country'], row: [12.5, 3, 'NZ'] },
      { name: 'xgb', features: xgb.features, row: xgb.rows[0]! },
      { name: 'dia', features: dia.features, row: dia.rows[0]! },
      { name: 'far', features: ['x', 'y'], row: [1, 2] },
    ],
    known: {
      name: ['bc', 'credit', 'xgb', 'dia', 'far'],
      deployment: ['bc', 'credit', 'xgb'],
      alias: ['champion', 'challenger'],
      ref: ['1', '2', 'champion', 'latest'],
      version: ['1', '2'],
      id: [job.id, token.id, 'fuzz-reader'],
    },
    async snapshot() {
      const counts = await sql<Record<string, number>>`select ${sql.join(tables.map((n) => sql`(select count(*) from ${sql.table(n)}) as ${sql.ref(n)}`))}`.execute(db);
      const head = await sql<Record<string, unknown>>`select * from audit_head`.execute(db);
      return { ...counts.rows[0], auditHead: head.rows };
    },
    close: async () => {
      await t.close();
      await remote.close();
      await new Promise<void>((r) => hook.close(() => r()));
    },
  };
}
