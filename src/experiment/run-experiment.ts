import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { loadConfig } from '../config/index.js';
import type { PolicyInput } from '../contracts/index.js';
import { evaluate, toCsv, toTrainingData, trainLogistic } from '../pipelines/index.js';
import { loadPredictor } from '../runtime/index.js';
import { createClient, type SextantClient } from '../sdk/index.js';
import { startServer } from '../server/index.js';
import { waitFor } from '../shared/wait-for.js';
import { type Confusion, type OutcomeValues } from '../stats/index.js';
import { addConfusion, oracleValue, valueOf } from './oracle.js';
import { makeStream, type Stream } from './streams.js';

export const SETUPS = ['static', 'monitored', 'automated'] as const;
export type SetupName = (typeof SETUPS)[number];

export interface ExperimentOptions {
  stream: string;
  rows: number;
  seed: number;
  /** Requests per monitoring window (and per accuracy point of the chart). */
  windowRows: number;
  /** Windows between an alert and a person acting on it, in the monitored set-up. */
  humanDelayWindows: number;
  datasetPath: string;
  /** What each outcome is worth (the positive class is 1); default: a right answer is worth 1, a wrong one costs 1. */
  kpi?: OutcomeValues;
  log?: (line: string) => void;
}

/** The default outcome values: value per 1,000 predictions is then 1,000 × (2 × accuracy − 1). */
export const DEFAULT_KPI: OutcomeValues = { tp: 1, fp: -1, fn: -1, tn: 1 };

/** Process CPU time (user + system) in seconds. */
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export interface Marker {
  row: number;
  kind: 'alert' | 'retrain' | 'promotion';
  detail: string;
}

export interface SetupResult {
  name: SetupName;
  accuracy: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  humanActions: number;
  retrains: number;
  /** Business value per 1,000 predictions under the experiment's outcome values. */
  valuePer1000: number;
  /** The oracle's value per 1,000 predictions minus this set-up's: what drift cost it. */
  valueLostToDrift: number;
  /** Process CPU seconds while this set-up's retrain jobs ran (the replay waits for them; see docs/experiment.md). */
  cpuSecondsRetraining: number;
  promotions: number;
  requests: number;
  windows: { row: number; accuracy: number; versions: Record<string, number> }[];
  markers: Marker[];
}

export interface ExperimentResult {
  stream: string;
  rows: number;
  seed: number;
  windowRows: number;
  warmupRows: number;
  changes: Stream['changes'];
  kpi: OutcomeValues;
  /** A model retrained before every window on the rows just before it. */
  oracle: { valuePer1000: number };
  setups: SetupResult[];
}

const MODEL = 'stream';
/** The automated set-up retrains on this many windows of labelled rows; so does the oracle. */
const ORACLE_TRAIN_WINDOWS = 2;

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);

/** The first model: the built-in logistic regression on the warm-up rows, as a data scientist would ship it. */
async function initialModel(stream: Stream, warmup: number) {
  const examples = stream.rows.slice(0, warmup).map((r) => ({ values: Object.fromEntries(stream.features.map((f, j) => [f, r.x[j]])), label: r.y }));
  const cut = Math.floor(examples.length * 0.8);
  const trained = trainLogistic(toTrainingData(examples.slice(0, cut), stream.features));
  const holdout = await evaluate(await loadPredictor(trained.format, trained.artifact, null), toTrainingData(examples.slice(cut), stream.features), 'binary-classification');
  return { trained, csv: toCsv(examples, stream.features, 'label'), accuracy: holdout.metrics.accuracy! };
}

async function waitJobs(api: SextantClient): Promise<{ id: string; status: string; result: Record<string, unknown> | null }[]> {
  const busy = async () => [...(await api.jobs.list({ model: MODEL, status: 'queued' })), ...(await api.jobs.list({ model: MODEL, status: 'running' }))];
  const seen = await busy();
  await waitFor('retrain jobs to finish', async () => (await busy()).length === 0, 300_000);
  return Promise.all(seen.map((j) => api.jobs.get(j.id)));
}

/**
 * Replays one stream through one set-up on a live Sextant server of its own (embedded SQLite in a
 * temporary folder, real HTTP): every row is one request; labels follow as feedback; monitors
 * close a window every `windowRows` requests.
 */
