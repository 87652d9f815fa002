import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the serving path; one registry per process. */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'sextant_inference_requests_total',
    help: 'Inference requests by deployment, version and HTTP status code',
    labelNames: ['deployment', 'version', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'sextant_inference_duration_seconds',
    help: 'Inference latency (parse, validate, predict) by deployment and version',
    labelNames: ['deployment', 'version'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'sextant_batch_rows',
    help: 'Rows per runtime call when adaptive batching is on',
    labelNames: ['deployment'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'sextant_batch_queue_depth',
    help: 'Requests waiting in the batching queue',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });
  readonly loadedModels = new Gauge({ name: 'sextant_loaded_models', help: 'Models loaded in this process', registers: [this.registry] });
  readonly loadedBytes = new Gauge({ name: 'sextant_loaded_model_bytes', help: 'Approximate memory of loaded models', registers: [this.registry] });
  readonly shadowErrors = new Counter({
    name: 'sextant_shadow_errors_total',
    help: 'Shadow predictions that failed (never visible to callers)',
    labelNames: ['deployment', 'version'] as const,
    registers: [this.registry],
  });
  readonly sloRollbacks = new Counter({
    name: 'sextant_slo_rollbacks_total',
    help: 'Canaries set to weight 0 by the SLO guard',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });

  readonly logQueued = new Gauge({ name: 'sextant_prediction_log_queue_depth', help: 'Predictions waiting to be written', registers: [this.registry] });
  readonly logDropped = new Counter({
    name: 'sextant_prediction_log_dropped_total',
    help: 'Predictions not logged because the queue was full or the database refused them',
    registers: [this.registry],
  });
  readonly logWritten = new Counter({ name: 'sextant_prediction_log_written_total', help: 'Predictions written to the log', registers: [this.registry] });

  /** Inference refused with 429 because the process's in-flight bound or a batch queue was full. */
  readonly shed = new Counter({
    name: 'sextant_inference_shed_total',
    help: 'Inference requests answered 429 because the serving process was at its in-flight bound or a batch queue was full',
    labelNames: ['deployment', 'reason'] as const,
    registers: [this.registry],
  });

  // The gauges below are read from the database at each scrape, so every process reports the same
  // figures: a cluster-wide scrape takes the scraped process's own ('first') instead of a sum.
  readonly driftScore = new Gauge({
    name: 'sextant_drift_score',
    help: 'Latest monitor window: the drift statistic per feature (a p-value for KS, chi-squared, Z; a distance otherwise)',
    labelNames: ['deployment', 'feature', 'test'] as const,
    aggregator: 'first',
    registers: [this.registry],
  });
  readonly featureDrifted = new Gauge({
    name: 'sextant_feature_drifted',
    help: 'Latest monitor window: 1 when the feature drifted',
    labelNames: ['deployment', 'feature'] as const,
    aggregator: 'first',
    registers: [this.registry],
  });
  readonly alertsOpen = new Gauge({
    name: 'sextant_alerts_open',
    help: 'Unresolved alerts (open or acknowledged) per deployment and rule',
    labelNames: ['deployment', 'rule'] as const,
    aggregator: 'first',
    registers: [this.registry],
  });

  private readonly children = new Map<string, { ok: ReturnType<Counter['labels']>; latency: ReturnType<Histogram['labels']> }>();

  /** Label children for one deployment and version, cached: label lookups showed in profiles. */
  route(deployment: string, version: string) {
    const key = `${deployment}\u0000${version}`;
    let c = this.children.get(key);
    if (!c) this.children.set(key, (c = { ok: this.requests.labels(deployment, version, '200'), latency: this.latency.labels(deployment, version) }));
    return c;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'sextant_' });
    // prom-client also exports these counts of gauges with a `_total` suffix, which Prometheus
    // reserves for counters (`promtool check metrics` refuses them); the same figures stay
    // available per type as sextant_nodejs_active_{handles,requests,resources}.
    for (const name of ['handles', 'requests', 'resources']) this.registry.removeSingleMetric(`sextant_nodejs_active_${name}_total`);
  }
}
