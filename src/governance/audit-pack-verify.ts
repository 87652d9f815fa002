import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { AUDIT_PACK_FORMAT, AuditPack, type AuditPackBody, type AuditPackVerdict } from '../contracts/audit-pack.js';
import type { AuditEvent } from '../contracts/audit.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { keyIdOf, readPublicKey } from '../shared/signing-key.js';
import { chainHash } from './audit-hash.js';

// Pure: no database, no network. `sextant audit verify-pack` runs this where the auditor is.

type Body = Omit<AuditPackBody, 'digests'>;

/**
 * Every item of a pack that carries its own digest, by the name a verifier reports. Events are not
 * among them: the hash chain covers each, and `audit.range` pins its ends.
 */
export function packItems(body: Body): Array<[string, unknown]> {
  return [
    ['export', body.export],
    ['model', body.model],
    ...body.versions.map((v): [string, unknown] => [`versions/${v.version}`, v]),
    ...body.lineage.map((l): [string, unknown] => [`lineage/${l.version}`, l]),
    ...body.validations.map((v): [string, unknown] => [`validations/${v.version}`, v]),
    ...body.aliasHistory.map((p, i): [string, unknown] => [`aliasHistory/${i}`, p]),
    ...body.approvals.map((a): [string, unknown] => [`approvals/${a.id}`, a]),
    ...body.grants.map((g): [string, unknown] => [`grants/${g.model}/${g.principal}`, g]),
    ...body.protections.map((p): [string, unknown] => [`protections/${p.alias}`, p]),
    ...body.rules.map((r): [string, unknown] => [`rules/${r.alias}`, r]),
    ['audit.targets', body.audit.targets],
    ['audit.range', body.audit.range],
    ['audit.head', body.audit.head],
  ];
}

/** sha256 (hex) of an item's canonical JSON. */
export function itemDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Whether an audit target is one of the subject's: exact, or a prefix ending in `*`. */
export function targetMatches(targets: readonly string[], target: string): boolean {
  return targets.some((t) => (t.endsWith('*') ? target.startsWith(t.slice(0, -1)) : target === t));
}

class Broken extends Error {
  constructor(
    readonly item: string,
    readonly reason: string,
  ) {
    super(`${item}: ${reason}`);
  }
}

function readItems(body: AuditPackBody): number {
  const items = packItems(body);
  const seen = new Set<string>();
  for (const [name, value] of items) {
    if (seen.has(name)) throw new Broken(name, 'appears twice in the pack');
    seen.add(name);
    const signed = body.digests[name];
    if (signed === undefined) throw new Broken(name, 'is not among the signed digests (added after signing)');
    const actual = itemDigest(value);
    if (actual !== signed) throw new Broken(name, `its contents changed after signing (sha256 ${actual.slice(0, 12)}…, signed ${signed.slice(0, 12)}…)`);
  }
  const extra = Object.keys(body.digests).find((name) => !seen.has(name));
  if (extra !== undefined) throw new Broken(extra, 'was signed but is missing from the pack (removed)');
  return items.length;
}

/** Checks every event's hash, every link between consecutive events, and both ends of the range. */
function readChain(audit: AuditPackBody['audit']): { events: number; subjectEvents: number } {
  const events: AuditEvent[] = audit.events;
  const range = audit.range;
  if (range === null) {
    if (events.length > 0) throw new Broken('audit.range', `is empty but the pack holds ${events.length} events`);
    return { events: 0, subjectEvents: 0 };
  }
  if (audit.head.seq < range.last.seq) throw new Broken('audit.head', `is at event ${audit.head.seq}, before the range's last event ${range.last.seq}`);
  let expected = range.first.seq;
  let prevHash = range.prevHash;
  let subjectEvents = 0;
  for (const e of events) {
    if (e.seq !== expected) {
      throw new Broken(
        `event ${expected}`,
        e.seq > expected ? `is missing (the events go from ${expected - 1} to ${e.seq})` : `is expected next but event ${e.seq} follows (events out of order or repeated)`,
      );
    }
    if (e.prevHash !== prevHash) {
      throw new Broken(`event ${e.seq}`, expected === range.first.seq ? 'does not link to the hash the range starts from' : `does not link to event ${e.seq - 1} (prevHash differs from its hash)`);
    }
    if (chainHash(prevHash, e) !== e.hash) throw new Broken(`event ${e.seq}`, 'its hash does not match its contents (edited)');
    if (targetMatches(audit.targets, e.target)) subjectEvents += 1;
    prevHash = e.hash;
    expected += 1;
  }
  if (expected - 1 !== range.last.seq) {
    throw new Broken(`event ${expected}`, `is missing: the range ends at event ${range.last.seq} but the events end at ${expected - 1}`);
  }
  if (prevHash !== range.last.hash) throw new Broken(`event ${range.last.seq}`, 'its hash is not the one the range ends with');
  return { events: events.length, subjectEvents };
}

const CLOSING = /^approval\.(approved|rejected|expired)$/;

/**
 * The approvals as the tables hold them against the hash chain, which is tamper-evident where the
 * tables are not: each approval's request, every vote and its decision must each be an
 * `approval.*` event in the pack, every vote event must be a vote the approval shows, and a
 * request of the subject in the chain must be among the approvals.
 */
