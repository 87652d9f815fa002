import type { Kysely } from 'kysely';
import { type Grant, GrantScope, Principal, SetGrantRequest } from '../contracts/grants.js';
import type { Role } from '../contracts/tokens.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, GrantsTable, Writes, WriteTx } from '../storage/index.js';
import { ALL_MODELS } from './access.js';

const toGrant = (r: GrantsTable): Grant => ({ model: r.model, principal: r.principal, role: r.role as Role, grantedBy: r.granted_by, grantedAt: r.granted_at });

/**
 * Grants: a principal's role on one model or on every model (`*`). Setting and revoking one is an
 * admin's on that model (an admin on `*` for `*` grants), audited as `grant.set` / `grant.revoke`.
 */
export class GrantService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
  ) {}

  /** Grants on one model (`*` grants included when `model` is `*`), or every grant. */
  async list(model?: string): Promise<Grant[]> {
    let sel = this.db.selectFrom('grants').selectAll();
    if (model !== undefined) sel = sel.where('model', '=', parseInput(GrantScope, model, 'model'));
    return (await sel.orderBy('model').orderBy('principal').execute()).map(toGrant);
  }

  /** Gives `principal` `role` on `model` (or `*`), replacing any grant it had there. */
  async set(model: string, principal: string, input: unknown, by: Actor): Promise<Grant> {
    parseInput(GrantScope, model, 'model');
    parseInput(Principal, principal, 'principal');
    const { role } = parseInput(SetGrantRequest, input);
    return this.writes.run({
      by,
      permission: { role: 'admin', model },
      apply: async (tx) => {
        if (model !== ALL_MODELS) await this.modelExists(tx.db, model);
        return this.setIn(tx, model, principal, role);
      },
    });
  }

  /** Sets a grant inside an open write (a model's creator, under SEXTANT_CREATOR_ROLE). */
  async setIn(tx: WriteTx, model: string, principal: string, role: Role): Promise<Grant> {
    const before = await tx.db.selectFrom('grants').selectAll().where('model', '=', model).where('principal', '=', principal).executeTakeFirst();
    const row: GrantsTable = { model, principal, role, granted_by: tx.by.actor, granted_at: tx.now };
    if (before) await tx.db.updateTable('grants').set({ role, granted_by: row.granted_by, granted_at: row.granted_at }).where('model', '=', model).where('principal', '=', principal).execute();
    else await tx.db.insertInto('grants').values(row).execute();
    const grant = toGrant(row);
    tx.audit({ action: 'grant.set', target: `model:${model}`, before: before ? toGrant(before) : null, after: grant });
    return grant;
  }

  /** Removes `principal`'s grant on `model`; 404 when it has none. */
  async revoke(model: string, principal: string, by: Actor): Promise<void> {
    parseInput(GrantScope, model, 'model');
    parseInput(Principal, principal, 'principal');
    await this.writes.run({
      by,
      permission: { role: 'admin', model },
      apply: async (tx) => {
        const before = await tx.db.selectFrom('grants').selectAll().where('model', '=', model).where('principal', '=', principal).executeTakeFirst();
        if (!before) throw new AppError('not_found', `${principal} has no grant on ${model === ALL_MODELS ? 'every model (*)' : `model ${model}`}`, { model, principal });
        await tx.db.deleteFrom('grants').where('model', '=', model).where('principal', '=', principal).execute();
        tx.audit({ action: 'grant.revoke', target: `model:${model}`, before: toGrant(before), after: null });
      },
    });
  }

  private async modelExists(db: Kysely<DB>, model: string): Promise<void> {
    const row = await db.selectFrom('models').select('id').where('name', '=', model).executeTakeFirst();
    if (!row) throw new AppError('not_found', `model ${model} not found`, { model });
  }
}
