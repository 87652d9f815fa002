import { createHash } from 'node:crypto';
import type { AuditEvent } from '../contracts/audit.js';
import { canonicalJson } from '../shared/canonical-json.js';

// Pure, with no database below it, so `sextant audit verify-pack` checks a pack without a server.

/** The fields covered by an event's hash, in the order the contract lists them. */
function hashedFields(e: Omit<AuditEvent, 'prevHash' | 'hash'>): string {
  return canonicalJson({
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    target: e.target,
    before: e.before ?? null,
    after: e.after ?? null,
    reason: e.reason ?? null,
    requestId: e.requestId ?? null,
  });
}

/** hash = sha256(prevHash + canonical JSON of the event). */
export function chainHash(prevHash: string, e: Omit<AuditEvent, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update(hashedFields(e)).digest('hex');
}
