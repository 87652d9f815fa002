import type { Kysely } from 'kysely';
import {
  type Alias,
  type AliasHistory,
  type AliasPeriod,
  RollbackRequest,
  SetAliasRequest,
} from '../contracts/aliases.js';
import type { Approval, ApprovalRequested } from '../contracts/approvals.js';
import { AliasName } from '../contracts/common.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, ModelsTable, Writes, WriteTx } from '../storage/index.js';
import { type AliasGate, openGate } from './alias-gate.js';
import { type ModelReferences, type ModelService, noReferences } from './model-service.js';

type Change = Actor & { reason?: string | null };

/** Aliases: movable names on versions. Every move is a history row and an audit event. */
export class AliasService {
  /** The approval check every move passes (protected aliases, promotion rules); set once governance is wired. */
  gate: AliasGate = openGate;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly models: ModelService,
    private readonly references: ModelReferences = noReferences,
  ) {}

  /** Resolves a version reference: a number, `latest` (highest active version) or an alias. */
  async resolveNumber(model: ModelsTable, ref: string, db: Kysely<DB> = this.db): Promise<number> {
    if (/^\d+$/.test(ref)) return Number(ref);
    if (ref === 'latest') {
      const row = await db
        .selectFrom('model_versions')
        .select('version')
        .where('model_id', '=', model.id)
        .where('status', '=', 'active')
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!row) throw new AppError('not_found', `model ${model.name} has no active version, so ${model.name}@latest resolves to nothing`);
      return Number(row.version);
    }
    const row = await db
      .selectFrom('aliases')
      .select('version')
      .where('model_id', '=', model.id)
      .where('alias', '=', ref)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `alias ${ref} of model ${model.name} not found`, { model: model.name, alias: ref });
    return Number(row.version);
  }

  async list(modelName: string): Promise<Alias[]> {
    const model = await this.models.row(modelName);
    const rows = await this.db.selectFrom('aliases').selectAll().where('model_id', '=', model.id).orderBy('alias').execute();
    return Promise.all(rows.map((r) => this.describe(model, r.alias)));
  }

  private async describe(model: ModelsTable, alias: string, db: Kysely<DB> = this.db): Promise<Alias> {
    const row = await db
      .selectFrom('aliases')
      .selectAll()
      .where('model_id', '=', model.id)
      .where('alias', '=', alias)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `alias ${alias} of model ${model.name} not found`, { model: model.name, alias });
    const stack = await this.stack(model, alias, db);
    return {
      model: model.name,
      alias,
      version: Number(row.version),
      previousVersion: stack.length >= 2 ? stack[stack.length - 2]! : null,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  /**
   * Points an alias at a version; a protected alias answers the approval request instead of
   * moving (HTTP 202).
   */
  async set(modelName: string, alias: string, input: unknown, by: Actor): Promise<Alias | ApprovalRequested> {
    parseInput(AliasName, alias, 'alias');
    const req = parseInput(SetAliasRequest, input);
    return this.writes.run({
      by,
      permission: { role: 'deployer', model: modelName },
      apply: async (tx) => {
        const model = await this.models.row(modelName, tx.db);
        const pending = await this.moveIn(tx, model, alias, req.version, { ...by, reason: req.reason });
        if (pending) return { approval: pending };
        return this.describe(model, alias, tx.db);
      },
    });
  }

  /** Replays an approved move (`alias.set` or `alias.rollback`) inside the approving write. */
  async moveApproved(tx: WriteTx, approval: Approval, by: Change): Promise<void> {
    const model = await this.models.row(approval.model, tx.db);
    await this.moveIn(tx, model, approval.alias, approval.version, by, approval.action === 'alias.rollback' ? 'rollback' : 'set');
  }

  /** Where an alias points now, inside a write (null: it does not exist). */
  async current(db: Kysely<DB>, model: ModelsTable, alias: string): Promise<number | null> {
    const row = await db.selectFrom('aliases').select('version').where('model_id', '=', model.id).where('alias', '=', alias).executeTakeFirst();
    return row ? Number(row.version) : null;
  }

  /**
   * Points `alias` at `version` inside an open write (registration with an alias, a deployment's
   * promotion, an approved move): the alias row, its history row, the audit event and the change
   * sequence, as every move. The gate judges the move first; when it answers an approval request
   * the alias stays where it is and the request is returned.
   */
  async moveIn(tx: WriteTx, model: ModelsTable, alias: string, version: number, by: Change, action: 'set' | 'rollback' = 'set'): Promise<Approval | null> {
    const trx = tx.db;
    const pending = await this.gate.check(tx, {
      model: model.name,
      alias,
      version,
      fromVersion: await this.current(trx, model, alias),
      action: `alias.${action}`,
      input: { version, reason: by.reason ?? null },
      reason: by.reason ?? null,
    });
    if (pending) return pending;
    const target = await trx
      .selectFrom('model_versions')
      .select('status')
      .where('model_id', '=', model.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!target) throw new AppError('not_found', `version ${version} of model ${model.name} not found`, { model: model.name, version });
    if (target.status === 'archived') throw new AppError('conflict', `version ${version} of model ${model.name} is archived and cannot take an alias`);
    const current = await trx
      .selectFrom('aliases')
      .select('version')
      .where('model_id', '=', model.id)
      .where('alias', '=', alias)
      .executeTakeFirst();
    const from = current ? Number(current.version) : null;
    if (current) {
      await trx
        .updateTable('aliases')
        .set({ version, updated_at: tx.now, updated_by: by.actor })
        .where('model_id', '=', model.id)
        .where('alias', '=', alias)
        .execute();
    } else {
      await trx.insertInto('aliases').values({ model_id: model.id, alias, version, updated_at: tx.now, updated_by: by.actor }).execute();
    }
    await this.recordMove(tx, model, alias, from, version, action, by);
    return null;
  }

  /** One alias move: its history row, the change sequence for serving, and the audit event. */
  private async recordMove(
    tx: WriteTx,
    model: ModelsTable,
    alias: string,
    from: number | null,
    to: number | null,
    action: 'set' | 'rollback' | 'delete',
    by: Change,
  ): Promise<void> {
    await tx.db
      .insertInto('alias_history')
      .values({
        model_id: model.id,
        alias,
        from_version: from,
        to_version: to,
        action,
        actor: by.actor,
        reason: by.reason ?? null,
        at: tx.now,
        request_id: by.requestId ?? null,
      })
      .execute();
    tx.changed();
    tx.audit({
      actor: by.actor,
      requestId: by.requestId ?? null,
      reason: by.reason,
      action: `alias.${action}`,
      target: `model:${model.name}@${alias}`,
      before: from === null ? null : { version: from },
      after: to === null ? null : { version: to },
    });
  }

  async delete(modelName: string, alias: string, by: Change): Promise<void> {
    const following = (await this.references.deploymentsFollowing?.(modelName, alias)) ?? [];
    if (following.length > 0) {
      throw new AppError('conflict', `alias ${alias} of model ${modelName} is followed by deployment(s) ${following.join(', ')}; point them elsewhere first`, {
        deployments: following,
      });
    }
    await this.writes.run({
      by,
      permission: { role: 'deployer', model: modelName },
      apply: async (tx) => {
        const model = await this.models.row(modelName, tx.db);
        const current = await this.resolveAlias(tx.db, model, alias);
        await this.gate.checkDelete(tx, model.name, alias);
        await tx.db.deleteFrom('aliases').where('model_id', '=', model.id).where('alias', '=', alias).execute();
        await this.recordMove(tx, model, alias, current, null, 'delete', by);
      },
    });
  }

  private async resolveAlias(trx: Kysely<DB>, model: ModelsTable, alias: string): Promise<number> {
    if (alias === 'latest') throw new AppError('invalid_argument', 'the alias "latest" is implicit and cannot be changed', { field: 'alias' });
    return this.resolveNumber(model, alias, trx);
  }

  /**
   * Replays an alias's history as an undo stack: a set pushes, a rollback pops, a delete empties.
   * The top is the current version; the one beneath is where a rollback goes.
   */
  private async stack(model: ModelsTable, alias: string, db: Kysely<DB>): Promise<number[]> {
    const rows = await db
      .selectFrom('alias_history')
      .select(['action', 'to_version'])
      .where('model_id', '=', model.id)
      .where('alias', '=', alias)
      .orderBy('id')
      .execute();
    let stack: number[] = [];
    for (const r of rows) {
      if (r.action === 'set') stack.push(Number(r.to_version));
      else if (r.action === 'rollback') stack.pop();
      else stack = [];
    }
    return stack;
  }

  /** Moves the alias back to the version it held before its last move, in one transaction. */
  async rollback(modelName: string, input: unknown, by: Actor): Promise<Alias | ApprovalRequested> {
    const req = parseInput(RollbackRequest, input);
    return this.writes.run({
      by,
      permission: { role: 'deployer', model: modelName },
      apply: async (tx) => {
        const model = await this.models.row(modelName, tx.db);
        const current = await this.resolveAlias(tx.db, model, req.alias);
        const stack = await this.stack(model, req.alias, tx.db);
        const previous = stack.length >= 2 ? stack[stack.length - 2]! : undefined;
        if (previous === undefined) {
          throw new AppError('conflict', `alias ${req.alias} of model ${modelName} has no earlier version to roll back to (it is at version ${current})`);
        }
        const pending = await this.moveIn(tx, model, req.alias, previous, { ...by, reason: req.reason ?? `rollback from version ${current}` }, 'rollback');
        if (pending) return { approval: pending };
        return this.describe(model, req.alias, tx.db);
      },
    });
  }

  /** Which version each alias held over time ("what served when"), oldest first. */
  async history(modelName: string, alias?: string): Promise<AliasHistory> {
    const model = await this.models.row(modelName);
    let sel = this.db.selectFrom('alias_history').selectAll().where('model_id', '=', model.id);
    if (alias) sel = sel.where('alias', '=', alias);
    const rows = await sel.orderBy('id').execute();
    const periods: AliasPeriod[] = [];
    const open = new Map<string, AliasPeriod>();
    for (const r of rows) {
      const prev = open.get(r.alias);
      if (prev) prev.to = r.at;
      const period: AliasPeriod = {
        alias: r.alias,
        version: r.to_version === null ? null : Number(r.to_version),
        from: r.at,
        to: null,
        action: r.action as AliasPeriod['action'],
        actor: r.actor,
        reason: r.reason,
      };
      periods.push(period);
      open.set(r.alias, period);
    }
    return { model: modelName, periods };
  }
}
