import type { OutputTensor, Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import type { InferInput } from './infer-input.js';
import { toFeatureBatch } from './infer-input.js';
import { type LiveDeployment, type LiveDeployments, pickRoute } from './live-deployments.js';
import type { LoadedModel } from './model-cache.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { SloGuard } from './slo-guard.js';

export interface InferResult {
  deployment: LiveDeployment;
  model: LoadedModel;
  outputs: OutputTensor[];
  rows: number;
}

export interface InferOptions {
  /** Bypass routing and use this version. */
  version?: number;
  /** Sticky routing key (the deployment's sticky header value). */
  stickyKey?: string;
}

/**
 * The hot path: cached routing → validation → model → answer; no database, no disk. Shadow copies
 * run after the answer is computed and can neither slow nor fail it.
 */
export class InferenceService {
  constructor(
    private readonly live: LiveDeployments,
    private readonly metrics: ServingMetrics,
    private readonly slo: SloGuard,
    private readonly logger: Logger,
  ) {}

  deployment(name: string): LiveDeployment {
    const d = this.live.get(name);
    if (!d) {
      const problem = this.live.problems.get(name);
      if (problem) throw new AppError('unavailable', `deployment ${name} is not ready: ${problem}`);
      throw new AppError('not_found', `deployment ${name} not found`, { deployment: name });
    }
    return d;
  }

  /** The model a request would use: a pinned version, or one picked by the traffic split. */
  async target(d: LiveDeployment, options: InferOptions = {}): Promise<LoadedModel> {
    if (options.version !== undefined) return this.live.direct(d, options.version);
    return pickRoute(d, options.stickyKey).model;
  }

  /** Scores one request; `parse` turns the protocol body into rows once the model's features are known. */
  async infer(name: string, parse: (p: Predictor) => InferInput, options: InferOptions = {}): Promise<InferResult> {
    const d = this.deployment(name);
    const model = await this.target(d, options);
    const started = performance.now();
    let failed = true;
    model.inflight++;
    try {
      const input = parse(model.predictor);
      const batch = toFeatureBatch(input, model.predictor);
      const route = options.version === undefined ? d.routes.find((r) => r.model === model) : undefined;
      let outputs: OutputTensor[];
      try {
        outputs = route?.batcher ? await route.batcher.submit(batch) : await model.predictor.predict(batch);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError('internal', `model ${model.model}/${model.version} failed to predict: ${(err as Error).message}`, undefined, { cause: err });
      }
      failed = false;
      model.lastUsed = Date.now();
      for (const shadow of d.shadows) this.shadow(d, shadow, input);
      return { deployment: d, model, outputs, rows: batch.rows };
    } catch (err) {
      // Only server-side failures count against a version's SLO; a caller's bad input does not.
      failed = err instanceof AppError ? err.status >= 500 : true;
      throw err;
    } finally {
      model.inflight--;
      if (options.version === undefined) this.slo.record(d, model.version, performance.now() - started, failed);
    }
  }

  private shadow(d: LiveDeployment, shadow: LoadedModel, input: InferInput): void {
    setImmediate(() => {
      shadow.inflight++;
      Promise.resolve()
        .then(() => shadow.predictor.predict(toFeatureBatch(input, shadow.predictor)))
        .then(
          (outputs) => this.logger.debug({ deployment: d.name, shadowVersion: shadow.version, outputs: outputs.map((o) => o.name) }, 'shadow prediction'),
          (err) => {
            this.metrics.shadowErrors.labels(d.name, String(shadow.version)).inc();
            this.logger.debug({ err, deployment: d.name, shadowVersion: shadow.version }, 'shadow prediction failed');
          },
        )
        .finally(() => shadow.inflight--);
    });
  }
}
