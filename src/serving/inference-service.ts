import type { PredictionRecord } from '../monitoring/index.js';
import type { FeatureBatch, OutputTensor, Predictor } from '../runtime/index.js';
import { AppError } from '../shared/app-error.js';
import type { Logger } from '../shared/logger.js';
import { type TraceContext, tracingOn, withSpan } from '../shared/tracing.js';
import type { InferInput } from './infer-input.js';
import { toFeatureBatch } from './infer-input.js';
import { type LiveDeployment, type LiveDeployments, pickRoute } from './live-deployments.js';
import type { LoadedModel } from './model-cache.js';
import type { Batcher } from './batcher.js';
import { Overloaded } from './overload.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { SloGuard } from './slo-guard.js';
import type { TrafficRecorder } from './traffic-recorder.js';
import type { CpuMeter } from './cpu-meter.js';

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
  /** The request id the answer carries; the prediction log keys on it. */
  requestId?: string;
  /** True when the server made the request id rather than taking the caller's (see `PredictionRecord.ownRequestId`). */
  ownRequestId?: boolean;
  /** The request's span when tracing is on; routing, runtime and log spans go under it. */
  trace?: TraceContext;
}

// The log record names the features; one array per predictor, not one per request.
const names = new WeakMap<Predictor, readonly string[]>();
const NONE: readonly string[] = [];

function featureNames(p: Predictor): readonly string[] {
  let n = names.get(p);
  if (n === undefined) names.set(p, (n = p.features.map((f) => f.name)));
  return n;
}

/** Where logged predictions go (the prediction log's bounded queue). */
export type PredictionSink = (record: PredictionRecord) => void;

/**
 * The hot path: cached routing → validation → model → answer; no database, no disk. Shadow copies
 * run after the answer is computed and can neither slow nor fail it.
 */
export class InferenceService {
  /** Requests between admission and answer in this process, waits on batch queues and remote models included. */
  private inflight = 0;

  constructor(
    private readonly live: LiveDeployments,
    private readonly metrics: ServingMetrics,
    private readonly slo: SloGuard,
    private readonly logger: Logger,
    private readonly sink: PredictionSink = () => {},
    /** Beyond this many requests in flight, more are answered 429 before any work (SEXTANT_MAX_INFLIGHT). */
    private readonly maxInflight = Number.POSITIVE_INFINITY,
    /** Counts every answer per deployment, version and step for the traffic history. */
    private readonly traffic: TrafficRecorder | null = null,
    /** Measures the CPU time of the inference path per deployment (business value's compute cost). */
    private readonly cpu: CpuMeter | null = null,
  ) {}

  /** Requests this process is working on now. */
  get inFlight(): number {
    return this.inflight;
  }

  private log(d: LiveDeployment, role: 'primary' | 'shadow', model: LoadedModel | null, options: InferOptions, batch: FeatureBatch | null, outputs: OutputTensor[] | null, latencyMs: number, error: string | null): void {
    const logging = d.spec.logging;
    const requestId = options.requestId;
    if (requestId === undefined || (logging && logging.sampleRate < 1 && Math.random() >= logging.sampleRate)) return;
    this.sink({
      requestId,
      ownRequestId: options.ownRequestId === true,
      role,
      deployment: d.name,
      model: d.model,
      version: model?.version ?? null,
      time: Date.now(),
      features: model ? featureNames(model.predictor) : NONE,
      batch,
      outputs,
      latencyMs,
      error,
      redact: logging?.redact ?? NONE,
      pii: model?.pii ?? NONE,
    });
  }

  deployment(name: string): LiveDeployment {
    const d = this.live.get(name);
    if (!d) {
      const problem = this.live.problems.get(name);
      if (problem) throw new AppError('unavailable', `deployment ${name} is not ready: ${problem}`);
      throw new AppError('not_found', `deployment ${name} not found`, { deployment: name });
    }
    return d;
  }

  /** `deployment`, once this process has caught up with the database when the name is new to it. */
  async lookup(name: string): Promise<LiveDeployment> {
    if (!this.live.get(name)) await this.live.catchUp();
    return this.deployment(name);
  }

  /** The deployment if this process's table has it (no waiting, for the hot path). */
  find(name: string): LiveDeployment | undefined {
    return this.live.get(name);
  }

  /** The model a request would use: a pinned version, or one picked by the traffic split. */
  async target(d: LiveDeployment, options: InferOptions = {}): Promise<LoadedModel> {
    if (options.version !== undefined) return this.live.direct(d, options.version);
    return pickRoute(d, options.stickyKey).model;
  }

  /** Scores one request; `parse` turns the protocol body into rows once the model's features are known. */
  async infer(name: string, parse: (p: Predictor) => InferInput, options: InferOptions = {}): Promise<InferResult> {
    const d = this.deployment(name);
    if (this.inflight >= this.maxInflight) {
      this.metrics.shed.labels(d.name, 'inflight').inc();
      this.traffic?.shed(d.name);
      throw new Overloaded('inflight', `this serving process is answering ${this.inflight} inference requests, its limit (SEXTANT_MAX_INFLIGHT); retry shortly`);
    }
    this.inflight++;
    try {
      return await this.admitted(d, parse, options);
    } finally {
      this.inflight--;
    }
  }

