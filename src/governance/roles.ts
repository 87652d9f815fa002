import type { Role } from '../contracts/tokens.js';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

/** True when `role` is at least `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}
