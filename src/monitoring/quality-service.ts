import type { Kysely } from 'kysely';
import { QualityQuery, type QualityReport } from '../contracts/monitoring.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import { binaryMetrics, estimateBinaryMetrics, multiclassMetrics, regressionMetrics, scoreMetrics } from '../stats/index.js';
import type { DB } from '../storage/index.js';
import { positiveScores } from '../runtime/index.js';
import type { LoggedRecord } from './prediction-segment.js';
import type { PredictionStore } from './prediction-store.js';

/** Most requests one report reads; older ones in the window are left out. */
const MAX_REQUESTS = 100_000;

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

/** Quality of a deployment over a time window, from logged predictions joined with their ground truth. */
export class QualityService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly log: PredictionStore,
    /** A calibration map for a version's scores (fitted on its reference data), or null to use them as they are. */
    private readonly calibration: (model: string, version: number) => Promise<((p: number) => number) | null> = async () => null,
  ) {}

  async report(deployment: string, query: unknown): Promise<QualityReport> {
    const q = parseInput(QualityQuery, query ?? {}, 'query');
    const dep = await this.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .select(['m.task', 'm.name as model'])
      .where('d.name', '=', deployment)
      .executeTakeFirst();
    if (!dep) throw new AppError('not_found', `deployment ${deployment} not found`, { deployment });
    const since = q.since ? new Date(q.since).toISOString() : null;
    const until = q.until ? new Date(q.until).toISOString() : null;
    const withLabels = await this.log.newestLabelled({ deployment, since, until, role: 'primary' }, MAX_REQUESTS, { accept: (r) => r.error === null });
    const logged = withLabels.map((x) => x.record);
    const rows = withLabels.filter((x) => x.label !== undefined);
    const y: (number | string)[] = [];
    const pred: (number | string)[] = [];
    const score: number[] = [];
    let skipped = 0;
    for (const { record: r, label } of rows) {
      const outputs = (r.outputs ?? []) as Tensor[];
      const primary = outputs[0];
      const p1 = positiveScores(outputs);
      const labels = JSON.parse(label!) as unknown;
      const n = r.rows;
      for (let i = 0; i < n; i++) {
        const truth = Array.isArray(labels) ? labels[i] : n === 1 ? labels : undefined;
        const p = primary?.data[i];
        if ((typeof truth !== 'number' && typeof truth !== 'string') || (typeof p !== 'number' && typeof p !== 'string')) {
          skipped++;
          continue;
        }
        y.push(truth);
        pred.push(p);
        if (p1) score.push(p1[i]!);
      }
    }
    const scored = dep.task === 'binary-classification' ? this.scores(logged) : { scores: [], version: null };
    // CBPE assumes calibrated scores; a map fitted on the reference fixes them where it helps.
    const calibrate = scored.version !== null && scored.scores.length ? await this.calibration(dep.model, scored.version) : null;
    const scores = calibrate ? scored.scores.map(calibrate) : scored.scores;
    const estimated = scores.length ? { ...estimateBinaryMetrics(scores) } : null;
    const base = { deployment, task: dep.task, since, until, rows: y.length, requests: rows.length, skipped, estimated, scoredRows: scores.length, calibrated: calibrate !== null };
    if (y.length === 0) return { ...base, metrics: null };
    if (dep.task === 'regression') return { ...base, metrics: { ...regressionMetrics(y.map(Number), pred.map(Number)) } };
    if (dep.task === 'binary-classification') {
      const yn = y.map(Number);
      const m: Record<string, number | null> = { ...binaryMetrics(yn, pred.map(Number)) };
      if (score.length === yn.length) Object.assign(m, scoreMetrics(yn, score));
      return { ...base, metrics: m };
    }
    return { ...base, metrics: { ...multiclassMetrics(y, pred) } };
  }

  /** Positive-class scores of every logged row in the window, labelled or not, and the version that gave most of them. */
  private scores(logged: LoggedRecord[]): { scores: number[]; version: number | null } {
    const out: number[] = [];
    const versions = new Map<number, number>();
    for (const r of logged) {
      const p1 = positiveScores((r.outputs ?? []) as Tensor[]);
      if (!p1) continue;
      out.push(...p1);
      if (r.version !== null) versions.set(r.version, (versions.get(r.version) ?? 0) + r.rows);
    }
    return { scores: out, version: [...versions].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null };
  }
}
