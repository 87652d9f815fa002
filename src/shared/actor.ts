import type { Role } from '../contracts/tokens.js';
import type { TraceContext } from './tracing.js';

/** Who is acting and under which request; every state change carries one into the audit trail. */
export interface Actor {
  /** The name the audit trail records: `token:NAME`, the `x-sextant-actor` name, or `sextant:…` for Sextant's own loops. */
  actor: string;
  requestId?: string | null;
  /**
   * The global role of the token the caller authenticated with. Absent when nothing authenticated
   * (auth off, or Sextant's own loops): then the write path checks no role.
   */
  role?: Role;
  /** The request's span when tracing is on: the write's span is made under it. */
  trace?: TraceContext;
}
