#!/usr/bin/env node
// bench/retraining: (1) the built-in trainers against scikit-learn on the same 50,000 × 20 rows
// (rows/s and the ratio; held-out accuracy of both); (2) on a live server under steady load, the
// time from a drift breach (a monitor window) to the retrained challenger serving 100 % through a
// 10 → 50 → 100 canary, and serving p99 before the breach, while retraining, and during the ramp. Medians of --runs runs for (1);
// prints one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { evaluate } from '../../dist/pipelines/evaluate.js';
import { trainGbt, trainLogistic } from '../../dist/pipelines/trainers/index.js';
import { toCsv, toTrainingData } from '../../dist/pipelines/training-set.js';
import { loadPredictor } from '../../dist/runtime/index.js';
import { createClient } from '../../dist/sdk/index.js';
import { gaussian, seededRandom } from '../../dist/shared/random.js';
import { median, percentile, request, round } from '../lib/http-timing.js';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '50000' }, runs: { type: 'string', default: '3' }, 'step-seconds': { type: 'string', default: '5' } },
});
const N = Number(args.rows);
const RUNS = Number(args.runs);
const D = 20;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-retraining-'));
const features = Array.from({ length: D }, (_, j) => `x${j + 1}`);
const rand = seededRandom(11);
const w = features.map(() => gaussian(rand));

/** Logistic-linear labels over Gaussian features, optionally shifted (covariate drift). */
function rows(n, shift = 0) {
  return Array.from({ length: n }, () => {
    const x = features.map(() => gaussian(rand) + shift);
    const z = x.reduce((s, v, j) => s + v * w[j], 0) - shift * w.reduce((a, b) => a + b, 0);
    return { values: Object.fromEntries(features.map((f, j) => [f, x[j]])), label: rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0 };
  });
}

// (1) Trainer speed against scikit-learn.
const train = rows(N);
const test = rows(10_000);
fs.writeFileSync(path.join(tmp, 'train.csv'), toCsv(train, features, 'label'));
fs.writeFileSync(path.join(tmp, 'test.csv'), toCsv(test, features, 'label'));
const trainData = toTrainingData(train, features);
const testData = toTrainingData(test, features);
const ours = {};
for (const [name, fit] of Object.entries({ logistic: (d) => trainLogistic(d), gbt: (d) => trainGbt(d, 'binary-classification') })) {
  const times = [];
  let model;
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    model = fit(trainData);
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const e = await evaluate(await loadPredictor(model.format, model.artifact, null), testData, 'binary-classification');
  ours[name] = { seconds: median(times), accuracy: e.metrics.accuracy };
}
const peer = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'peer_train.py'), path.join(tmp, 'train.csv'), path.join(tmp, 'test.csv'), String(RUNS)], { encoding: 'utf8' });
if (peer.status !== 0) throw new Error(peer.stderr);
const sk = JSON.parse(peer.stdout);
const trainers = Object.fromEntries(
  Object.keys(ours).map((k) => [
    k,
    {
      sextantRowsPerSecond: round(N / ours[k].seconds, 0),
      sklearnRowsPerSecond: round(N / sk[k].seconds, 0),
      ratioToSklearn: round(sk[k].seconds / ours[k].seconds, 2),
      sextantAccuracy: round(ours[k].accuracy, 4),
      sklearnAccuracy: round(sk[k].accuracy, 4),
    },
  ]),
);

