import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Retraining: a durable job queue with leases and logs, per-model retraining policies, cron ticks
 * claimed once across processes, gate results per version, and resumable promotions.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('cancel_requested', 'integer', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_after']).execute();
  // At most one retrain in flight per model, whoever enqueues it.
  await sql`CREATE UNIQUE INDEX jobs_one_in_flight ON jobs (kind, model) WHERE status IN ('queued', 'running')`.execute(db);
  await db.schema
    .createTable('job_logs')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('line', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('job_logs_pk', ['job_id', 'seq'])
    .execute();
  await db.schema
    .createTable('retraining_policies')
    .addColumn('model', 'text', (c) => c.primaryKey())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('schedule_ticks')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('tick', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('schedule_ticks_pk', ['model', 'tick'])
    .execute();
  await db.schema
    .createTable('version_validations')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('version_validations_pk', ['model', 'version'])
    .execute();
  await db.schema
    .createTable('promotions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('steps', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('step_seconds', 'integer', (c) => c.notNull())
    .addColumn('shadow_seconds', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Count windows for monitors: a window closes every N logged requests (time windows keep window_rows null).
  await db.schema.alterTable('monitors').addColumn('window_rows', 'integer').execute();
  // A reference's per-column profile (JSON), computed once when it is stored.
  await db.schema.alterTable('version_references').addColumn('profile', 'text').execute();
  await db.schema.createIndex('promotions_status').on('promotions').columns(['status', 'next_at']).execute();
}
