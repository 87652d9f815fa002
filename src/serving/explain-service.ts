import { type Explanation, explainerOf, type FeatureBatch, type OutputTensor, type Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { BackgroundSource } from './explain-background.js';
import { type InferInput, toFeatureBatch } from './infer-input.js';
import type { InferenceService, InferOptions } from './inference-service.js';
import type { LoadedModel } from './model-cache.js';

export interface ExplainResult {
  model: LoadedModel;
  outputs: OutputTensor[];
  rows: number;
  explanation: Explanation;
}

/** Global importance of a version's features: mean |contribution| over its reference rows. */
export interface Importance {
  space: Explanation['space'];
  rows: number;
  features: { feature: string; meanAbsContribution: number; byClass?: number[] }[];
}

/** Rows of the reference data explained for global importance at most (evenly spaced beyond). */
const IMPORTANCE_ROWS = 1000;

/**
 * Explanations beside inference: the same routing and input checks as `infer`, then the model's
 * SHAP values. Explanations are not the hot path: they are neither logged nor counted in SLOs.
 */
export class ExplainService {
  /** Per background batch (one per version, reference digest and loaded model). */
  private readonly importances = new WeakMap<FeatureBatch, Importance>();

  constructor(
    private readonly inference: InferenceService,
    private readonly background: BackgroundSource,
    /** Loads any registered version (global importance of versions nothing serves). */
    private readonly loadVersion: (model: string, version: number) => Promise<LoadedModel>,
  ) {}

  /** Scores and explains one request on the model routing (or `options.version`) picks. */
  async explain(name: string, parse: (p: Predictor) => InferInput, options: InferOptions = {}): Promise<ExplainResult> {
    const d = await this.inference.lookup(name);
    const model = await this.inference.target(d, options);
    model.inflight++;
    try {
      const explainer = explainerOf(model.predictor);
      const batch = toFeatureBatch(parse(model.predictor), model.predictor);
      const outputs = await model.predictor.predict(batch);
      const background = explainer.background ? await this.background(model.model, model.version, model.predictor) : null;
      return { model, outputs, rows: batch.rows, explanation: explainer.explain(batch, background) };
    } finally {
      model.inflight--;
    }
  }

  /** Mean |contribution| per feature over (up to 1,000 evenly spaced rows of) the version's reference data. */
  async importance(modelName: string, version: number): Promise<Importance> {
    const model = await this.loadVersion(modelName, version);
    const explainer = explainerOf(model.predictor);
    const background = await this.background(modelName, version, model.predictor);
    if (!background) throw new AppError('not_found', `version ${version} of model ${modelName} has no reference data; upload it with PUT …/versions/${version}/reference`);
    const cached = this.importances.get(background);
    if (cached) return cached;
    const step = Math.max(1, Math.ceil(background.rows / IMPORTANCE_ROWS));
    const picked = Array.from({ length: Math.ceil(background.rows / step) }, (_, i) => i * step);
    const sample = { rows: picked.length, columns: background.columns.map((c) => Float64Array.from(picked, (r) => (c as Float64Array)[r]!)) };
    const e = explainer.explain(sample, background);
    const result = summarise(e, sample.rows);
    this.importances.set(background, result);
    return result;
  }
}

function summarise(e: Explanation, rows: number): Importance {
  const f = e.features.length;
  const perClass = typeof e.baseValue === 'number' ? [e.contributions as number[][]] : (e.baseValue as number[]).map((_, j) => (e.contributions as number[][][]).map((r) => r[j]!));
  const byClass = perClass.map((rs) => Array.from({ length: f }, (_, i) => rs.reduce((s, r) => s + Math.abs(r[i]!), 0) / Math.max(1, rs.length)));
  const features = e.features.map((feature, i) => {
    const values = byClass.map((c) => c[i]!);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return { feature, meanAbsContribution: mean, ...(byClass.length > 1 ? { byClass: values } : {}) };
  });
  features.sort((a, b) => b.meanAbsContribution - a.meanAbsContribution);
  return { space: e.space, rows, features };
}
