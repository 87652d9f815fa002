import type { Kysely } from 'kysely';
import {
  CreateModelRequest,
  ListModelsQuery,
  type Model,
  type ModelPage,
  UpdateModelRequest,
} from '../contracts/models.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { newId } from '../shared/ids.js';
import { decodePageToken, encodePageToken } from '../shared/page-token.js';
import { parseInput } from '../shared/parse.js';
import type { DB, ModelsTable, Writes, WriteTx } from '../storage/index.js';
import { escapeLike, isUniqueViolation, like } from '../storage/index.js';
import { mergeTags, toModel } from './rows.js';

/** Tells the registry what else points at a model (deployments, once serving exists). */
export interface ModelReferences {
  deploymentsUsing(modelName: string): Promise<string[]>;
  /** Deployments that follow this alias of the model: deleting it would leave them nothing to serve. */
  deploymentsFollowing?(modelName: string, alias: string): Promise<string[]>;
  /** Deployments whose routes (primaries or canary) include this version: deleting it would break them. */
  deploymentsServingVersion?(modelName: string, version: number): Promise<string[]>;
}

/** Tables that name a model by its name rather than its id; a rename carries them along. */
const NAMED_BY_MODEL = [
  'grants',
  'protected_aliases',
  'promotion_rules',
  'retraining_policies',
  'schedule_ticks',
  'version_validations',
  'promotions',
  'approvals',
  'jobs',
  'model_kpis',
] as const;

export const noReferences: ModelReferences = { deploymentsUsing: async () => [] };

const ORDER_COLUMN = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' } as const;

