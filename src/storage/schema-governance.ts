import type { Generated } from 'kysely';

/** Row types of the governance, transparency and cluster tables (migrations 012, 014, 015): the write path's outbox, grants, protection, rules, approvals, nodes and leases, fairness reports and model cards. */
export interface OutboxTable {
  id: Generated<number>;
  type: string;
  subject: string;
  time: string;
  data: string;
  claimed_until: string;
  published_at: string | null;
  /** The event's id (migration 015): the same on every publication, so buses and consumers drop repeats. */
  event_id: string | null;
}
export interface GrantsTable {
  model: string;
  principal: string;
  role: string;
  granted_by: string;
  granted_at: string;
}
export interface ProtectedAliasesTable {
  model: string;
  alias: string;
  approvals: number;
  ttl_seconds: number;
  protected_by: string;
  protected_at: string;
}
export interface PromotionRulesTable {
  model: string;
  alias: string;
  rules: string;
  updated_by: string;
  updated_at: string;
}
export interface ApprovalsTable {
  id: string;
  model: string;
  alias: string;
  version: number;
  from_version: number | null;
  action: string;
  input: string;
  reason: string | null;
  status: string;
  required: number;
  requested_by: string;
  request_id: string | null;
  version_author: string;
  rules: string | null;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  decision_reason: string | null;
}
export interface ApprovalVotesTable {
  approval_id: string;
  approver: string;
  decision: string;
  reason: string | null;
  at: string;
}
/** A running node (one `sextant server`) and when it last said it was alive. */
export interface NodesTable {
  id: string;
  host: string;
  address: string;
  version: string;
  started_at: string;
  heartbeat_at: string;
}
/** Who does a singleton task until when (storage/leases.ts). */
export interface LeasesTable {
  name: string;
  holder: string;
  node: string;
  term: number;
  acquired_at: string;
  renewed_at: string;
  expires_at: string;
}
export interface FairnessReportsTable {
  id: string;
  model_id: string;
  version: number;
  created_at: string;
  actor: string;
  /** FairnessReport JSON. */
  report: string;
}

export interface ModelCardsTable {
  model_id: string;
  /** 0: fields for every version of the model. */
  version: number;
  /** The card's human fields as JSON. */
  fields: string;
  updated_at: string;
  updated_by: string;
}
