import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { BlobStore } from '../artifacts/index.js';
import { type DataQualityResult, DriftQuery, type DriftResult, type ReferenceInfo } from '../contracts/monitoring.js';
import { AppError } from '../shared/app-error.js';
import { type Clock, isoNow } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import { readAll } from '../shared/read-all.js';
import { type OutputTensor, positiveScores, type Predictor } from '../runtime/index.js';
import { calibrationError, type DataQualityThresholds, dataQuality, driftReport, isotonicFit, type Values } from '../stats/index.js';
import type { DB } from '../storage/index.js';
import { PII_PREFIX, type PiiHasher } from './pii-hasher.js';
import type { PredictionStore } from './prediction-store.js';
import { type Columns, columnsOf, parseRows, profileOf } from './reference-rows.js';

export { parseRows } from './reference-rows.js';

/** Rows of a reference or a window used for drift at most (a uniform sample beyond). */
const MAX_ROWS = 100_000;

/** Reference data per version, and drift of a deployment's logged inputs against it. */
export class ReferenceService {
  /** The model's outputs on each reference, computed once per process. */
  private readonly referencePredictions = new Map<string, OutputTensor[]>();
  private readonly parsed = new Map<string, Columns>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    private readonly log: PredictionStore,
    /** Loads a version to score its reference rows (prediction drift); none means no prediction drift. */
    private readonly predictor?: (model: string, version: number) => Promise<Predictor>,
    /** The column of a model's reference data that holds the label (its retraining policy's target), if known. */
    private readonly targetColumn: (model: string) => Promise<string | undefined> = async () => undefined,
    /** Hashes personal-data values as the prediction log does. */
    private readonly hasher?: Pick<PiiHasher, 'hash'>,
  ) {}

  private async version(modelName: string, version: number) {
    const model = await this.db.selectFrom('models').select(['id', 'name']).where('name', '=', modelName).executeTakeFirst();
    if (!model) throw new AppError('not_found', `model ${modelName} not found`, { model: modelName });
    const v = await this.db.selectFrom('model_versions').select('version').where('model_id', '=', model.id).where('version', '=', version).executeTakeFirst();
    if (!v) throw new AppError('not_found', `version ${version} of model ${modelName} not found`, { model: modelName, version });
    return model;
  }

  /** Stores a version's reference data (CSV with a header, or JSON lines) and describes it. */
  async upload(modelName: string, version: number, text: string, format: 'csv' | 'jsonl'): Promise<ReferenceInfo> {
    const model = await this.version(modelName, version);
    const rows = parseRows(text, format);
    if (rows.length === 0) throw new AppError('invalid_argument', 'the reference data has no rows');
    const all = columnsOf(rows);
    const columns = Object.keys(all);
    const profile = profileOf(all);
    const put = await this.blobs.put(Readable.from([Buffer.from(text, 'utf8')]));
    const row = { model_id: model.id, version, digest: put.digest, format, rows: rows.length, columns: JSON.stringify(columns), profile: JSON.stringify(profile), created_at: isoNow(this.clock) };
    await this.db.deleteFrom('version_references').where('model_id', '=', model.id).where('version', '=', version).execute();
    await this.db.insertInto('version_references').values(row).execute();
    return { model: modelName, version, digest: put.digest, format, rows: rows.length, columns, profile, createdAt: row.created_at };
  }

  /** What a version's reference data is: size, columns and per-column profile. */
  async info(modelName: string, version: number): Promise<ReferenceInfo> {
    const model = await this.version(modelName, version);
    const r = await this.db.selectFrom('version_references').selectAll().where('model_id', '=', model.id).where('version', '=', version).executeTakeFirst();
    if (!r) throw new AppError('not_found', `version ${version} of model ${modelName} has no reference data; upload it with PUT …/versions/${version}/reference`);
    return {
      model: modelName,
      version,
      digest: r.digest,
      format: r.format as 'csv' | 'jsonl',
      rows: Number(r.rows),
      columns: JSON.parse(r.columns) as string[],
      profile: r.profile ? await this.maskPii(model.id, version, JSON.parse(r.profile) as NonNullable<ReferenceInfo['profile']>) : null,
      createdAt: r.created_at,
    };
  }

  /**
   * The profile without personal data: a marked column shows its categories as keyed hashes (as
   * the prediction log does) and a marked numeric column only its counts.
   */
  private async maskPii(modelId: string, version: number, profile: NonNullable<ReferenceInfo['profile']>): Promise<NonNullable<ReferenceInfo['profile']>> {
    const v = await this.db.selectFrom('model_versions').select('signature').where('model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
    const inputs = v?.signature ? (JSON.parse(v.signature) as { inputs: { name: string; pii?: boolean }[] }).inputs : [];
    const out = { ...profile };
    for (const { name } of inputs.filter((i) => i.pii && i.name in profile)) {
      const p = profile[name]!;
      out[name] = { kind: 'cat', count: p.count, missing: p.missing, top: p.kind === 'cat' && this.hasher ? p.top.map((t) => ({ value: this.hasher!.hash(t.value) ?? '', count: t.count })) : [] };
    }
    return out;
  }

  /** Every row of a version's reference data (with columns beyond the features, such as the label); null when it has none. */
  async rows(modelName: string, version: number): Promise<Record<string, unknown>[] | null> {
    const model = await this.version(modelName, version);
    const ref = await this.db.selectFrom('version_references').selectAll().where('model_id', '=', model.id).where('version', '=', version).executeTakeFirst();
    if (!ref) return null;
    // A reference the monitors already parsed (whole, not sampled) is turned back into rows.
    const cached = this.parsed.get(ref.digest);
    if (cached && (Object.values(cached)[0]?.length ?? 0) === Number(ref.rows)) {
      const names = Object.keys(cached);
      return Array.from({ length: Number(ref.rows) }, (_, i) => Object.fromEntries(names.map((n) => [n, cached[n]![i]])));
    }
    return parseRows((await readAll(await this.blobs.get(ref.digest))).toString('utf8'), ref.format as 'csv' | 'jsonl');
  }

  private async load(modelId: string, modelName: string, version: number): Promise<Columns> {
    const ref = await this.db.selectFrom('version_references').selectAll().where('model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
    if (!ref) throw new AppError('not_found', `version ${version} of model ${modelName} has no reference data; upload it with PUT …/versions/${version}/reference`);
    // Parsing a large reference is the costly part of a window's evaluation; references are
    // immutable by digest, so the last few parsed ones are kept.
    const cached = this.parsed.get(ref.digest);
    if (cached) return cached;
    const rows = parseRows((await readAll(await this.blobs.get(ref.digest))).toString('utf8'), ref.format as 'csv' | 'jsonl');
    const step = Math.max(1, Math.ceil(rows.length / MAX_ROWS));
    const columns = columnsOf(step === 1 ? rows : rows.filter((_, i) => i % step === 0));
    this.parsed.set(ref.digest, columns);
    if (this.parsed.size > 4) this.parsed.delete(this.parsed.keys().next().value!);
    return columns;
  }

  /**
   * A window of a deployment's logged primary traffic next to the reference of the version that
   * answered most of it: inputs as columns, refused requests' messages, and the outputs.
   */
  private async window(deployment: string, query: unknown) {
    const q = parseInput(DriftQuery, query ?? {}, 'query');
    const dep = await this.db
      .selectFrom('deployments as d')
      .innerJoin('models as m', 'm.id', 'd.model_id')
      .select(['m.id as modelId', 'm.name as model'])
      .where('d.name', '=', deployment)
      .executeTakeFirst();
    if (!dep) throw new AppError('not_found', `deployment ${deployment} not found`, { deployment });
    const since = q.since ? new Date(q.since).toISOString() : null;
    const until = q.until ? new Date(q.until).toISOString() : null;
    const logged = await this.log.newest({ deployment, since, until, role: 'primary' }, MAX_ROWS, (r) => q.version === undefined || r.version === q.version);
    // Without an explicit version, judge the one that answered most requests in the window.
    const counts = new Map<number, number>();
    const inputs = logged.map((r) => r.inputs());
    logged.forEach((r, i) => {
      if (r.version !== null && inputs[i] !== null) counts.set(r.version, (counts.get(r.version) ?? 0) + 1);
    });
    const version = q.version ?? [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (version === undefined) throw new AppError('not_found', `deployment ${deployment} logged no predictions in this window`);
    const reference = await this.load(dep.modelId, dep.model, version);
    const current: Columns = {};
    const outputs: unknown[] = [];
    const refusals: string[] = [];
    let currentRows = 0;
    logged.forEach((r, k) => {
      const given = inputs[k] ?? null;
      if (r.error !== null && given === null) {
        refusals.push(r.error);
        return;
      }
      if (r.version !== version || given === null) return;
      for (const row of given.rows) {
        given.features.forEach((f, i) => (current[f] ??= []).push(row[i] ?? null));
        currentRows++;
      }
      if (r.outputs) outputs.push(...predictionValues(r.outputs));
    });
    return { dep, version, since, until, reference: this.hashedLike(reference, current), current, outputs, refusals, requests: logged.length, currentRows };
  }

  /** Hashed reference columns, per parsed reference and feature. */
  private readonly hashed = new WeakMap<Columns, Map<string, Columns[string]>>();

  /**
   * The reference with the columns the log keeps as keyed hashes (personal data) hashed the same
   * way, so drift and data quality compare like with like.
   */
  private hashedLike(reference: Columns, current: Columns): Columns {
    const pii = Object.keys(current).filter((f) => f in reference && current[f]!.some((v) => typeof v === 'string' && v.startsWith(PII_PREFIX)));
    if (pii.length === 0 || !this.hasher) return reference;
    let done = this.hashed.get(reference);
    if (!done) this.hashed.set(reference, (done = new Map()));
    const out = { ...reference };
    for (const f of pii) {
      let col = done.get(f);
      if (!col) done.set(f, (col = reference[f]!.map((v) => this.hasher!.hash(v))));
      out[f] = col;
    }
    return out;
  }

  /** The version's output tensors on its reference rows, computed once per process; null when it cannot score them. */
  private async referenceTensors(model: string, version: number, reference: Columns): Promise<OutputTensor[] | null> {
    if (!this.predictor) return null;
    const key = `${model}/${version}/${Object.values(reference)[0]?.length ?? 0}`;
    const cached = this.referencePredictions.get(key);
    if (cached) return cached;
    const p = await this.predictor(model, version);
    if (p.features.some((f) => !(f.name in reference))) return null;
    const columns = p.features.map((f) => {
      const col = reference[f.name]!;
      return f.type === 'string' ? col.map((v) => String(v ?? '')) : Float64Array.from(col, (v) => (typeof v === 'number' ? v : v === null ? Number.NaN : Number(v)));
    });
    let outputs: OutputTensor[];
    try {
      outputs = await p.predict({ rows: Object.values(reference)[0]?.length ?? 0, columns });
    } catch {
      return null;
    }
    this.referencePredictions.set(key, outputs);
    if (this.referencePredictions.size > 64) this.referencePredictions.delete(this.referencePredictions.keys().next().value!);
    return outputs;
  }

  /** The version's outputs on its reference rows (class-1 probability for binary scores). */
  private async referenceOutputs(model: string, version: number, reference: Columns): Promise<unknown[] | null> {
    const tensors = await this.referenceTensors(model, version, reference);
    return tensors ? predictionValues(tensors) : null;
  }

  /**
   * A version's labelled reference as label-free estimation fits on it: its columns, the model's
   * output tensors on them, and the label column (the policy's target, else `label` or `target`).
   * Null without a reference, a label column, or a way to score the rows.
   */
  async scoredReference(model: string, version: number): Promise<{ columns: Columns; outputs: OutputTensor[]; target: string } | null> {
    const m = await this.db.selectFrom('models').select('id').where('name', '=', model).executeTakeFirst();
    if (!m) return null;
    const columns = await this.load(m.id, model, version).catch(() => null);
    if (!columns) return null;
    const target = [await this.targetColumn(model), 'label', 'target'].find((c) => c !== undefined && c in columns);
    const outputs = target ? await this.referenceTensors(model, version, columns) : null;
    return target && outputs ? { columns, outputs, target } : null;
  }

  private async predictionDrift(model: string, version: number, w: Awaited<ReturnType<ReferenceService['window']>>): Promise<DriftResult['prediction']> {
    if (w.outputs.length === 0) return null;
    const expected = await this.referenceOutputs(model, version, w.reference);
    if (!expected) return null;
    const report = driftReport({ prediction: expected as Values }, { prediction: w.outputs as Values });
    const f = report.features[0];
    return f ? { ...f, statistic: Number.isFinite(f.statistic) ? f.statistic : null } : null;
  }

  /**
   * A calibration map for a binary classifier's scores, fitted on its reference data as NannyML's
   * CBPE does: isotonic regression of the reference labels (the policy's target column, else
   * `label`) on the model's scores for those rows. Used only when it helps: fitted on one half of
   * the reference, it must lower the calibration error on the other half. Null otherwise (no
   * reference, no labels, fewer than 100 rows, one class, or scores already calibrated).
   */
  async calibration(model: string, version: number): Promise<((p: number) => number) | null> {
    const m = await this.db.selectFrom('models').select('id').where('name', '=', model).executeTakeFirst();
    if (!m) return null;
    let reference: Columns;
    try {
      reference = await this.load(m.id, model, version);
    } catch {
      return null;
    }
    const target = [await this.targetColumn(model), 'label', 'target'].find((c) => c !== undefined && c in reference);
    if (!target) return null;
    const scores = await this.referenceOutputs(model, version, reference);
    if (!scores || scores.length !== reference[target]!.length) return null;
    const xs: number[] = [];
    const ys: number[] = [];
    reference[target]!.forEach((label, i) => {
      const p = scores[i];
      const y = Number(label);
      if (typeof p === 'number' && Number.isFinite(p) && (y === 0 || y === 1)) {
        xs.push(p);
        ys.push(y);
      }
    });
    if (xs.length < 100 || !ys.includes(0) || !ys.includes(1)) return null;
    const half = (k: number) => [xs.filter((_, i) => i % 2 === k), ys.filter((_, i) => i % 2 === k)] as const;
    const [fitX, fitY] = half(0);
    const [testX, testY] = half(1);
    const trial = isotonicFit(fitX, fitY);
    if (calibrationError(testY, testX.map(trial)) >= calibrationError(testY, testX)) return null;
    return isotonicFit(xs, ys);
  }

  /** Drift and data quality of one window, from one read of the log (what monitors evaluate). */
  async inspect(deployment: string, query: unknown, thresholds?: DataQualityThresholds): Promise<{ drift: DriftResult; dataQuality: DataQualityResult }> {
    const w = await this.window(deployment, query);
    const { redacted, shared } = comparable(w);
    const current = w.current as Record<string, Values>;
    const report = driftReport(shared, current);
    const skipped = [
      ...report.skipped,
      ...Object.keys(w.reference)
        .filter((k) => !(k in w.current) || redacted.has(k))
        .map((feature) => ({ feature, reason: redacted.has(feature) ? 'redacted in the prediction log' : 'not among the model inputs logged' })),
    ];
    const base = { deployment, version: w.version, since: w.since, until: w.until, referenceRows: Object.values(w.reference)[0]?.length ?? 0, currentRows: w.currentRows };
    const quality = dataQuality(shared, current, w.refusals, w.requests, thresholds);
    return {
      drift: {
        ...base,
        features: report.features.map((f) => ({ ...f, statistic: Number.isFinite(f.statistic) ? f.statistic : null })),
        skipped,
        driftedShare: report.driftedShare,
        drifted: report.drifted,
        prediction: await this.predictionDrift(w.dep.model, w.version, w),
      },
      dataQuality: { ...base, requests: w.requests, checks: quality.checks, failed: quality.failed.length, passed: quality.failed.length === 0 },
    };
  }

  /**
   * The columns a window's drift compares: the reference of the version that served it, limited to
   * the features logged unredacted, and the logged inputs (the dashboard's distributions and report).
   */
  async columns(deployment: string, query: unknown): Promise<{ version: number; since: string | null; until: string | null; reference: Record<string, Values>; current: Record<string, Values>; currentRows: number }> {
    const w = await this.window(deployment, query);
    return { version: w.version, since: w.since, until: w.until, reference: comparable(w).shared, current: w.current as Record<string, Values>, currentRows: w.currentRows };
  }

  /** Drift of the inputs (and predictions) a deployment logged in a window against the serving version's reference. */
  async drift(deployment: string, query: unknown): Promise<DriftResult> {
    return (await this.inspect(deployment, query)).drift;
  }

  /** Data-quality checks of a window against the reference. */
  async dataQuality(deployment: string, query: unknown): Promise<DataQualityResult> {
    return (await this.inspect(deployment, query)).dataQuality;
  }
}

/** The reference's features that were logged unredacted in the window, and the redacted ones. */
function comparable(w: { reference: Columns; current: Columns }): { redacted: Set<string>; shared: Record<string, Values> } {
  const redacted = new Set(Object.keys(w.current).filter((k) => w.current[k]!.includes('[redacted]')));
  const shared = Object.fromEntries(Object.entries(w.reference).filter(([k]) => k in w.current && !redacted.has(k))) as Record<string, Values>;
  return { redacted, shared };
}

/** The values a prediction drift compares: class-1 probability for binary scores, else the first output. */
function predictionValues(outputs: OutputTensor[]): (number | string | boolean)[] {
  const p1 = positiveScores(outputs);
  if (p1) return p1;
  const first = outputs[0];
  if (!first) return [];
  return first.shape.length <= 1 || first.shape[1] === 1 ? (first.data as (number | string | boolean)[]) : [];
}
