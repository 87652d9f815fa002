#!/usr/bin/env node
// bench/explain: CPU per explanation of a 1-row request with exact TreeSHAP on the serving
// fixture's XGBoost model (40 trees of depth 4, 30 features: the size the issue names), against
// (1) the same model's 1-row prediction in Sextant and (2) XGBoost's own pred_contribs on the same
// rows in Python (peer script beside this one; DMatrix built beforehand, one thread). Also a linear
// model (30 features) for scale. CPU is process.cpuUsage over --iterations calls after a warm-up.
// Medians of --runs runs; prints one JSON line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadPredictor } from '../../dist/runtime/index.js';
import { median, round } from '../lib/http-timing.js';

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' } } });
const N = Number(args.iterations);
const RUNS = Number(args.runs);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'explain', 'expected.json'), 'utf8'));
const xgbRows = expected.xgboost_cases['xgb-binary'].rows;
const linRows = expected.linear_cases['breast-cancer-linear'].rows;

const batches = (rows) => rows.map((r) => ({ rows: 1, columns: r.map((v) => Float64Array.of(v ?? Number.NaN)) }));
const referenceOf = (file) => {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  return { rows: lines.length, columns: lines[0].map((_, f) => Float64Array.from(lines, (r) => r[f])) };
};

async function cpuPerCall(fn, inputs) {
  for (let i = 0; i < 2000; i++) await fn(inputs[i % inputs.length]);
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn(inputs[i % inputs.length]);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / N;
}

const xgb = await loadPredictor('xgboost-json', fs.readFileSync(path.join(FIX, 'serving', 'xgb-binary.json')), null);
const xgbExplainer = xgb.explainer();
const lin = await loadPredictor('sextant-linear', fs.readFileSync(path.join(FIX, 'serving', 'breast-cancer-linear.json')), null);
const linExplainer = lin.explainer();
const background = referenceOf(path.join(FIX, 'explain', 'breast-cancer-reference.csv'));
const xb = batches(xgbRows);
const lb = batches(linRows);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-explain-'));
fs.writeFileSync(path.join(tmp, 'rows.json'), JSON.stringify(xgbRows));
const runs = [];
for (let r = 0; r < RUNS; r++) {
  const explainMs = await cpuPerCall((b) => xgbExplainer.explain(b, null), xb);
  const predictMs = await cpuPerCall((b) => xgb.predict(b), xb);
  const linearMs = await cpuPerCall((b) => linExplainer.explain(b, background), lb);
  const peer = spawnSync('/usr/bin/python3', [path.join(import.meta.dirname, 'peer_xgboost.py'), path.join(FIX, 'serving', 'xgb-binary.json'), path.join(tmp, 'rows.json'), String(Math.min(N, 5000))], { encoding: 'utf8' });
  const py = peer.status === 0 ? JSON.parse(peer.stdout.trim().split('\n').pop()) : null;
  if (!py) process.stderr.write(`peer failed: ${peer.stderr}\n`);
  runs.push({ explainMs, predictMs, linearMs, peerContribsMs: py?.contribs_ms ?? null, peerPredictMs: py?.predict_ms ?? null, xgboost: py?.xgboost ?? null });
}
fs.rmSync(tmp, { recursive: true, force: true });
const m = (k) => (runs.every((x) => x[k] !== null) ? median(runs.map((x) => x[k])) : null);
const out = {
  bench: 'explain',
  time: new Date().toISOString(),
  cpus: os.cpus().length,
  node: process.version,
  xgboost: runs[0].xgboost,
  model: '40 trees, depth 4, 30 features (test/fixtures/serving/xgb-binary.json)',
  iterations: N,
  runs: RUNS,
  treeshap_1row_cpu_ms: round(m('explainMs'), 4),
  predict_1row_cpu_ms: round(m('predictMs'), 4),
  explain_over_predict: round(m('explainMs') / m('predictMs'), 2),
  xgboost_pred_contribs_1row_cpu_ms: m('peerContribsMs') === null ? null : round(m('peerContribsMs'), 4),
  xgboost_predict_1row_cpu_ms: m('peerPredictMs') === null ? null : round(m('peerPredictMs'), 4),
  sextant_over_xgboost_contribs: m('peerContribsMs') === null ? null : round(m('explainMs') / m('peerContribsMs'), 2),
  linear_shap_1row_cpu_ms: round(m('linearMs'), 4),
  target_ms: 1,
  under_target: m('explainMs') < 1,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
