import type { Generated } from 'kysely';
import type { OutboxTable, GrantsTable, ProtectedAliasesTable, PromotionRulesTable, ApprovalsTable, ApprovalVotesTable, NodesTable, LeasesTable, FairnessReportsTable, ModelCardsTable } from './schema-governance.js';

export type { OutboxTable, GrantsTable, ProtectedAliasesTable, PromotionRulesTable, ApprovalsTable, ApprovalVotesTable, NodesTable, LeasesTable, FairnessReportsTable, ModelCardsTable } from './schema-governance.js';

/** Row types of every table. Timestamps are ISO 8601 text and JSON columns are text, identically on both databases. */
export interface ModelsTable {
  id: string;
  name: string;
  description: string;
  owner: string;
  task: string;
  tags: string;
  latest_version: number;
  created_at: string;
  updated_at: string;
}

export interface ModelTagsTable {
  model_id: string;
  key: string;
  value: string;
}

export interface ModelVersionsTable {
  model_id: string;
  version: number;
  format: string;
  digest: string;
  size: number | string;
  signature: string | null;
  params: string;
  metrics: string;
  tags: string;
  lineage: string;
  description: string;
  status: string;
  author: string;
  created_at: string;
}

export interface AliasesTable {
  model_id: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AliasHistoryTable {
  id: Generated<number>;
  model_id: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  action: string;
  actor: string;
  reason: string | null;
  at: string;
  request_id: string | null;
}

export interface AuditEventsTable {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
  reason: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface TokensTable {
  id: string;
  name: string;
  role: string;
  scopes: string;
  hash: string;
  prefix: string;
  created_at: string;
  created_by: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface DeploymentsTable {
  name: string;
  model_id: string;
  spec: string;
  last_event: string | null;
  created_at: string;
  updated_at: string;
}

export interface ChangeSeqTable {
  id: number;
  seq: number;
}

export interface SloSamplesTable {
  deployment: string;
  version: number;
  worker: string;
  second: number;
  count: number;
  errors: number;
  histogram: string;
}

/** One serving process's traffic of a deployment version over a 10-second step (migration 018). */
export interface TrafficSamplesTable {
  deployment: string;
  /** 0 for requests shed before a version was chosen. */
  version: number;
  worker: string;
  /** Start of the step, in seconds since the epoch. */
  second: number;
  count: number;
  errors: number;
  invalid: number;
  shed: number;
  histogram: string;
}

/** A model's business value KPI (migration 016): the spec as JSON (`contracts/kpi.ts`). */
export interface ModelKpisTable {
  model: string;
  spec: string;
  updated_by: string;
  updated_at: string;
}

/** CPU time one serving process spent predicting for a deployment over a 10-second step (migration 016). */
export interface ServingCpuTable {
  deployment: string;
  worker: string;
  /** Start of the step, in seconds since the epoch. */
  second: number;
  /** Microseconds of process CPU time (user + system) attributed to the deployment's inference calls. */
  cpu_us: number | string;
  /** Rows predicted. */
  predictions: number | string;
}

/** A batch of one deployment's logged predictions, column by column (see monitoring/prediction-segment.ts). */
export interface PredictionSegmentsTable {
  id: Generated<number>;
  deployment: string;
  model: string;
  first_time: string;
  last_time: string;
  records: number;
  body: Uint8Array | null;
  blob: string | null;
  skip: string | null;
  /** The primary records whose ids the server made: process prefix, range and counters (monitoring/own-request-ids.ts). */
  id_prefix: string | null;
  /** bigint: PostgreSQL answers with a string. */
  id_first: number | string | null;
  id_last: number | string | null;
  id_offsets: Uint8Array | null;
}

/** Which segment holds the primary prediction of a request id a caller chose: the join from feedback to the log. */
export interface PredictionIdsTable {
  request_id: string;
  segment_id: number;
  /** PostgreSQL only: the segment's `last_time`, by which the table is partitioned (storage/prediction-partitions.ts). */
  segment_time?: string;
}

export interface FeedbackTable {
  request_id: string;
  deployment: string;
  label: string;
  received_at: string;
}

export interface ChannelsTable {
  name: string;
  kind: string;
  url: string;
  secret: string | null;
  events: string;
  created_at: string;
}

export interface DeliveriesTable {
  id: string;
  channel: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  last_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface VersionReferencesTable {
  model_id: string;
  version: number;
  digest: string;
  format: string;
  rows: number;
  columns: string;
  profile: string | null;
  created_at: string;
}

export interface MonitorsTable {
  deployment: string;
  window_seconds: number;
  window_rows: number | null;
  thresholds: string;
  created_at: string;
}

export interface MonitorResultsTable {
  deployment: string;
  window_end: string;
  window_start: string;
  drift: string | null;
  quality: string | null;
  alert: string | null;
  /** Evaluators' sections beyond drift and quality, and the state they carry across windows (JSON, migration 013). */
  sections: string | null;
}

export interface AlertsTable {
  id: string;
  deployment: string;
  rule: string;
  message: string;
  status: string;
  first_window_end: string;
  last_window_end: string;
  windows: number;
  acked_by: string | null;
  resolved_at: string | null;
  created_at: string;
  /** Drift alerts: the path of the HTML drift report of the window that last breached (017). */
  report?: string | null;
}

export interface JobsTable {
  id: string;
  kind: string;
  model: string | null;
  status: string;
  params: string;
  trigger: string;
  attempts: number;
  max_attempts: number;
  timeout_seconds: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
  run_after: string;
  cancel_requested: number;
  result: string | null;
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}
export interface JobLogsTable {
  job_id: string;
  seq: number;
  time: string;
  line: string;
}
export interface RetrainingPoliciesTable {
  model: string;
  spec: string;
  updated_by: string;
  updated_at: string;
}
export interface ScheduleTicksTable {
  model: string;
  tick: string;
}
export interface VersionValidationsTable {
  model: string;
  version: number;
  job_id: string | null;
  result: string;
  created_at: string;
}
export interface PromotionsTable {
  id: string;
  model: string;
  version: number;
  deployment: string;
  strategy: string;
  steps: string;
  step: number;
  step_seconds: number;
  shadow_seconds: number;
  status: string;
  next_at: string;
  job_id: string | null;
  reason: string | null;
  created_at: string;
  updated_at: string;
  /** The approval a promotion's last step waits for (migration 012). */
  approval_id: string | null;
}
export interface DB {
  outbox: OutboxTable;
  grants: GrantsTable;
  protected_aliases: ProtectedAliasesTable;
  promotion_rules: PromotionRulesTable;
  approvals: ApprovalsTable;
  approval_votes: ApprovalVotesTable;
  nodes: NodesTable;
  leases: LeasesTable;
  fairness_reports: FairnessReportsTable;
  model_cards: ModelCardsTable;
  jobs: JobsTable;
  job_logs: JobLogsTable;
  retraining_policies: RetrainingPoliciesTable;
  schedule_ticks: ScheduleTicksTable;
  version_validations: VersionValidationsTable;
  promotions: PromotionsTable;
  alerts: AlertsTable;
  monitors: MonitorsTable;
  monitor_results: MonitorResultsTable;
  version_references: VersionReferencesTable;
  channels: ChannelsTable;
  deliveries: DeliveriesTable;
  prediction_segments: PredictionSegmentsTable;
  prediction_ids: PredictionIdsTable;
  feedback: FeedbackTable;
  slo_samples: SloSamplesTable;
  traffic_samples: TrafficSamplesTable;
  model_kpis: ModelKpisTable;
  serving_cpu: ServingCpuTable;
  deployments: DeploymentsTable;
  change_seq: ChangeSeqTable;
  models: ModelsTable;
  model_tags: ModelTagsTable;
  model_versions: ModelVersionsTable;
  aliases: AliasesTable;
  alias_history: AliasHistoryTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  tokens: TokensTable;
}