function readApprovals(body: AuditPackBody): void {
  const byTarget = new Map<string, AuditEvent[]>();
  for (const e of body.audit.events) {
    if (!e.target.startsWith('approval:')) continue;
    byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
  }
  const shown = new Set(body.approvals.map((a) => a.id));
  for (const a of body.approvals) {
    const item = `approvals/${a.id}`;
    const events = byTarget.get(`approval:${a.id}`) ?? [];
    const has = (action: string, actor: string) => events.some((e) => e.action === action && e.actor === actor);
    if (!has('approval.request', a.requestedBy)) throw new Broken(item, `the audit chain has no approval.request event by ${a.requestedBy} for it`);
    for (const v of a.votes) {
      if (!has(`approval.${v.decision}`, v.approver)) throw new Broken(item, `the ${v.decision} vote of ${v.approver} has no approval.${v.decision} event by ${v.approver} in the audit chain`);
    }
    for (const e of events) {
      const decision = e.action === 'approval.approve' ? 'approve' : e.action === 'approval.reject' ? 'reject' : null;
      if (decision !== null && !a.votes.some((v) => v.decision === decision && v.approver === e.actor)) {
        throw new Broken(item, `event ${e.seq} records a ${decision} vote of ${e.actor} that the approval does not show`);
      }
    }
    const closing = events.find((e) => CLOSING.test(e.action));
    const closedAs = closing?.action.slice('approval.'.length);
    if (closing && closedAs !== a.status) throw new Broken(item, `is ${a.status} but event ${closing.seq} records it ${closedAs}`);
    if (!closing && a.status !== 'pending') throw new Broken(item, `is ${a.status} but the audit chain records no decision for it`);
  }
  const scope = body.export;
  for (const e of body.audit.events) {
    if (e.action !== 'approval.request') continue;
    const after = (e.after ?? {}) as { model?: unknown; version?: unknown };
    const id = e.target.slice('approval:'.length);
    if (after.model === scope.model && (scope.version === null || after.version === scope.version) && !shown.has(id)) {
      throw new Broken(`approvals/${id}`, `was requested (event ${e.seq}) but is missing from the pack`);
    }
  }
}

function pathOf(issuePath: readonly PropertyKey[]): string {
  return issuePath.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || 'pack';
}

/**
 * Verifies a parsed pack: its shape, each item against its signed digest, each audit event's hash
 * and link, the Ed25519 signature over the canonical JSON of `body` — with `publicKeyPem` when
 * given, else with the key the pack carries (which proves integrity, not who signed) — and each
 * approval against its `approval.*` events. Reports the first broken item.
 */
export function verifyAuditPack(raw: unknown, options: { publicKeyPem?: string } = {}): AuditPackVerdict {
  const verdict: AuditPackVerdict = { ok: false, model: null, keyId: null, keyPinned: options.publicKeyPem !== undefined, events: 0, subjectEvents: 0, items: 0, firstBroken: null };
  try {
    const format = (raw as { format?: unknown } | null)?.format;
    if (format !== AUDIT_PACK_FORMAT) throw new Broken('format', `expected "${AUDIT_PACK_FORMAT}", got ${JSON.stringify(format ?? null)}`);
    const parsed = AuditPack.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Broken(pathOf(issue.path), issue.message);
    }
    // Digests and the signature are computed over the pack as read, not as parsed: parsing drops
    // keys it does not know, and a key added after signing must still break the pack.
    const pack = raw as AuditPack;
    verdict.model = parsed.data.body.export.model;
    verdict.items = readItems(pack.body);
    Object.assign(verdict, readChain(pack.body.audit));
    let key: KeyObject;
    try {
      key = readPublicKey(options.publicKeyPem ?? pack.signature.publicKey);
    } catch (err) {
      throw new Broken(options.publicKeyPem === undefined ? 'signature.publicKey' : 'public key', (err as Error).message);
    }
    verdict.keyId = keyIdOf(key);
    if (options.publicKeyPem !== undefined) {
      const carried = safeKeyId(pack.signature.publicKey);
      if (carried !== verdict.keyId) throw new Broken('signature', `the pack is signed by key ${carried ?? pack.signature.keyId}, not by the given key ${verdict.keyId}`);
    }
    const ok = verifySignature(null, Buffer.from(canonicalJson(pack.body), 'utf8'), key, Buffer.from(pack.signature.value, 'base64'));
    if (!ok) throw new Broken('signature', `does not verify with key ${verdict.keyId}: the signed body or the signature changed`);
    // Signed as the server wrote it; now whether the server's approvals agree with its own chain.
    readApprovals(pack.body);
    verdict.ok = true;
  } catch (err) {
    // Whatever a hostile file holds (nesting past the stack, say) is a broken pack, not a crash.
    verdict.firstBroken = err instanceof Broken ? { item: err.item, reason: err.reason } : { item: 'pack', reason: `cannot be checked: ${(err as Error).message}` };
  }
  return verdict;
}

function safeKeyId(pem: string): string | null {
  try {
    return keyIdOf(readPublicKey(pem));
  } catch {
    return null;
  }
}

/** Reads a public key file: the PEM itself, or the JSON `GET /api/v1/audit/public-key` answers. */
export function publicKeyFromFile(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const json = JSON.parse(trimmed) as { publicKey?: unknown };
    if (typeof json.publicKey !== 'string') throw new Error('the JSON has no "publicKey" string');
    return json.publicKey;
  }
  return trimmed;
}
