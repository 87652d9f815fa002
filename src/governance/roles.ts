import type { Role } from '../contracts/tokens.js';

const RANK: Record<Role, number> = { viewer: 1, editor: 2, deployer: 3, approver: 4, admin: 5 };

/** True when `role` is at least `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The higher of two roles (null: no role). */
export function higherRole(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}
