import type { Kysely } from 'kysely';
import type { Dialect } from '../connect-types.js';

/**
 * Governance and the write path: the event outbox (rows written in the changing transaction and
 * relayed to the bus after commit), per-model grants, protected aliases, promotion rules, approval
 * requests with their votes, and the approval a waiting promotion stopped at.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    // The writer publishes its own rows right after commit; until this time passes nobody else does.
    .addColumn('claimed_until', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .execute();
  await db.schema.createIndex('outbox_unpublished').on('outbox').columns(['published_at', 'claimed_until']).execute();

  // A role for a principal (`token:NAME`) on one model, or on every model (`*`).
  await db.schema
    .createTable('grants')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('grants_pk', ['model', 'principal'])
    .execute();
  await db.schema.createIndex('grants_principal').on('grants').columns(['principal', 'model']).execute();

  await db.schema
    .createTable('protected_aliases')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('approvals', 'integer', (c) => c.notNull())
    .addColumn('ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('protected_by', 'text', (c) => c.notNull())
    .addColumn('protected_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('protected_aliases_pk', ['model', 'alias'])
    .execute();

  await db.schema
    .createTable('promotion_rules')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('promotion_rules_pk', ['model', 'alias'])
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    // What runs on the last approval: an action registered with the approvals service, and its input.
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('required', 'integer', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('version_author', 'text', (c) => c.notNull())
    .addColumn('rules', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .addColumn('decision_reason', 'text')
    .execute();
  await db.schema.createIndex('approvals_status').on('approvals').columns(['status', 'expires_at']).execute();
  await db.schema.createIndex('approvals_model').on('approvals').columns(['model', 'alias', 'status']).execute();

  // One vote per approver: the primary key is what makes approvers distinct.
  await db.schema
    .createTable('approval_votes')
    .addColumn('approval_id', 'text', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('approval_votes_pk', ['approval_id', 'approver'])
    .execute();

  await db.schema.alterTable('promotions').addColumn('approval_id', 'text').execute();
}
