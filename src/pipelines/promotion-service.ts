import type { Kysely } from 'kysely';
import { type Approval, isApprovalRequested } from '../contracts/approvals.js';
import type { Promotion, PromotionSpec } from '../contracts/pipelines.js';
import type { Registry } from '../registry/index.js';
import type { DeploymentService } from '../serving/index.js';
import { AppError } from '../shared/app-error.js';
import { type Clock, isoNow } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { DB, PromotionsTable, Writes, WriteTx } from '../storage/index.js';
import { periodic } from '../shared/periodic.js';

const ACTOR = 'sextant:promotion';

type Step = number | 'shadow';

const toPromotion = (r: PromotionsTable): Promotion => ({
  id: r.id,
  model: r.model,
  version: Number(r.version),
  deployment: r.deployment,
  strategy: r.strategy,
  steps: JSON.parse(r.steps) as Step[],
  step: Number(r.step),
  stepSeconds: Number(r.step_seconds),
  shadowSeconds: Number(r.shadow_seconds),
  status: r.status as Promotion['status'],
  nextAt: r.next_at,
  jobId: r.job_id,
  approvalId: r.approval_id,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Adds a line to a job's log, inside a write or not (a promotion outlives the job that began it). */
async function noteOnJob(db: Kysely<DB>, jobId: string | null | undefined, line: string, time: string): Promise<void> {
  if (!jobId) return;
  const last = await db.selectFrom('job_logs').select((eb) => eb.fn.max('seq').as('seq')).where('job_id', '=', jobId).executeTakeFirst();
  await db.insertInto('job_logs').values({ job_id: jobId, seq: Number(last?.seq ?? 0) + 1, time, line }).execute();
}

/** The event shape every promotion event shares: model and version first, then the details. */
function promotionEvent(type: string, p: { model: string; deployment?: string; version: number }, data: Record<string, unknown>) {
  return { type, subject: p.deployment ?? p.model, data: { model: p.model, version: p.version, ...data } };
}

export interface PromotionStart {
  strategy: PromotionSpec['strategy'];
  summary: string;
  promotions: string[];
}

/**
 * Safe promotion of a validated challenger. `manual` points the `challenger` alias at it and
 * waits for a person. `canary` ramps each deployment that follows the champion alias through the
 * given weights, one step per `stepSeconds`, and moves the alias at 100 %; `shadow-then-canary`
 * mirrors traffic to it first. The ramp lives in the database: any process advances it (each step
 * is a compare-and-set on the step number), a restart resumes it, and a canary the SLO guard set
 * to 0 (or someone changed by hand) rolls the promotion back instead of leaving it half-way.
 */
export class PromotionService {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly registry: Registry,
    private readonly deployments: DeploymentService,
    private readonly writes: Writes,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Runs the SLO guard's judgement before each step, so a breach is seen before more traffic moves. */
    private readonly checkSlo: () => Promise<unknown> = async () => {},
    /** Called after a deployment change so this process serves the new split at once. */
    private readonly refresh: () => Promise<unknown> = async () => {},
    /** Whether an alias waits for approvals: then the last step asks before the challenger gets all the traffic. */
    private readonly isProtected: (model: string, alias: string) => Promise<boolean> = async () => false,
  ) {}

  /** A promotion event, written through the outbox on its own (the change it reports committed already). */
  private async publish(type: string, p: { model: string; deployment?: string; version: number }, data: Record<string, unknown>) {
    await this.writes
      .run({ by: { actor: ACTOR }, permission: 'internal', apply: async (tx) => tx.emit(promotionEvent(type, p, data)) })
      .catch((err) => this.logger.error({ err, type }, 'could not publish a promotion event'));
  }

  /** Starts promoting `version` of `model` under `spec`. */
  async begin(o: { model: string; version: number; spec: PromotionSpec; jobId?: string | null }): Promise<PromotionStart> {
    const { model, version, spec } = o;
    const by = { actor: ACTOR, reason: `validated challenger version ${version}${o.jobId ? ` from job ${o.jobId}` : ''}` };
    await this.registry.aliases.set(model, 'challenger', { version, reason: by.reason }, by);
    if (spec.strategy === 'manual') {
      await this.publish('promotion.waiting', { model, version }, { alias: 'challenger', strategy: 'manual' });
      return { strategy: 'manual', summary: `version ${version} waits as ${model}@challenger for someone to promote it`, promotions: [] };
    }
    const following = (await this.deployments.specs()).filter((d) => d.model === model && d.spec.alias === spec.alias);
    if (following.length === 0) {
      const moved = await this.registry.aliases.set(model, spec.alias, { version, reason: `${by.reason}; no deployment follows ${spec.alias}` }, by);
      if (isApprovalRequested(moved)) {
        await this.publish('promotion.waiting', { model, version }, { alias: spec.alias, strategy: spec.strategy, approval: moved.approval.id });
        return { strategy: spec.strategy, summary: `waiting for approval ${moved.approval.id} to move the protected ${model}@${spec.alias} to ${version}`, promotions: [] };
      }
      await this.publish('promotion.promoted', { model, version }, { alias: spec.alias, strategy: spec.strategy, deployments: [] });
      return { strategy: spec.strategy, summary: `no deployment follows ${model}@${spec.alias}; moved the alias to ${version}`, promotions: [] };
    }
    const steps: Step[] = spec.strategy === 'shadow-then-canary' ? ['shadow', ...spec.steps] : [...spec.steps];
    const now = isoNow(this.clock);
    const ids: string[] = [];
    for (const d of following) {
      // A newer challenger supersedes a ramp still running on the same deployment.
      for (const old of await this.db.selectFrom('promotions').selectAll().where('deployment', '=', d.name).where('status', '=', 'running').execute()) {
        await this.rollBack(toPromotion(old), `superseded by version ${version}`);
      }
      const id = newId();
      ids.push(id);
      await this.writes.run({
        by: { actor: ACTOR },
        permission: 'internal',
        apply: async (tx) => {
          await tx.db
            .insertInto('promotions')
            .values({
              id,
              model,
              version,
              deployment: d.name,
              strategy: spec.strategy,
              steps: JSON.stringify(steps),
              step: -1,
              step_seconds: spec.stepSeconds,
              shadow_seconds: spec.shadowSeconds,
              status: 'running',
              next_at: now,
              job_id: o.jobId ?? null,
              reason: null,
              created_at: now,
              updated_at: now,
              approval_id: null,
            })
            .execute();
          tx.emit(promotionEvent('promotion.started', { model, deployment: d.name, version }, { strategy: spec.strategy, steps, promotion: id }));
        },
      });
    }
    await this.advance();
    return { strategy: spec.strategy, summary: `ramping version ${version} on ${following.map((d) => d.name).join(', ')} through ${steps.join(' → ')}`, promotions: ids };
  }

  /** Promotions newest first, by model and status. */
  async list(query: { model?: string; status?: string } = {}): Promise<Promotion[]> {
    let sel = this.db.selectFrom('promotions').selectAll();
    if (query.model) sel = sel.where('model', '=', query.model);
    if (query.status) sel = sel.where('status', '=', query.status);
    return (await sel.orderBy('id', 'desc').limit(200).execute()).map(toPromotion);
  }

  private async finish(p: Promotion, status: 'promoted' | 'rolled-back', reason: string): Promise<boolean> {
    const r = await this.db
      .updateTable('promotions')
      .set({ status, reason, updated_at: isoNow(this.clock) })
      .where('id', '=', p.id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  private async rollBack(p: Promotion, reason: string): Promise<void> {
    if (!(await this.finish(p, 'rolled-back', reason))) return;
    try {
      const d = await this.deployments.get(p.deployment);
      if (d.canary?.version === p.version) await this.deployments.abort(p.deployment, { actor: ACTOR, reason: `promotion of version ${p.version} rolled back: ${reason}` });
      if (d.shadow.includes(p.version)) await this.deployments.update(p.deployment, { shadow: d.shadow.filter((v) => v !== p.version) }, { actor: ACTOR });
      await this.refresh();
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'not_found')) throw err;
    }
    this.logger.warn({ deployment: p.deployment, version: p.version, reason }, 'promotion rolled back');
    await this.publish('promotion.rolled_back', p, { promotion: p.id, reason, step: p.step });
  }

  /** Advances every promotion whose next step is due; returns how many steps were taken. */
  async advance(): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    try {
      let taken = 0;
      const due = await this.db.selectFrom('promotions').selectAll().where('status', '=', 'running').where('next_at', '<=', isoNow(this.clock)).orderBy('id').execute();
      if (due.length) await this.checkSlo().catch((err) => this.logger.warn({ err }, 'SLO check before a promotion step failed'));
      for (const row of due) {
        try {
          if (await this.step(toPromotion(row))) taken++;
        } catch (err) {
          this.logger.error({ err, promotion: row.id }, 'promotion step failed');
          await this.rollBack(toPromotion(row), `step failed: ${(err as Error).message}`).catch(() => {});
        }
      }
      return taken;
    } finally {
      this.busy = false;
    }
  }

  private async step(p: Promotion): Promise<boolean> {
    let d;
    try {
      d = await this.deployments.get(p.deployment);
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') {
        await this.finish(p, 'rolled-back', 'the deployment was deleted');
        return false;
      }
      throw err;
    }
    const current = p.step >= 0 ? p.steps[p.step]! : null;
    // Is the previous step still in place? If not, the SLO guard or a person intervened.
    if (typeof current === 'number') {
      if (d.canary?.version !== p.version) return this.rollBack(p, 'the canary was removed or replaced').then(() => false);
      if (d.canary.weight === 0) return this.rollBack(p, d.lastEvent?.action === 'slo-rollback' ? (d.lastEvent.reason ?? 'SLO breached') : 'the canary weight was set to 0').then(() => false);
    }
    const nextIndex = p.step + 1;
    const next = p.steps[nextIndex]!;
    const seconds = next === 'shadow' ? p.shadowSeconds : p.stepSeconds;
    const now = this.clock.now();
    const claimed = await this.db
      .updateTable('promotions')
      .set({ step: nextIndex, next_at: new Date(now.getTime() + seconds * 1000).toISOString(), updated_at: now.toISOString() })
      .where('id', '=', p.id)
      .where('step', '=', p.step)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    const by = { actor: ACTOR };
    const reason = `promotion of version ${p.version} (job ${p.jobId ?? 'manual'}), step ${nextIndex + 1} of ${p.steps.length}`;
    if (next === 'shadow') {
      if (!d.shadow.includes(p.version)) await this.deployments.update(p.deployment, { shadow: [...d.shadow, p.version] }, by);
    } else {
      if (d.shadow.includes(p.version)) await this.deployments.update(p.deployment, { shadow: d.shadow.filter((v) => v !== p.version) }, by);
      // A protected alias: the request is made at the share the challenger already has (none on a
      // ramp that starts at 100), which it keeps until the decision: an unapproved version never
      // takes all the traffic.
      const asks = next === 100 && d.alias !== null && (await this.isProtected(p.model, d.alias));
      const share = d.canary?.version === p.version ? d.canary.weight : 0;
      if (!asks) await this.deployments.canary(p.deployment, { version: p.version, weight: next, reason }, by);
      else if (d.canary?.version !== p.version) await this.deployments.canary(p.deployment, { version: p.version, weight: share, reason: `${reason}; waits for approval at ${share} %` }, by);
      if (next === 100) {
        const promoted = await this.deployments.promote(p.deployment, { ...by, reason });
        if (isApprovalRequested(promoted)) await this.wait(p, promoted.approval);
        else {
          await this.finish(p, 'promoted', `serving 100 % after ${p.steps.length} steps`);
          await this.publish('promotion.promoted', p, { promotion: p.id, deployment: p.deployment });
        }
      }
    }
    await this.refresh();
    await this.publish('promotion.step', p, { promotion: p.id, step: nextIndex, weight: next });
    return true;
  }

  /** The last step met a protected alias: the challenger keeps its canary share until the decision. */
  private async wait(p: Promotion, approval: Approval): Promise<void> {
    const now = isoNow(this.clock);
    const line = `waiting for approval ${approval.id} to move the protected ${p.model}@${approval.alias} to version ${p.version}; the canary keeps its share until the decision`;
    await this.db
      .updateTable('promotions')
      .set({ status: 'waiting', approval_id: approval.id, reason: line, updated_at: now })
      .where('id', '=', p.id)
      .where('status', '=', 'running')
      .execute();
    await noteOnJob(this.db, p.jobId, line, now);
    this.logger.info({ promotion: p.id, approval: approval.id }, 'promotion waits for approval');
    await this.publish('promotion.waiting', p, { promotion: p.id, deployment: p.deployment, approval: approval.id });
  }

  /**
   * Closes a promotion waiting for `approval` inside the write that decided it: promoted when
   * approved (the move already happened), rolled back (canary removed) otherwise.
   */
  async approvalClosed(tx: WriteTx, approval: Approval): Promise<void> {
    const rows = await tx.db.selectFrom('promotions').selectAll().where('approval_id', '=', approval.id).where('status', '=', 'waiting').execute();
    for (const row of rows) {
      const p = toPromotion(row);
      const approved = approval.status === 'approved';
      const reason = approved ? `approval ${approval.id} approved by ${approval.approvals.map((a) => a.approver).join(', ')}` : `approval ${approval.id} ${approval.status}`;
      await tx.db.updateTable('promotions').set({ status: approved ? 'promoted' : 'rolled-back', reason, updated_at: tx.now }).where('id', '=', p.id).execute();
      if (!approved) {
        await this.deployments
          .changeIn(tx, p.deployment, { actor: ACTOR, reason: `promotion of version ${p.version} rolled back: ${reason}` }, 'abort', (spec) =>
            spec.canary?.version === p.version ? { ...spec, canary: null } : spec,
          )
          .catch((err: unknown) => {
            if (!(err instanceof AppError && err.code === 'not_found')) throw err;
          });
      }
      await noteOnJob(tx.db, p.jobId, `${reason}: ${approved ? `version ${p.version} promoted` : 'the canary was removed'}`, tx.now);
      tx.emit(promotionEvent(approved ? 'promotion.promoted' : 'promotion.rolled_back', p, { promotion: p.id, deployment: p.deployment, approval: approval.id, reason }));
    }
  }

  start(intervalMs = 1000): void {
    this.timer = periodic(() => this.advance(), intervalMs, (err) => this.logger.warn({ err }, 'promotion pass failed'));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
