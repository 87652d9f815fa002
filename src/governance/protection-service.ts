import type { Kysely } from 'kysely';
import { ProtectAliasRequest, type ProtectedAlias } from '../contracts/approvals.js';
import { AliasName } from '../contracts/common.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, ProtectedAliasesTable, Writes } from '../storage/index.js';

const toProtected = (r: ProtectedAliasesTable): ProtectedAlias => ({
  model: r.model,
  alias: r.alias,
  approvals: Number(r.approvals),
  ttlSeconds: Number(r.ttl_seconds),
  protectedBy: r.protected_by,
  protectedAt: r.protected_at,
});

/** Protected aliases: every move of one waits for approvals. Protecting and unprotecting are an admin's on the model. */
export class ProtectionService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
  ) {}

  /** The protection of an alias, inside a write or not (null: the alias moves freely). */
  async find(model: string, alias: string, db: Kysely<DB> = this.db): Promise<ProtectedAlias | null> {
    const row = await db.selectFrom('protected_aliases').selectAll().where('model', '=', model).where('alias', '=', alias).executeTakeFirst();
    return row ? toProtected(row) : null;
  }

  async list(model: string): Promise<ProtectedAlias[]> {
    return (await this.db.selectFrom('protected_aliases').selectAll().where('model', '=', model).orderBy('alias').execute()).map(toProtected);
  }

  /** Protects (or re-protects with new settings) an alias of a model. */
  async protect(model: string, alias: string, input: unknown, by: Actor): Promise<ProtectedAlias> {
    parseInput(AliasName, alias, 'alias');
    const req = parseInput(ProtectAliasRequest, input ?? {});
    return this.writes.run({
      by,
      permission: { role: 'admin', model },
      apply: async (tx) => {
        const exists = await tx.db.selectFrom('models').select('id').where('name', '=', model).executeTakeFirst();
        if (!exists) throw new AppError('not_found', `model ${model} not found`, { model });
        const before = await this.find(model, alias, tx.db);
        const row: ProtectedAliasesTable = { model, alias, approvals: req.approvals, ttl_seconds: req.ttlSeconds, protected_by: tx.by.actor, protected_at: tx.now };
        if (before) {
          await tx.db.updateTable('protected_aliases').set({ approvals: row.approvals, ttl_seconds: row.ttl_seconds, protected_by: row.protected_by, protected_at: row.protected_at }).where('model', '=', model).where('alias', '=', alias).execute();
        } else {
          await tx.db.insertInto('protected_aliases').values(row).execute();
        }
        const after = toProtected(row);
        tx.audit({ action: 'alias.protect', target: `model:${model}@${alias}`, before, after });
        return after;
      },
    });
  }

  /** Lets an alias move freely again; requests already open stay open. */
  async unprotect(model: string, alias: string, by: Actor): Promise<void> {
    await this.writes.run({
      by,
      permission: { role: 'admin', model },
      apply: async (tx) => {
        const before = await this.find(model, alias, tx.db);
        if (!before) throw new AppError('not_found', `alias ${alias} of model ${model} is not protected`, { model, alias });
        await tx.db.deleteFrom('protected_aliases').where('model', '=', model).where('alias', '=', alias).execute();
        tx.audit({ action: 'alias.unprotect', target: `model:${model}@${alias}`, before, after: null });
      },
    });
  }
}
