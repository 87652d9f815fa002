import { type Kysely, sql } from 'kysely';
import { type Job, type JobLogs, JobLogsQuery, type JobStatus, type JobTrigger, ListJobsQuery } from '../contracts/pipelines.js';
import { AppError } from '../shared/app-error.js';
import { type Clock, isoNow } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { parseInput } from '../shared/parse.js';
import type { DB, Dialect, JobsTable } from '../storage/index.js';
import { isUniqueViolation } from '../storage/index.js';

export interface EnqueueOptions {
  kind: string;
  model?: string | null;
  params?: Record<string, unknown>;
  trigger?: JobTrigger;
  maxAttempts?: number;
  timeoutSeconds?: number;
  createdBy: string;
}

const parseJson = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

export const toJob = (r: JobsTable): Job => ({
  id: r.id,
  kind: r.kind,
  model: r.model,
  status: r.status as JobStatus,
  params: JSON.parse(r.params) as Record<string, unknown>,
  trigger: JSON.parse(r.trigger) as JobTrigger,
  attempts: Number(r.attempts),
  maxAttempts: Number(r.max_attempts),
  timeoutSeconds: Number(r.timeout_seconds),
  leaseOwner: r.lease_owner,
  cancelRequested: Number(r.cancel_requested) === 1,
  result: parseJson<Record<string, unknown>>(r.result),
  error: r.error,
  createdBy: r.created_by,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Backoff before attempt n+1: 2, 4, 8 … seconds, at most five minutes. */
export const retryDelayMs = (attempts: number): number => Math.min(300_000, 1000 * 2 ** attempts);

/**
 * A durable job queue in the database. Workers claim a job under a lease they renew by heartbeat;
 * a job whose lease expires (its worker died) is put back for another worker while attempts
 * remain. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`; on SQLite the write lock taken by
 * `BEGIN IMMEDIATE` serialises them.
 */
export class JobQueue {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds a job. A second queued or running job of the same kind for the same model is refused
   * with `conflict` (a unique index decides, so concurrent enqueuers cannot both win). Inside a
   * caller's transaction (`db`), the unique violation itself is thrown: the caller maps it with
   * `busy` once the transaction has ended.
   */
  async enqueue(o: EnqueueOptions, db: Kysely<DB> = this.db): Promise<Job> {
    const now = isoNow(this.clock);
    const row: JobsTable = {
      id: newId(),
      kind: o.kind,
      model: o.model ?? null,
      status: 'queued',
      params: JSON.stringify(o.params ?? {}),
      trigger: JSON.stringify(o.trigger ?? { type: 'manual', detail: null }),
      attempts: 0,
      max_attempts: o.maxAttempts ?? 2,
      timeout_seconds: o.timeoutSeconds ?? 1800,
      lease_owner: null,
      lease_expires_at: null,
      run_after: now,
      cancel_requested: 0,
      result: null,
      error: null,
      created_by: o.createdBy,
      created_at: now,
      started_at: null,
      finished_at: null,
    };
    try {
      await db.insertInto('jobs').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err) && db === this.db) throw await this.busy(o.kind, o.model ?? null);
      throw err;
    }
    return toJob(row);
  }

  /** The `conflict` a job meets when another of its kind for the model is queued or running. */
  async busy(kind: string, model: string | null): Promise<AppError> {
    const busy = await this.inFlight(kind, model);
    return new AppError('conflict', `a ${kind} job for ${model} is already ${busy?.status ?? 'in flight'} (${busy?.id ?? '?'})`, { job: busy?.id });
  }

  /** The queued or running job of a kind for a model, if any. */
  async inFlight(kind: string, model: string | null): Promise<Job | null> {
    let q = this.db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('status', 'in', ['queued', 'running']);
    q = model === null ? q.where('model', 'is', null) : q.where('model', '=', model);
    const r = await q.executeTakeFirst();
    return r ? toJob(r) : null;
  }

  /** One job; `not_found` names it when it does not exist. */
  async get(id: string): Promise<Job> {
    const r = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new AppError('not_found', `job ${id} not found`, { job: id });
    return toJob(r);
  }

  /** Jobs newest first, filtered by model, status and kind (`ListJobsQuery`). */
  async list(query: unknown): Promise<Job[]> {
    const q = parseInput(ListJobsQuery, query ?? {}, 'query');
    let sel = this.db.selectFrom('jobs').selectAll();
    if (q.model) sel = sel.where('model', '=', q.model);
    if (q.status) sel = sel.where('status', '=', q.status);
    if (q.kind) sel = sel.where('kind', '=', q.kind);
    return (await sel.orderBy('id', 'desc').limit(q.pageSize).execute()).map(toJob);
  }

  /**
   * Claims the oldest runnable job of the given kinds for `owner`, leasing it for `leaseMs`;
   * null when none is runnable.
   */
  async claim(owner: string, kinds: string[], leaseMs: number): Promise<Job | null> {
    if (kinds.length === 0) return null;
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const expires = new Date(now.getTime() + leaseMs).toISOString();
    if (this.dialect === 'postgres') {
      const r = await sql<JobsTable>`
        UPDATE jobs SET status = 'running', lease_owner = ${owner}, lease_expires_at = ${expires},
          attempts = attempts + 1, started_at = COALESCE(started_at, ${nowIso})
        WHERE id = (
          SELECT id FROM jobs WHERE status = 'queued' AND run_after <= ${nowIso} AND kind IN (${sql.join(kinds)})
          ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`.execute(this.db);
      return r.rows[0] ? toJob(r.rows[0]) : null;
    }
    return this.db.transaction().execute(async (trx) => {
      const next = await trx
        .selectFrom('jobs')
        .select('id')
        .where('status', '=', 'queued')
        .where('run_after', '<=', nowIso)
        .where('kind', 'in', kinds)
        .orderBy('run_after')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!next) return null;
      await trx
        .updateTable('jobs')
        .set((eb) => ({ status: 'running', lease_owner: owner, lease_expires_at: expires, attempts: eb('attempts', '+', 1), started_at: eb.fn.coalesce('started_at', eb.val(nowIso)) }))
        .where('id', '=', next.id)
        .execute();
      return toJob((await trx.selectFrom('jobs').selectAll().where('id', '=', next.id).executeTakeFirstOrThrow()) as JobsTable);
    });
  }

  /**
   * Renews a lease. Returns `lost` when the job is no longer this owner's (its lease expired and
   * another worker took it), `cancel` when someone asked to cancel it, `ok` otherwise.
   */
  async heartbeat(id: string, owner: string, leaseMs: number): Promise<'ok' | 'lost' | 'cancel'> {
    const expires = new Date(this.clock.now().getTime() + leaseMs).toISOString();
    const r = await this.db
      .updateTable('jobs')
      .set({ lease_expires_at: expires })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .returning('cancel_requested')
      .executeTakeFirst();
    if (!r) return 'lost';
    return Number(r.cancel_requested) === 1 ? 'cancel' : 'ok';
  }

  /** Ends a job this owner holds; false when it lost the lease first (the result is discarded). */
  async finish(id: string, owner: string, outcome: { status: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({
        status: outcome.status,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        error: outcome.error ?? null,
        finished_at: isoNow(this.clock),
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Puts a job this owner holds back in the queue after a transient failure, with backoff. */
  async retryLater(id: string, owner: string, error: string): Promise<'queued' | 'failed' | 'lost'> {
    const job = await this.get(id);
    if (job.leaseOwner !== owner || job.status !== 'running') return 'lost';
    if (job.attempts >= job.maxAttempts) return (await this.finish(id, owner, { status: 'failed', error })) ? 'failed' : 'lost';
    const r = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', error, lease_owner: null, lease_expires_at: null, run_after: new Date(this.clock.now().getTime() + retryDelayMs(job.attempts)).toISOString() })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? 'queued' : 'lost';
  }

  /**
   * Takes back jobs whose lease expired: queued again with backoff while attempts remain, failed
   * otherwise. Each transition is conditional on the row still being expired, so several
   * processes reaping at once act once. Returns the jobs it changed.
   */
  async reapExpired(): Promise<{ id: string; status: 'queued' | 'failed'; owner: string | null }[]> {
    const nowIso = isoNow(this.clock);
    const expired = await this.db.selectFrom('jobs').selectAll().where('status', '=', 'running').where('lease_expires_at', '<', nowIso).execute();
    const changed: { id: string; status: 'queued' | 'failed'; owner: string | null }[] = [];
    for (const j of expired) {
      const retry = Number(j.attempts) < Number(j.max_attempts) && Number(j.cancel_requested) === 0;
      const error = `worker ${j.lease_owner} lost its lease (no heartbeat since ${j.lease_expires_at})`;
      const r = await this.db
        .updateTable('jobs')
        .set(
          retry
            ? { status: 'queued', lease_owner: null, lease_expires_at: null, error, run_after: new Date(this.clock.now().getTime() + retryDelayMs(Number(j.attempts) - 1)).toISOString() }
            : { status: Number(j.cancel_requested) === 1 ? 'cancelled' : 'failed', lease_owner: null, lease_expires_at: null, error, finished_at: nowIso },
        )
        .where('id', '=', j.id)
        .where('status', '=', 'running')
        .where('lease_expires_at', '=', j.lease_expires_at)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) {
        changed.push({ id: j.id, status: retry ? 'queued' : 'failed', owner: j.lease_owner });
        await this.log(j.id, [retry ? `${error}; queued for attempt ${Number(j.attempts) + 1} of ${j.max_attempts}` : `${error}; no attempts left`]);
      }
    }
    return changed;
  }

  /** Cancels a queued job at once; a running one is asked to stop (its worker sees it at the next heartbeat). */
  async cancel(id: string, by: string): Promise<Job> {
    const job = await this.get(id);
    if (job.status === 'queued') {
      await this.db.updateTable('jobs').set({ status: 'cancelled', finished_at: isoNow(this.clock), error: `cancelled by ${by}` }).where('id', '=', id).where('status', '=', 'queued').execute();
    } else if (job.status === 'running') {
      await this.db.updateTable('jobs').set({ cancel_requested: 1 }).where('id', '=', id).execute();
      await this.log(id, [`cancel requested by ${by}`]);
    } else {
      throw new AppError('conflict', `job ${id} already ${job.status}`, { job: id, status: job.status });
    }
    return this.get(id);
  }

  /** Appends lines to a job's log (numbered after the last stored line). */
  async log(id: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const time = isoNow(this.clock);
    // Only the lease holder writes a job's log at a time, so max(seq)+1 does not race in practice;
    // a retry on a unique violation covers the reaper writing at the same moment.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.transaction().execute(async (trx) => {
          const last = await trx.selectFrom('job_logs').select((eb) => eb.fn.max('seq').as('seq')).where('job_id', '=', id).executeTakeFirst();
          const start = Number(last?.seq ?? 0) + 1;
          await trx
            .insertInto('job_logs')
            .values(lines.map((line, i) => ({ job_id: id, seq: start + i, time, line: line.slice(0, 8192) })))
            .execute();
        });
        return;
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  /** Log lines after `after` (a sequence number), with the job's status, so a reader can follow. */
  async logs(id: string, query: unknown): Promise<JobLogs> {
    const q = parseInput(JobLogsQuery, query ?? {}, 'query');
    const job = await this.get(id);
    const rows = await this.db.selectFrom('job_logs').selectAll().where('job_id', '=', id).where('seq', '>', q.after).orderBy('seq').limit(5000).execute();
    const lines = rows.map((r) => ({ seq: Number(r.seq), time: r.time, line: r.line }));
    return { job: id, status: job.status, lines, next: lines.length ? lines[lines.length - 1]!.seq : q.after };
  }
}
