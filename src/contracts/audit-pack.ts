import { z } from 'zod';
import { AliasPeriod } from './aliases.js';
import { AuditEvent } from './audit.js';
import { ModelName, Timestamp, VersionNumber } from './common.js';
import { Grant } from './grants.js';
import { Model } from './models.js';
import { ValidationResult } from './pipelines.js';
import { Lineage, ModelVersion } from './versions.js';

/** The value of `format` in every pack this release writes; a verifier refuses others. */
export const AUDIT_PACK_FORMAT = 'sextant-audit-pack/1';

export const AuditPackQuery = z
  .object({ version: z.coerce.number().int().positive().optional().describe('limit the pack to one version, its ancestors and its approvals') })
  .strict();
export type AuditPackQuery = z.input<typeof AuditPackQuery>;

/** What an export covers and who made it. */
export const AuditPackExport = z.object({
  model: ModelName,
  version: VersionNumber.nullable(),
  at: Timestamp,
  by: z.string(),
  server: z.string().describe('Sextant release that wrote the pack'),
});

/** A version's lineage with its ancestry walked through `parentVersion`, nearest first. */
export const AuditPackLineage = z.object({
  version: VersionNumber,
  lineage: Lineage,
  ancestors: z.array(VersionNumber),
});

export const AuditPackVote = z.object({
  approver: z.string(),
  decision: z.string(),
  reason: z.string().nullable(),
  at: Timestamp,
});

/** An approval request for an alias move, with who asked, whose version it was and who decided. */
export const AuditPackApproval = z.object({
  id: z.string(),
  model: ModelName,
  alias: z.string(),
  version: VersionNumber,
  fromVersion: VersionNumber.nullable(),
  action: z.string(),
  status: z.string(),
  required: z.number().int(),
  requestedBy: z.string(),
  requestId: z.string().nullable(),
  versionAuthor: z.string(),
  reason: z.string().nullable(),
  rules: z.unknown().nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  decidedAt: Timestamp.nullable(),
  decisionReason: z.string().nullable(),
  votes: z.array(AuditPackVote),
});
export type AuditPackApproval = z.infer<typeof AuditPackApproval>;

/** A protected alias: its moves wait for this many approvals. */
export const AuditPackProtection = z.object({
  alias: z.string(),
  approvals: z.number().int(),
  ttlSeconds: z.number().int(),
  protectedBy: z.string(),
  protectedAt: Timestamp,
});

/** The promotion rules an alias's target must pass before it moves. */
export const AuditPackRules = z.object({ alias: z.string(), rules: z.unknown(), updatedBy: z.string(), updatedAt: Timestamp });

/** One stored hash of the chain: an event's sequence number and hash. */
export const ChainPoint = z.object({ seq: z.number().int().nonnegative(), hash: z.string() });

/**
 * An unbroken stretch of the server's audit chain, from the subject's first event to its last.
 * Events of other targets inside the stretch are kept whole: each hash covers its event's fields,
 * so a link across a gap could not be checked.
 */
export const AuditPackAudit = z.object({
  targets: z.array(z.string()).describe('targets whose events are the subject\'s: exact, or a prefix ending in "*"'),
  range: z
    .object({ first: ChainPoint, last: ChainPoint, prevHash: z.string().describe('hash the first event links to') })
    .nullable()
    .describe('null when the subject has no audit events'),
  head: ChainPoint.describe('the chain head when the pack was made'),
  events: z.array(AuditEvent),
});

export const AuditPackBody = z.object({
  export: AuditPackExport,
  model: Model,
  versions: z.array(ModelVersion),
  lineage: z.array(AuditPackLineage),
  validations: z.array(ValidationResult),
  aliasHistory: z.array(AliasPeriod),
  approvals: z.array(AuditPackApproval),
  grants: z.array(Grant).describe('who holds a role on the model, or on every model (`*`), when the pack was made'),
  protections: z.array(AuditPackProtection).describe('the model\'s protected aliases when the pack was made'),
  rules: z.array(AuditPackRules).describe('the model\'s promotion rules per alias when the pack was made'),
  audit: AuditPackAudit,
  digests: z.record(z.string(), z.string()).describe('item → sha256 of its canonical JSON, so a verifier names the item that changed'),
});
export type AuditPackBody = z.infer<typeof AuditPackBody>;

export const AuditPackSignature = z.object({
  algorithm: z.literal('Ed25519'),
  keyId: z.string().describe('first 16 hex digits of the sha256 of the public key (SPKI DER)'),
  publicKey: z.string().describe('the signing key\'s public half, SPKI PEM'),
  value: z.string().describe('base64 Ed25519 signature of the canonical JSON of `body`'),
});

/** A self-contained, signed record of one model for an auditor; `sextant audit verify-pack` checks it offline. */
export const AuditPack = z
  .object({ format: z.literal(AUDIT_PACK_FORMAT), body: AuditPackBody, signature: AuditPackSignature })
  .meta({ id: 'AuditPack' });
export type AuditPack = z.infer<typeof AuditPack>;

/** The server's audit signing key (public half). */
export const AuditPublicKey = z
  .object({
    algorithm: z.literal('Ed25519'),
    keyId: z.string(),
    publicKey: z.string().describe('SPKI PEM; save it to a file for `sextant audit verify-pack --public-key`'),
  })
  .meta({ id: 'AuditPublicKey' });
export type AuditPublicKey = z.infer<typeof AuditPublicKey>;

/** What a verifier found: the first broken item, or that everything holds. */
export const AuditPackVerdict = z.object({
  ok: z.boolean(),
  model: z.string().nullable(),
  keyId: z.string().nullable(),
  /** Whether the key was the one given (`--public-key`) or only the one the pack carries. */
  keyPinned: z.boolean(),
  events: z.number().int().describe('events whose hash and link were checked'),
  subjectEvents: z.number().int().describe('of those, events of the subject\'s targets'),
  items: z.number().int().describe('items whose digest was checked'),
  firstBroken: z.object({ item: z.string(), reason: z.string() }).nullable(),
});
export type AuditPackVerdict = z.infer<typeof AuditPackVerdict>;
