import { z } from 'zod';
import { ModelName, Timestamp, VersionNumber } from './common.js';

/** Default life of an approval request: 72 hours. */
export const DEFAULT_APPROVAL_TTL_SECONDS = 72 * 3600;

export const ProtectAliasRequest = z
  .object({
    approvals: z.number().int().min(1).max(10).default(1).describe('distinct approvers a move needs (neither its requester nor the version author)'),
    ttlSeconds: z.number().int().min(60).max(90 * 86_400).default(DEFAULT_APPROVAL_TTL_SECONDS).describe('how long a request stays open'),
  })
  .strict()
  .meta({ id: 'ProtectAliasRequest' });
export type ProtectAliasRequest = z.input<typeof ProtectAliasRequest>;

/** An alias whose every move waits for approvals. */
export const ProtectedAlias = z
  .object({
    model: ModelName,
    alias: z.string(),
    approvals: z.number().int(),
    ttlSeconds: z.number().int(),
    protectedBy: z.string(),
    protectedAt: Timestamp,
  })
  .meta({ id: 'ProtectedAlias' });
export type ProtectedAlias = z.infer<typeof ProtectedAlias>;

export const ProtectedAliasList = z.object({ protections: z.array(ProtectedAlias) }).meta({ id: 'ProtectedAliasList' });

/** One promotion rule judged against the version an alias would move to. */
export const RuleResult = z
  .object({
    rule: z.string().describe('the rule as written, e.g. accuracy>=0.9'),
    passed: z.boolean(),
    measured: z.union([z.number(), z.string(), z.null()]).describe('what was measured (null: nothing to measure, which fails)'),
    message: z.string(),
  })
  .meta({ id: 'RuleResult' });
export type RuleResult = z.infer<typeof RuleResult>;

export const RuleEvaluation = z
  .object({ alias: z.string(), version: VersionNumber, passed: z.boolean(), results: z.array(RuleResult), evaluatedAt: Timestamp })
  .meta({ id: 'RuleEvaluation' });
export type RuleEvaluation = z.infer<typeof RuleEvaluation>;

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const ApprovalVote = z.object({ approver: z.string(), reason: z.string().nullable(), at: Timestamp });
export type ApprovalVote = z.infer<typeof ApprovalVote>;

/** A move of a protected alias waiting for (or decided by) its approvers. */
export const Approval = z
  .object({
    id: z.string(),
    model: ModelName,
    alias: z.string(),
    version: VersionNumber.describe('where the alias moves on approval'),
    fromVersion: VersionNumber.nullable().describe('where the alias pointed when the move was requested; a request is stale once it points elsewhere'),
    action: z.string().describe('what made the move: alias.set, alias.rollback, deployment.promote, promotion.promote'),
    status: ApprovalStatus,
    required: z.number().int().describe('distinct approvers needed'),
    requestedBy: z.string(),
    requestedAt: Timestamp,
    expiresAt: Timestamp,
    reason: z.string().nullable(),
    versionAuthor: z.string(),
    approvals: z.array(ApprovalVote).describe('approvals given so far'),
    rejectedBy: ApprovalVote.nullable(),
    decidedAt: Timestamp.nullable(),
    decisionReason: z.string().nullable(),
    rules: RuleEvaluation.nullable().describe('the promotion rules judged when the move was requested'),
  })
  .meta({ id: 'Approval' });
export type Approval = z.infer<typeof Approval>;

export const ApprovalList = z.object({ approvals: z.array(Approval) }).meta({ id: 'ApprovalList' });
export type ApprovalList = z.infer<typeof ApprovalList>;

/** What a move of a protected alias answers (HTTP 202): the request instead of the move. */
export const ApprovalRequested = z.object({ approval: Approval }).meta({ id: 'ApprovalRequested' });
export type ApprovalRequested = z.infer<typeof ApprovalRequested>;

export const ListApprovalsQuery = z.object({ model: ModelName.optional(), status: ApprovalStatus.optional() }).strict();
export type ListApprovalsQuery = z.input<typeof ListApprovalsQuery>;

export const DecideApprovalRequest = z.object({ reason: z.string().max(1000).optional() }).strict().meta({ id: 'DecideApprovalRequest' });
export type DecideApprovalRequest = z.input<typeof DecideApprovalRequest>;

/** True when a move answered with an approval request rather than moving. */
export function isApprovalRequested(x: unknown): x is ApprovalRequested {
  return typeof x === 'object' && x !== null && 'approval' in x && Object.keys(x).length === 1;
}
