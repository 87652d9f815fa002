import type { Kysely } from 'kysely';
import type { Role } from '../contracts/tokens.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import type { Permission } from '../shared/write-seam.js';
import type { DB } from '../storage/index.js';
import { higherRole, roleAllows } from './roles.js';

/** Grants name every model with this. */
export const ALL_MODELS = '*';

/**
 * Decides whether an actor may run a write. A token's role applies everywhere; a grant gives a
 * principal a role on one model or on `*`; the effective role is the highest of them.
 */
export class AccessControl {
  constructor(private readonly db: Kysely<DB>) {}

  /** The effective role of `by` on `model` (null: Sextant as a whole, where only the global role counts). */
  async effectiveRole(by: Actor & { role: Role }, model: string | null): Promise<Role> {
    if (model === null) return by.role;
    const rows = await this.db
      .selectFrom('grants')
      .select('role')
      .where('principal', '=', by.actor)
      .where('model', 'in', model === ALL_MODELS ? [ALL_MODELS] : [model, ALL_MODELS])
      .execute();
    return rows.reduce<Role>((best, r) => higherRole(best, r.role as Role)!, by.role);
  }

  /**
   * Throws `permission_denied` naming the role needed and the model when `by` lacks it. Actors
   * without a role (auth off, Sextant's own loops) and internal writes are not checked.
   */
  async authorize(by: Actor, permission: Permission): Promise<void> {
    if (permission === 'internal' || by.role === undefined) return;
    const role = await this.effectiveRole(by as Actor & { role: Role }, permission.model);
    if (roleAllows(role, permission.role)) return;
    const where = permission.model === null ? '' : permission.model === ALL_MODELS ? ' on every model' : ` on model ${permission.model}`;
    throw new AppError('permission_denied', `${by.actor} has role ${role}${where}; this operation needs ${permission.role}${where}`, {
      needed: permission.role,
      role,
      model: permission.model,
    });
  }
}