// (2) From a drift breach to the challenger at 100 %, on a live server under load: `sextant server
// --workers 2` (two serving processes and the jobs process that retrains), as it runs in production.
const home = path.join(tmp, 'home');
const port = 18000 + Math.floor(Math.random() * 1000);
const server = spawn(process.execPath, [path.join(import.meta.dirname, '../../bin/sextant.js'), 'server', '--port', String(port), '--home', home, '--workers', '2'], {
  env: { ...process.env, SEXTANT_LOG_LEVEL: process.env.BENCH_SERVER_LOG ?? 'warn', SEXTANT_MONITOR_INTERVAL_MS: '200', SEXTANT_PROMOTION_INTERVAL_MS: '250' },
  stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'pipe'],
});
const baseUrl = await new Promise((resolve, reject) => {
  let err = '';
  server.stderr.on('data', (d) => {
    err += d;
    const m = /listening on (http:\/\/\S+)/.exec(err);
    if (m) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
});
const running = { url: baseUrl, stop: () => new Promise((r) => (server.once('exit', r), server.kill('SIGTERM'))) };
// Never leave the server behind, whatever happens to this script.
process.on('exit', () => server.kill('SIGKILL'));
const api = createClient({ baseUrl: running.url });
const first = trainLogistic(toTrainingData(train.slice(0, 5000), features));
await api.models.create({ name: 'bench', task: 'binary-classification' });
await api.versions.register('bench', { format: first.format, alias: 'champion' }, { file: Readable.from([Buffer.from(first.artifact)]) });
await api.versions.uploadReference('bench', 1, toCsv(train, features, 'label'), 'csv');
const SLO_P99 = 50;
await api.deployments.create({ name: 'bench', model: 'bench', alias: 'champion', slo: { p99LatencyMs: SLO_P99, minRequests: 50, windowSeconds: 30 } });
await api.monitors.create({ deployment: 'bench', windowRows: 10000, thresholds: { driftShare: 0.5 } });
await api.retraining.setPolicy('bench', {
  trainer: { type: 'logistic' },
  triggers: { drift: true, quality: false },
  cooldownSeconds: 0,
  data: { includeReference: true, maxRows: 200_000 },
  gate: { metrics: { accuracy: { threshold: 0.6 } } },
  promotion: { strategy: 'canary', steps: [10, 50, 100], stepSeconds: Number(args['step-seconds']) },
});
const drifted = rows(200_000, 1);
const url = `${running.url}/v1/deployments/bench/invocations`;
const samples = []; // [time, ms, version, ok]
let sent = 0;
let stop = false;
let breachAt = null;
const workers = Array.from({ length: 4 }, async () => {
  while (!stop) {
    const r = drifted[sent++ % drifted.length];
    const body = JSON.stringify({ dataframe_records: [r.values] });
    const t = process.hrtime.bigint();
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    samples.push([Date.now(), Number(process.hrtime.bigint() - t) / 1e6, JSON.parse(res.body).predictions ? 1 : 0, res.status === 200]);
  }
});
const started = Date.now();
let promotedAt = null;
while (Date.now() - started < 180_000) {
  await new Promise((r) => setTimeout(r, 100));
  if (breachAt === null) {
    const results = await api.monitors.results('bench');
    const hit = results.filter((x) => x.alert.length).at(-1);
    if (hit) breachAt = Date.parse(hit.windowEnd);
  }
  const [p] = await api.retraining.promotions({ model: 'bench' });
  if (p?.status === 'promoted') {
    promotedAt = Date.parse(p.updatedAt);
    break;
  }
  if (p?.status === 'rolled-back') throw new Error(`the ramp rolled back: ${p.reason}`);
}
stop = true;
await Promise.all(workers);
const promotion = (await api.retraining.promotions({ model: 'bench' })).find((p) => p.status === 'promoted');
if (!promotion) {
  const jobs = await api.jobs.list({ model: 'bench' });
  const results = await api.monitors.results('bench');
  const logs = jobs[0] ? (await api.jobs.logs(jobs[0].id)).lines.map((l) => `${l.time} ${l.line}`) : [];
  throw new Error(`the challenger did not reach 100 % within 180 s: logs ${logs.join(" | ")} jobs ${JSON.stringify(jobs.map((j) => [j.status, j.error]))}, windows ${results.length}, alerts ${JSON.stringify(results.map((r) => r.alert))}`);
}
const log = (await api.jobs.logs(promotion.jobId)).lines.map((l) => l.line);
await running.stop();
fs.rmSync(tmp, { recursive: true, force: true });

const rampStart = Date.parse(promotion.createdAt);
const before = samples.filter((s) => s[0] < breachAt).map((s) => s[1]);
const training = samples.filter((s) => s[0] >= breachAt && s[0] < rampStart).map((s) => s[1]);
const during = samples.filter((s) => s[0] >= rampStart && s[0] <= promotedAt).map((s) => s[1]);
console.log(
  JSON.stringify({
    bench: 'retraining',
    date: new Date().toISOString(),
    rows: N,
    features: D,
    trainers,
    alertToFullTraffic: {
      seconds: round((promotedAt - breachAt) / 1000, 2),
      trainingRows: Number(/training on (\d+) rows/.exec(log.find((l) => l.startsWith('training on')) ?? '')?.[1] ?? 0),
      trainSeconds: Number(/trained in ([\d.]+) s/.exec(log.find((l) => l.startsWith('trained in')) ?? '')?.[1] ?? 0),
      steps: promotion.steps,
      stepSeconds: promotion.stepSeconds,
    },
    servingDuringRamp: {
      p99MsBefore: round(percentile(before, 99), 2),
      p99MsWhileRetraining: training.length ? round(percentile(training, 99), 2) : null,
      p99MsDuringRamp: round(percentile(during, 99), 2),
      sloP99Ms: SLO_P99,
      requests: samples.length,
      failed: samples.filter((s) => !s[3]).length,
    },
  }),
);
