import type { Approval } from '../contracts/approvals.js';
import type { WriteTx } from '../storage/index.js';

/** A move of an alias some write is about to make. */
export interface AliasMove {
  model: string;
  alias: string;
  version: number;
  /** Where the alias points now (null: it does not exist yet). */
  fromVersion: number | null;
  /** What makes the move (`alias.set`, `alias.rollback`, `deployment.promote`, `promotion.promote`): the action replayed on approval. */
  action: string;
  /** What the action needs to replay the move. */
  input: Record<string, unknown>;
  reason: string | null;
}

/**
 * The write path's approval check for alias moves (implemented by `governance/`): judges the
 * promotion rules of the alias (412 `failed_precondition` when one fails) and, when the alias is
 * protected, records an approval request in the open write and answers it instead of the move.
 * Answers null when the move may go ahead; a move it cleared once in a write is not judged again.
 */
export interface AliasGate {
  check(tx: WriteTx, move: AliasMove): Promise<Approval | null>;
  /** Refuses to delete a protected alias (a deletion cannot wait for approvals: unprotect first). */
  checkDelete(tx: WriteTx, model: string, alias: string): Promise<void>;
}

/** No protection and no rules (the registry on its own, before governance is wired). */
export const openGate: AliasGate = { check: async () => null, checkDelete: async () => {} };