  /** `target` in a span naming the version routing picked. */
  private async tracedTarget(d: LiveDeployment, options: InferOptions): Promise<LoadedModel> {
    return withSpan(options.trace, 'sextant.route', { 'sextant.deployment': d.name, 'sextant.routed': options.version === undefined }, async (span) => {
      const model = await this.target(d, options);
      span?.setAttributes({ 'sextant.model': model.model, 'sextant.version': model.version });
      return model;
    });
  }

  /** The runtime call: through the route's batch queue when it batches, straight to the model otherwise. */
  private predict(model: LoadedModel, batcher: Batcher | null | undefined, batch: FeatureBatch, trace?: TraceContext): Promise<OutputTensor[]> {
    // A batched call serves several requests: it goes under none of them.
    return batcher ? batcher.submit(batch) : model.predictor.predict(batch, trace && { trace });
  }

  private tracedPredict(model: LoadedModel, batcher: Batcher | null | undefined, batch: FeatureBatch, parent: TraceContext | undefined): Promise<OutputTensor[]> {
    const attributes = { 'sextant.runtime': model.predictor.format, 'sextant.model': model.model, 'sextant.version': model.version, 'sextant.rows': batch.rows, 'sextant.batched': Boolean(batcher) };
    return withSpan(parent, 'sextant.predict', attributes, (_span, trace) => this.predict(model, batcher, batch, trace));
  }

  private async admitted(d: LiveDeployment, parse: (p: Predictor) => InferInput, options: InferOptions): Promise<InferResult> {
    // Span sites test tracingOn() first, so without tracing no closure or attribute object is made.
    const traced = tracingOn();
    const model = await (traced ? this.tracedTarget(d, options) : this.target(d, options));
    const started = performance.now();
    let failed = true;
    let invalid = false;
    let shed = false;
    let batch: FeatureBatch | null = null;
    const call = this.cpu?.begin(d.name);
    model.inflight++;
    try {
      const input = parse(model.predictor);
      batch = toFeatureBatch(input, model.predictor);
      const route = options.version === undefined ? d.routes.find((r) => r.model === model) : undefined;
      let outputs: OutputTensor[];
      try {
        outputs = await (traced ? this.tracedPredict(model, route?.batcher, batch, options.trace) : this.predict(model, route?.batcher, batch));
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError('internal', `model ${model.model}/${model.version} failed to predict: ${(err as Error).message}`, undefined, { cause: err });
      }
      failed = false;
      model.lastUsed = Date.now();
      const ms = performance.now() - started;
      if (traced) withSpan(options.trace, 'sextant.log.enqueue', { 'sextant.deployment': d.name }, () => this.log(d, 'primary', model, options, batch, outputs, ms, null));
      else this.log(d, 'primary', model, options, batch, outputs, ms, null);
      for (const shadow of d.shadows) this.shadow(d, shadow, input, options);
      return { deployment: d, model, outputs, rows: batch.rows };
    } catch (err) {
      // Only server-side failures count against a version's SLO; a caller's bad input does not.
      failed = err instanceof AppError ? err.status >= 500 : true;
      invalid = !failed;
      // A shed request did no work: counted, not logged as a prediction.
      shed = err instanceof Overloaded;
      if (err instanceof Overloaded) this.metrics.shed.labels(d.name, err.reason).inc();
      else this.log(d, 'primary', model, options, batch, null, performance.now() - started, (err as Error).message);
      throw err;
    } finally {
      model.inflight--;
      if (call) this.cpu!.end(call, failed || invalid || !batch ? 0 : batch.rows);
      const ms = performance.now() - started;
      if (options.version === undefined) this.slo.record(d, model.version, ms, failed);
      if (shed) this.traffic?.shed(d.name);
      else this.traffic?.record(d.name, model.version, ms, failed ? 'error' : invalid ? 'invalid' : 'ok');
    }
  }

  private shadow(d: LiveDeployment, shadow: LoadedModel, input: InferInput, options: InferOptions): void {
    setImmediate(() => {
      shadow.inflight++;
      const started = performance.now();
      let batch: FeatureBatch | null = null;
      // A shadow's CPU is the deployment's cost too; its rows are not served predictions.
      const call = this.cpu?.begin(d.name);
      Promise.resolve()
        .then(() => shadow.predictor.predict((batch = toFeatureBatch(input, shadow.predictor))))
        .then(
          (outputs) => this.log(d, 'shadow', shadow, options, batch, outputs, performance.now() - started, null),
          (err) => {
            this.metrics.shadowErrors.labels(d.name, String(shadow.version)).inc();
            this.log(d, 'shadow', shadow, options, batch, null, performance.now() - started, (err as Error).message);
          },
        )
        .finally(() => {
          shadow.inflight--;
          if (call) this.cpu!.end(call, 0);
        });
    });
  }
}
