import type { Kysely } from 'kysely';
import {
  type Approval,
  type ApprovalVote,
  DecideApprovalRequest,
  ListApprovalsQuery,
  type RuleEvaluation,
} from '../contracts/approvals.js';
import type { AliasGate, AliasMove } from '../registry/index.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { parseInput } from '../shared/parse.js';
import type { ApprovalsTable, ApprovalVotesTable, DB, Writes, WriteTx } from '../storage/index.js';
import type { ProtectionService } from './protection-service.js';

/** Replays an approved move inside the deciding write, in the name of its requester. */
export type ApprovalAction = (tx: WriteTx, approval: Approval, input: Record<string, unknown>, by: Actor & { reason: string }) => Promise<void>;

/** Told of every closed request (approved, rejected, expired) inside the closing write. */
export type ApprovalListener = (tx: WriteTx, approval: Approval) => Promise<void>;

/** Judges the promotion rules of an alias against a version (null: the alias has no rules). */
export interface RuleJudge {
  evaluate(db: Kysely<DB>, model: string, alias: string, version: number, now: string): Promise<RuleEvaluation | null>;
}

export const noRules: RuleJudge = { evaluate: async () => null };

/** The 412 a failing rule answers: every failing rule with what it measured. */
export function rulesFailed(model: string, e: RuleEvaluation): AppError {
  const failing = e.results.filter((r) => !r.passed);
  return new AppError(
    'failed_precondition',
    `${model}@${e.alias} cannot move to version ${e.version}: ${failing.map((r) => `${r.rule} failed (${r.message})`).join('; ')}`,
    { rules: failing },
  );
}

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function toApproval(r: ApprovalsTable, votes: ApprovalVotesTable[], now: string): Approval {
  const mine = votes.filter((v) => v.approval_id === r.id);
  const vote = (v: ApprovalVotesTable): ApprovalVote => ({ approver: v.approver, reason: v.reason, at: v.at });
  const rejected = mine.find((v) => v.decision === 'reject');
  // A pending request past its time reads as expired before the sweep records it.
  const status = r.status === 'pending' && r.expires_at <= now ? 'expired' : (r.status as Approval['status']);
  return {
    id: r.id,
    model: r.model,
    alias: r.alias,
    version: Number(r.version),
    fromVersion: r.from_version === null ? null : Number(r.from_version),
    action: r.action,
    status,
    required: Number(r.required),
    requestedBy: r.requested_by,
    requestedAt: r.created_at,
    expiresAt: r.expires_at,
    reason: r.reason,
    versionAuthor: r.version_author,
    approvals: mine.filter((v) => v.decision === 'approve').map(vote),
    rejectedBy: rejected ? vote(rejected) : null,
    decidedAt: r.decided_at,
    decisionReason: r.decision_reason,
    rules: json<RuleEvaluation>(r.rules),
  };
}

/**
 * Four-eyes approvals of alias moves. As the write path's approval check (`AliasGate`) it judges
 * the alias's promotion rules and turns a move of a protected alias into a pending request. A
 * request needs N distinct approvers, neither its requester nor the version's author; the last
 * approval replays the move (its registered action) in the same transaction, in the requester's
 * name. Requests expire, and one whose alias moved meanwhile is refused as stale.
 */
