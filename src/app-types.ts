import type { BlobStore } from './artifacts/index.js';
import type { Cluster } from './cluster/index.js';
import type { Config } from './config/index.js';
import type { EventBus, OutboxRelay } from './events/index.js';
import type {
  ApprovalService,
  AuditLog,
  AuditPackService,
  AuditSigner,
  CardService,
  FairnessService,
  GrantService,
  PromotionRulesService,
  ProtectionService,
  TokenService,
} from './governance/index.js';
import type {
  AlertService,
  FeedbackService,
  KpiService,
  LogWriter,
  MonitorService,
  NotificationService,
  PredictionLog,
  PredictionStore,
  QualityService,
  ReferenceService,
} from './monitoring/index.js';
import type { MlflowRegistry } from './mlflow-registry/index.js';
import type { JobQueue, JobWorker, PolicyService, PromotionService, RetrainService, RetrainTriggers } from './pipelines/index.js';
import type { Registry } from './registry/index.js';
import type {
  CpuMeter,
  DeploymentService,
  ExplainService,
  InferenceService,
  LiveDeployments,
  ModelCache,
  ServingMetrics,
  SloGuard,
  TrafficHistory,
  TrafficRecorder,
} from './serving/index.js';
import type { Clock } from './shared/clock.js';
import type { Logger } from './shared/logger.js';
import type { TracingHandle } from './shared/tracing-sdk.js';
import type { Database, Writes } from './storage/index.js';

export interface Serving {
  deployments: DeploymentService;
  live: LiveDeployments;
  inference: InferenceService;
  metrics: ServingMetrics;
  slo: SloGuard;
  cache: ModelCache;
  explain: ExplainService;
  /** Counts what each serving process answers, per deployment and 10-second step. */
  traffic: TrafficRecorder;
  cpu: CpuMeter;
  /** Reads those counts back, summed across processes. */
  trafficHistory: TrafficHistory;
}

/** Every service of a running Sextant, wired over one database and one blob store. */
export interface App {
  readonly config: Config;
  readonly database: Database;
  readonly blobs: BlobStore;
  readonly registry: Registry;
  /** MLflow's Model Registry API over `registry` (src/mlflow-registry/). */
  readonly mlflow: MlflowRegistry;
  readonly serving: Serving;
  readonly events: EventBus;
  /** The one path of every state change (authorize, approval, transaction, audit, change sequence, outbox). */
  readonly writes: Writes;
  /** Publishes committed outbox rows to `events`. */
  readonly outbox: OutboxRelay;
  /** This node's heartbeat and, where background work runs, its leases. */
  readonly cluster: Cluster;
  readonly monitoring: {
    predictions: PredictionLog;
    /** Reads the prediction log. */
    log: PredictionStore;
    feedback: FeedbackService;
    quality: QualityService;
    notifications: NotificationService;
    references: ReferenceService;
    monitors: MonitorService;
    kpis: KpiService;
    alerts: AlertService;
  };
  readonly pipelines: {
    jobs: JobQueue;
    policies: PolicyService;
    promotions: PromotionService;
    retrain: RetrainService;
    triggers: RetrainTriggers;
    worker: JobWorker;
  };
  readonly audit: AuditLog;
  /** Signed audit packs of a model, and the key they are signed with. */
  readonly auditPacks: AuditPackService;
  readonly signer: AuditSigner;
  readonly tokens: TokenService;
  /** Who may change what: per-model grants. */
  readonly governance: {
    grants: GrantService;
    protections: ProtectionService;
    /** Four-eyes approvals of protected alias moves; also the write path's approval check. */
    approvals: ApprovalService;
    /** What the version an alias moves to must show. */
    rules: PromotionRulesService;
  };
  /** Fairness reports, model cards. */
  readonly transparency: {
    fairness: FairnessService;
    cards: CardService;
  };
  readonly clock: Clock;
  readonly logger: Logger;
  /** The OpenTelemetry exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; null (no SDK loaded) otherwise. */
  readonly tracing: TracingHandle | null;
  /** Starts the background loops a server needs (routing refresh, SLO guard). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  /** Run pending migrations before returning (the default). */
  migrate?: boolean;
  /** Where logged predictions go; by default into this process's database connection. */
  logWriter?: LogWriter;
}