/** Models: create, read, update, search and delete, each change audited in its own transaction. */
export class ModelService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly onDelete: (digests: string[]) => Promise<void>,
    private readonly references: ModelReferences = noReferences,
    /** Runs inside a model's creation (SEXTANT_CREATOR_ROLE grants its creator a role on it). */
    private readonly onCreated: (tx: WriteTx, model: string) => Promise<void> = async () => {},
  ) {}

  /** The model row or a 404 naming it. Usable inside a transaction. */
  async row(name: string, db: Kysely<DB> = this.db): Promise<ModelsTable> {
    const row = await db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new AppError('not_found', `model ${name} not found`, { model: name });
    return row;
  }

  private async aliasesOf(modelIds: string[], db: Kysely<DB> = this.db): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>(modelIds.map((id) => [id, {}]));
    if (modelIds.length === 0) return out;
    const rows = await db.selectFrom('aliases').select(['model_id', 'alias', 'version']).where('model_id', 'in', modelIds).execute();
    for (const r of rows) out.get(r.model_id)![r.alias] = Number(r.version);
    return out;
  }

  async get(name: string): Promise<Model> {
    const row = await this.row(name);
    return toModel(row, (await this.aliasesOf([row.id])).get(row.id)!);
  }

  async create(input: CreateModelRequest, by: Actor): Promise<Model> {
    const req = parseInput(CreateModelRequest, input);
    try {
      return await this.writes.run({
        by,
        permission: { role: 'editor', model: req.name },
        apply: async (tx) => {
          const { db, now, audit } = tx;
          const row: ModelsTable = {
            id: newId(),
            name: req.name,
            description: req.description,
            owner: req.owner ?? by.actor,
            task: req.task,
            tags: JSON.stringify(req.tags),
            latest_version: 0,
            created_at: now,
            updated_at: now,
          };
          const model = toModel(row, {});
          await db.insertInto('models').values(row).execute();
          await this.writeTags(db, row.id, req.tags);
          audit({ action: 'model.create', target: `model:${req.name}`, after: model });
          await this.onCreated(tx, req.name);
          return model;
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('already_exists', `model ${req.name} already exists`, { model: req.name });
      throw err;
    }
  }

  private async writeTags(trx: Kysely<DB>, modelId: string, tags: Record<string, string>): Promise<void> {
    await trx.deleteFrom('model_tags').where('model_id', '=', modelId).execute();
    const rows = Object.entries(tags).map(([key, value]) => ({ model_id: modelId, key, value }));
    if (rows.length > 0) await trx.insertInto('model_tags').values(rows).execute();
  }

  async update(name: string, input: UpdateModelRequest, by: Actor & { reason?: string }): Promise<Model> {
    const req = parseInput(UpdateModelRequest, input);
    return this.writes.run({
      by,
      permission: { role: 'editor', model: name },
      apply: async ({ db, now, audit }) => {
        const row = await this.row(name, db);
        const aliases = (await this.aliasesOf([row.id], db)).get(row.id)!;
        const before = toModel(row, aliases);
        const tags = mergeTags(before.tags, req.tags);
        const next: ModelsTable = {
          ...row,
          description: req.description ?? row.description,
          owner: req.owner ?? row.owner,
          tags: JSON.stringify(tags),
          updated_at: now,
        };
        await db
          .updateTable('models')
          .set({ description: next.description, owner: next.owner, tags: next.tags, updated_at: now })
          .where('id', '=', row.id)
          .execute();
        if (req.tags) await this.writeTags(db, row.id, tags);
        const after = toModel(next, aliases);
        audit({ action: 'model.update', target: `model:${name}`, before, after, reason: by.reason });
        return after;
      },
    });
  }

  /**
   * Renames a model, carrying its grants, protection, rules, policies, promotions, approvals and
   * jobs to the new name in the same transaction; refused while a deployment serves it (its
   * routes name the model). The audit trail keeps the old name on earlier events.
   */
  async rename(name: string, newName: string, by: Actor & { reason?: string }): Promise<Model> {
    parseInput(CreateModelRequest.shape.name, newName, 'new_name');
    const permission = { role: 'admin', model: name } as const;
    await this.writes.authorize(by, permission);
    await this.writes.authorize(by, { role: 'editor', model: newName });
    const deployments = await this.references.deploymentsUsing(name);
    if (deployments.length > 0) {
      throw new AppError('conflict', `model ${name} is served by deployment(s) ${deployments.join(', ')}; it cannot be renamed while served`, { deployments });
    }
    try {
      return await this.writes.run({
        by,
        permission,
        apply: async ({ db, now, audit }) => {
          const row = await this.row(name, db);
          const aliases = (await this.aliasesOf([row.id], db)).get(row.id)!;
          await db.updateTable('models').set({ name: newName, updated_at: now }).where('id', '=', row.id).execute();
          for (const table of NAMED_BY_MODEL) await db.updateTable(table).set({ model: newName }).where('model', '=', name).execute();
          const after = toModel({ ...row, name: newName, updated_at: now }, aliases);
          audit({ action: 'model.rename', target: `model:${name}`, before: toModel(row, aliases), after, reason: by.reason });
          return after;
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('already_exists', `model ${newName} already exists`, { model: newName });
      throw err;
    }
  }

  /** Search with keyset pagination; the page token is opaque to callers. */
  async list(query: ListModelsQuery): Promise<ModelPage> {
    const q = parseInput(ListModelsQuery, query, 'query');
    const col = ORDER_COLUMN[q.orderBy];
    const cursor = decodePageToken(q.pageToken);
    let sel = this.db.selectFrom('models').selectAll();
    if (q.q) sel = sel.where(like('name', `%${escapeLike(q.q.toLowerCase())}%`));
    if (q.owner) sel = sel.where('owner', '=', q.owner);
    if (q.task) sel = sel.where('task', '=', q.task);
    for (const t of q.tag) {
      const eq = t.indexOf('=');
      const key = eq < 0 ? t : t.slice(0, eq);
      const value = eq < 0 ? undefined : t.slice(eq + 1);
      sel = sel.where((eb) =>
        eb.exists(
          eb
            .selectFrom('model_tags')
            .select('model_tags.key')
            .whereRef('model_tags.model_id', '=', 'models.id')
            .where('model_tags.key', '=', key)
            .$if(value !== undefined, (s) => s.where('model_tags.value', '=', value!)),
        ),
      );
    }
    const dir = q.order;
    if (cursor) {
      const op = dir === 'asc' ? '>' : '<';
      sel = sel.where((eb) =>
        eb.or([eb(col, op, String(cursor.k)), eb.and([eb(col, '=', String(cursor.k)), eb('id', op, String(cursor.id))])]),
      );
    }
    const rows = await sel.orderBy(col, dir).orderBy('id', dir).limit(q.pageSize + 1).execute();
    const page = rows.slice(0, q.pageSize);
    const aliases = await this.aliasesOf(page.map((r) => r.id));
    const last = page[page.length - 1];
    return {
      models: page.map((r) => toModel(r, aliases.get(r.id)!)),
      nextPageToken: rows.length > q.pageSize && last ? encodePageToken({ k: last[col], id: last.id }) : null,
    };
  }

  /**
   * Deletes a model with its versions, and the grants, protection and rules kept under its name;
   * refused while an alias or deployment still points at it.
   */
  async delete(name: string, by: Actor & { reason?: string }): Promise<void> {
    const permission = { role: 'admin', model: name } as const;
    await this.writes.authorize(by, permission);
    const deployments = await this.references.deploymentsUsing(name);
    if (deployments.length > 0) {
      throw new AppError('conflict', `model ${name} is served by deployment(s) ${deployments.join(', ')}; delete those first`, {
        deployments,
      });
    }
    const digests = await this.writes.run({
      by,
      permission,
      apply: async ({ db, audit }) => {
        const row = await this.row(name, db);
        const aliases = (await this.aliasesOf([row.id], db)).get(row.id)!;
        if (Object.keys(aliases).length > 0) {
          throw new AppError('conflict', `model ${name} still has aliases (${Object.keys(aliases).join(', ')}); delete them first`, {
            aliases,
          });
        }
        const versions = await db.selectFrom('model_versions').select('digest').where('model_id', '=', row.id).execute();
        await db.deleteFrom('alias_history').where('model_id', '=', row.id).execute();
        await db.deleteFrom('model_tags').where('model_id', '=', row.id).execute();
        await db.deleteFrom('model_versions').where('model_id', '=', row.id).execute();
        await db.deleteFrom('models').where('id', '=', row.id).execute();
        for (const table of ['grants', 'protected_aliases', 'promotion_rules', 'model_kpis'] as const) await db.deleteFrom(table).where('model', '=', name).execute();
        audit({ action: 'model.delete', target: `model:${name}`, before: toModel(row, aliases), after: null, reason: by.reason });
        return [...new Set(versions.map((v) => v.digest))];
      },
    });
    await this.onDelete(digests);
  }
}