export class ApprovalService implements AliasGate {
  private readonly actions = new Map<string, ApprovalAction>();
  private readonly listeners: ApprovalListener[] = [];
  /** Moves cleared in a write (`model@alias>version`): the same move is not judged twice in one write. */
  private readonly cleared = new WeakMap<WriteTx, Set<string>>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly clock: Clock,
    private readonly protections: ProtectionService,
    private readonly rules: RuleJudge = noRules,
  ) {}

  /** Names what replays a move of kind `action` once approved. */
  register(action: string, run: ApprovalAction): void {
    this.actions.set(action, run);
  }

  onClosed(listener: ApprovalListener): void {
    this.listeners.push(listener);
  }

  private clear(tx: WriteTx, move: { model: string; alias: string; version: number }): void {
    const set = this.cleared.get(tx) ?? new Set<string>();
    set.add(`${move.model}@${move.alias}>${move.version}`);
    this.cleared.set(tx, set);
  }

  async check(tx: WriteTx, move: AliasMove): Promise<Approval | null> {
    if (this.cleared.get(tx)?.has(`${move.model}@${move.alias}>${move.version}`)) return null;
    const target = await tx.db
      .selectFrom('model_versions as v')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .select(['v.status', 'v.author'])
      .where('m.name', '=', move.model)
      .where('v.version', '=', move.version)
      .executeTakeFirst();
    if (!target) throw new AppError('not_found', `version ${move.version} of model ${move.model} not found`, { model: move.model, version: move.version });
    if (target.status === 'archived') throw new AppError('conflict', `version ${move.version} of model ${move.model} is archived and cannot take an alias`);
    const evaluation = await this.rules.evaluate(tx.db, move.model, move.alias, move.version, tx.now);
    if (evaluation && !evaluation.passed) throw rulesFailed(move.model, evaluation);
    const protection = await this.protections.find(move.model, move.alias, tx.db);
    if (!protection) {
      this.clear(tx, move);
      return null;
    }
    if (!this.actions.has(move.action)) throw new AppError('internal', `no approval action ${move.action} is registered`);
    const row: ApprovalsTable = {
      id: newId(),
      model: move.model,
      alias: move.alias,
      version: move.version,
      from_version: move.fromVersion,
      action: move.action,
      input: JSON.stringify(move.input),
      reason: move.reason,
      status: 'pending',
      required: protection.approvals,
      requested_by: tx.by.actor,
      request_id: tx.by.requestId ?? null,
      version_author: target.author,
      rules: evaluation ? JSON.stringify(evaluation) : null,
      created_at: tx.now,
      expires_at: new Date(Date.parse(tx.now) + protection.ttlSeconds * 1000).toISOString(),
      decided_at: null,
      decision_reason: null,
    };
    await tx.db.insertInto('approvals').values(row).execute();
    const approval = toApproval(row, [], tx.now);
    tx.audit({ action: 'approval.request', target: `approval:${row.id}`, after: approval, reason: move.reason });
    tx.emit({ type: 'approval.requested', subject: move.model, data: { approval: row.id, model: move.model, alias: move.alias, version: move.version, requestedBy: row.requested_by } });
    return approval;
  }

  async checkDelete(tx: WriteTx, model: string, alias: string): Promise<void> {
    if (await this.protections.find(model, alias, tx.db)) {
      throw new AppError('conflict', `alias ${alias} of model ${model} is protected and cannot be deleted; unprotect it first (sextant alias unprotect ${model} ${alias}, admin)`, { model, alias });
    }
  }

  private async rows(db: Kysely<DB>, ids: string[]): Promise<ApprovalVotesTable[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('approval_votes').selectAll().where('approval_id', 'in', ids).orderBy('at').orderBy('approver').execute();
  }

  private async row(id: string, db: Kysely<DB> = this.db): Promise<ApprovalsTable> {
    const row = await db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', `approval ${id} not found`, { approval: id });
    return row;
  }

  /** Requests newest first, by model and status. */
  async list(query: unknown = {}): Promise<Approval[]> {
    const q = parseInput(ListApprovalsQuery, query ?? {}, 'query');
    const now = this.clock.now().toISOString();
    let sel = this.db.selectFrom('approvals').selectAll();
    if (q.model) sel = sel.where('model', '=', q.model);
    if (q.status === 'pending') sel = sel.where('status', '=', 'pending').where('expires_at', '>', now);
    else if (q.status === 'expired') sel = sel.where((eb) => eb.or([eb('status', '=', 'expired'), eb.and([eb('status', '=', 'pending'), eb('expires_at', '<=', now)])]));
    else if (q.status) sel = sel.where('status', '=', q.status);
    const rows = await sel.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(500).execute();
    const votes = await this.rows(this.db, rows.map((r) => r.id));
    return rows.map((r) => toApproval(r, votes, now));
  }

  async get(id: string): Promise<Approval> {
    const row = await this.row(id);
    return toApproval(row, await this.rows(this.db, [id]), this.clock.now().toISOString());
  }

  /** Every request to move an alias of `model` to `version`, oldest first (a version's card lists them). */
  async forVersion(model: string, version: number): Promise<Approval[]> {
    const rows = await this.db.selectFrom('approvals').selectAll().where('model', '=', model).where('version', '=', version).orderBy('created_at').orderBy('id').execute();
    const votes = await this.rows(this.db, rows.map((r) => r.id));
    const now = this.clock.now().toISOString();
    return rows.map((r) => toApproval(r, votes, now));
  }

  approve(id: string, input: unknown, by: Actor): Promise<Approval> {
    return this.decide(id, 'approve', input, by);
  }

  reject(id: string, input: unknown, by: Actor): Promise<Approval> {
    return this.decide(id, 'reject', input, by);
  }

  private async decide(id: string, decision: 'approve' | 'reject', input: unknown, by: Actor): Promise<Approval> {
    const req = parseInput(DecideApprovalRequest, input ?? {});
    const { model } = await this.row(id);
    // A refusal changes nothing: the expiry sweep records an expired request, a stale one stays
    // refused until it expires.
    return this.writes.run({
      by,
      permission: { role: 'approver', model },
      apply: async (tx) => {
        const r = await this.row(id, tx.db);
        const votes = await this.rows(tx.db, [id]);
        if (r.status === 'pending' && r.expires_at <= tx.now) {
          throw new AppError('conflict', `approval ${id} expired at ${r.expires_at}; request the move again`, { approval: id, status: 'expired' });
        }
        if (r.status !== 'pending') throw new AppError('conflict', `approval ${id} is already ${r.status}`, { approval: id, status: r.status });
        if (decision === 'approve' && by.actor === r.requested_by) {
          throw new AppError('permission_denied', `${by.actor} requested approval ${id} and may not approve it: another approver must`, { approval: id });
        }
        if (decision === 'approve' && by.actor === r.version_author) {
          throw new AppError('permission_denied', `${by.actor} is the author of version ${r.version} of model ${r.model} and may not approve its promotion`, { approval: id });
        }
        if (votes.some((v) => v.approver === by.actor)) {
          throw new AppError('conflict', `${by.actor} already decided approval ${id}; it needs ${r.required} distinct approver(s)`, { approval: id });
        }
        const current = await tx.db
          .selectFrom('aliases as a')
          .innerJoin('models as m', 'm.id', 'a.model_id')
          .select('a.version')
          .where('m.name', '=', r.model)
          .where('a.alias', '=', r.alias)
          .executeTakeFirst();
        const now = current ? Number(current.version) : null;
        if (decision === 'approve' && now !== (r.from_version === null ? null : Number(r.from_version))) {
          const why = `stale: ${r.model}@${r.alias} points at ${now === null ? 'nothing' : `version ${now}`}, not version ${r.from_version ?? '(none)'} as when approval ${id} was requested`;
          throw new AppError('conflict', `${why}; request the move again (or reject this one)`, { approval: id, stale: true });
        }
        await tx.db.insertInto('approval_votes').values({ approval_id: id, approver: by.actor, decision, reason: req.reason ?? null, at: tx.now }).execute();
        tx.audit({ action: `approval.${decision}`, target: `approval:${id}`, reason: req.reason ?? null });
        if (decision === 'reject') return this.close(tx, r, 'rejected', req.reason ?? `rejected by ${by.actor}`);
        const approvers = [...votes.filter((v) => v.decision === 'approve').map((v) => v.approver), by.actor];
        if (approvers.length < Number(r.required)) return toApproval(r, await this.rows(tx.db, [id]), tx.now);
        // The last approval: the rules again (the version's evidence may have changed), then the move.
        const evaluation = await this.rules.evaluate(tx.db, r.model, r.alias, Number(r.version), tx.now);
        if (evaluation && !evaluation.passed) throw rulesFailed(r.model, evaluation);
        this.clear(tx, { model: r.model, alias: r.alias, version: Number(r.version) });
        const action = this.actions.get(r.action);
        if (!action) throw new AppError('internal', `no approval action ${r.action} is registered`);
        const named = `approved by ${approvers.join(', ')} (approval ${id})`;
        await action(tx, toApproval(r, await this.rows(tx.db, [id]), tx.now), JSON.parse(r.input) as Record<string, unknown>, {
          actor: r.requested_by,
          requestId: r.request_id,
          reason: r.reason ? `${r.reason}; ${named}` : named,
        });
        return this.close(tx, r, 'approved', req.reason ?? named, approvers);
      },
    });
  }

  /** Closes a request inside its write: status, audit, the listeners and an event. */
  private async close(tx: WriteTx, r: ApprovalsTable, status: 'approved' | 'rejected' | 'expired', reason: string, approvers: string[] = []): Promise<Approval> {
    await tx.db.updateTable('approvals').set({ status, decided_at: tx.now, decision_reason: reason }).where('id', '=', r.id).execute();
    const approval = toApproval({ ...r, status, decided_at: tx.now, decision_reason: reason }, await this.rows(tx.db, [r.id]), tx.now);
    tx.audit({
      action: `approval.${status}`,
      target: `approval:${r.id}`,
      after: { model: r.model, alias: r.alias, version: Number(r.version), fromVersion: approval.fromVersion, requestedBy: r.requested_by, approvers, status },
      reason,
    });
    for (const listener of this.listeners) await listener(tx, approval);
    tx.emit({ type: `approval.${status}`, subject: r.model, data: { approval: r.id, model: r.model, alias: r.alias, version: Number(r.version), requestedBy: r.requested_by, approvers } });
    return approval;
  }

  /** Records the expiry of every pending request past its time (run under the promotions lease). */
  async expireDue(): Promise<number> {
    const now = this.clock.now().toISOString();
    const due = await this.db.selectFrom('approvals').select('id').where('status', '=', 'pending').where('expires_at', '<=', now).execute();
    for (const { id } of due) {
      await this.writes.run({
        by: { actor: 'sextant:approvals' },
        permission: 'internal',
        apply: async (tx) => {
          const r = await this.row(id, tx.db);
          if (r.status === 'pending' && r.expires_at <= tx.now) await this.close(tx, r, 'expired', `expired at ${r.expires_at}`);
        },
      });
    }
    return due.length;
  }
}