async function runSetup(name: SetupName, stream: Stream, o: ExperimentOptions, warmup: number): Promise<Omit<SetupResult, 'valueLostToDrift'>> {
  const kpi = o.kpi ?? DEFAULT_KPI;
  const log = o.log ?? (() => {});
  const home = mkdtempSync(path.join(os.tmpdir(), `sextant-experiment-${name}-`));
  const config = loadConfig({ env: { SEXTANT_HOME: home, SEXTANT_PORT: '0', SEXTANT_LOG_LEVEL: 'silent', SEXTANT_MONITOR_INTERVAL_MS: '50', SEXTANT_PROMOTION_INTERVAL_MS: '100' } });
  const running = await startServer(config);
  const api = createClient({ baseUrl: running.url, actor: name === 'monitored' ? 'operator' : 'experiment' });
  try {
    const first = await initialModel(stream, warmup);
    await api.models.create({ name: MODEL, task: 'binary-classification', description: `${stream.name} stream, ${name} set-up` });
    await api.versions.register(MODEL, { format: first.trained.format, alias: 'champion', metrics: { holdout_accuracy: first.accuracy } }, { file: Readable.from([Buffer.from(first.trained.artifact)]) });
    await api.versions.uploadReference(MODEL, 1, first.csv, 'csv');
    await api.deployments.create({ name: MODEL, model: MODEL, alias: 'champion', slo: { p99LatencyMs: 250, maxErrorRate: 0.05, minRequests: 50, windowSeconds: 30 } });
    await api.kpi.set(MODEL, { outcomes: kpi });
    if (name !== 'static') {
      await api.monitors.create({ deployment: MODEL, windowRows: o.windowRows, thresholds: { driftShare: 0.5, minAccuracy: Math.max(0.5, first.accuracy - 0.05) } });
      const policy: PolicyInput = {
        trainer: { type: 'logistic', params: {} },
        triggers: { drift: name === 'automated', quality: name === 'automated' },
        cooldownSeconds: 0,
        data: { includeReference: false, maxRows: ORACLE_TRAIN_WINDOWS * o.windowRows, holdoutFraction: 0.2, seed: o.seed },
        promotion: name === 'automated' ? { strategy: 'canary', steps: [10, 50, 100], stepSeconds: 0 } : { strategy: 'manual' },
      };
      await api.retraining.setPolicy(MODEL, policy);
    }
    const latencies: number[] = [];
    const windows: SetupResult['windows'] = [];
    const markers: Marker[] = [];
    let correct = 0;
    let confusion: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
    let retrainCpu = 0;
    let errors = 0;
    let humanActions = 0;
    let retrains = 0;
    let promotions = 0;
    let humanAt: number | null = null;
    let champion = 1;
    const knownAlerts = new Set<string>();
    const replay = stream.rows.slice(warmup);
    for (let start = 0, k = 0; start + o.windowRows <= replay.length; start += o.windowRows, k++) {
      const rowAt = warmup + start + o.windowRows;
      let right = 0;
      const versions: Record<string, number> = {};
      let labels: { requestId: string; label: number }[] = [];
      for (let i = start; i < start + o.windowRows; i++) {
        const row = replay[i]!;
        // Labels go in before the request that closes the window: the replay models labels that
        // arrive within their window and reads the alerts as soon as the window has a result (with
        // later labels the monitor would judge the window again and raise a quality alert after
        // that read).
        if (i === start + o.windowRows - 1 && labels.length) labels = (await api.deployments.feedback(MODEL, labels), []);
        const t0 = performance.now();
        try {
          const r = await api.inference.invocations(MODEL, { dataframe_split: { columns: stream.features, data: [row.x] } });
          latencies.push(performance.now() - t0);
          const p = r.predictions[0] as { label?: unknown } | number;
          const label = Number(typeof p === 'object' && p !== null ? p.label : p);
          if (label === row.y) right++;
          confusion = addConfusion(confusion, { tp: Number(label === 1 && row.y === 1), fp: Number(label === 1 && row.y !== 1), fn: Number(label !== 1 && row.y === 1), tn: Number(label !== 1 && row.y !== 1) });
          versions[r.version] = (versions[r.version] ?? 0) + 1;
          labels.push({ requestId: r.requestId, label: row.y });
        } catch {
          latencies.push(performance.now() - t0);
          errors++;
        }
        if (labels.length >= 100 || i === start + o.windowRows - 1) {
          if (labels.length) await api.deployments.feedback(MODEL, labels);
          labels = [];
        }
      }
      correct += right;
      windows.push({ row: rowAt, accuracy: right / o.windowRows, versions });
      if (name === 'static') continue;
      const jobsBefore = (await api.jobs.list({ model: MODEL })).length;
      const results = await waitFor(`monitor window ${k + 1}`, async () => {
        const r = await api.monitors.results(MODEL);
        return r.length >= k + 1 ? r : null;
      });
      // The replay waits from here until the window's retrain jobs are done: the server's CPU time
      // meanwhile is the retraining (and a monitor pass or two), as it runs in this process.
      const cpuMark = cpuSeconds();
      if (name === 'automated' && results[0]!.alert.length > 0) {
        // The breach reaches the retraining trigger over the event bus; give it a moment to queue a job
        // (it declines while a retrain or a promotion is still in progress).
        await waitFor('the retraining trigger', async () => (await api.jobs.list({ model: MODEL })).length > jobsBefore, 1000).catch(() => undefined);
      }
      for (const a of await api.alerts.list({ deployment: MODEL, status: 'open' })) {
        if (knownAlerts.has(a.id)) continue;
        knownAlerts.add(a.id);
        markers.push({ row: rowAt, kind: 'alert', detail: a.message });
        if (name === 'monitored' && humanAt === null) humanAt = k + o.humanDelayWindows;
      }
      if (name === 'monitored' && humanAt !== null && k >= humanAt) {
        // A person reads the alerts, retrains by hand and promotes what passed the gate.
        for (const a of await api.alerts.list({ deployment: MODEL, status: 'open' })) await api.alerts.ack(a.id);
        humanActions++;
        await api.retraining.retrain(MODEL, { reason: 'operator responding to an alert' });
        humanActions++;
        humanAt = null;
      }
      const finished = await waitJobs(api);
      if (finished.length > 0) retrainCpu += cpuSeconds() - cpuMark;
      for (const job of finished) {
        retrains++;
        const result = job.result as { version?: number; gate?: { passed: boolean } } | null;
        markers.push({ row: rowAt, kind: 'retrain', detail: `job ${job.status}; version ${result?.version ?? '-'}, gate ${result?.gate?.passed ? 'passed' : 'failed'}` });
        if (name === 'monitored' && result?.gate?.passed && result.version) {
          await api.aliases.set(MODEL, 'champion', result.version, 'operator promotes the validated challenger');
          humanActions++;
        }
      }
      const now = (await api.versions.get(MODEL, 'champion')).version;
      if (now !== champion) {
        promotions++;
        markers.push({ row: rowAt, kind: 'promotion', detail: `champion ${champion} → ${now}` });
        champion = now;
      }
      log(`  ${name} window ${k + 1}: accuracy ${(right / o.windowRows).toFixed(3)}, champion ${champion}`);
    }
    const total = windows.length * o.windowRows;
    latencies.sort((a, b) => a - b);
    return {
      name,
      accuracy: correct / total,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      errorRate: errors / total,
      humanActions,
      retrains,
      valuePer1000: valueOf(confusion, kpi).per1000,
      cpuSecondsRetraining: retrainCpu,
      promotions,
      requests: total,
      windows,
      markers,
    };
  } finally {
    await running.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The seed study's comparison, measured: the same labelled stream with concept and covariate drift
 * through a static model, monitoring with alerts and a person who retrains after a delay, and fully
 * automated retraining with gates and a canary.
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const stream = makeStream(o.stream, o.rows, o.seed, o.datasetPath);
  const warmup = Math.min(1000, Math.floor(o.rows / 10));
  const kpi = o.kpi ?? DEFAULT_KPI;
  const oracle = await oracleValue(stream, warmup, o.windowRows, ORACLE_TRAIN_WINDOWS * o.windowRows, kpi);
  const setups: SetupResult[] = [];
  for (const name of SETUPS) {
    o.log?.(`${name}: replaying ${o.rows - warmup} rows of ${stream.name}`);
    const s = await runSetup(name, stream, o, warmup);
    setups.push({ ...s, valueLostToDrift: oracle.per1000 - s.valuePer1000 });
  }
  return { stream: stream.name, rows: o.rows, seed: o.seed, windowRows: o.windowRows, warmupRows: warmup, changes: stream.changes, kpi, oracle: { valuePer1000: oracle.per1000 }, setups };
}
