import type { Kysely } from 'kysely';
import type { AliasPeriod } from '../contracts/aliases.js';
import { AUDIT_PACK_FORMAT, type AuditPack, type AuditPackApproval, type AuditPackBody, AuditPackQuery } from '../contracts/audit-pack.js';
import type { Grant } from '../contracts/grants.js';
import type { Model } from '../contracts/models.js';
import type { ValidationResult } from '../contracts/pipelines.js';
import type { ModelVersion } from '../contracts/versions.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { canonicalJson } from '../shared/canonical-json.js';
import type { Clock } from '../shared/clock.js';
import { parseInput } from '../shared/parse.js';
import type { DB } from '../storage/index.js';
import { readAliasGuards, readApprovals, readChainSegment } from './audit-pack-reads.js';
import { itemDigest, packItems } from './audit-pack-verify.js';
import type { AuditSigner } from './audit-signer.js';

/** What a pack is assembled from; app.ts wires each to the service that holds the fact. */
export interface AuditPackSources {
  model(name: string): Promise<Model>;
  /** Every version of the model, oldest first. */
  versions(name: string): Promise<ModelVersion[]>;
  aliasHistory(name: string): Promise<AliasPeriod[]>;
  /** The validation gate's result for a version, null when it was never validated. */
  validation(name: string, version: number): Promise<ValidationResult | null>;
  /** Deployments serving the model: their audited specs say what served when beside the aliases. */
  deployments(name: string): Promise<string[]>;
  /** Grants on the model and on every model (`*`). */
  grants(name: string): Promise<Grant[]>;
}

const READ_ATTEMPTS = 5;

/** Parent links of `version`, nearest first; ends at a version not in the model or at a loop. */
function ancestorsOf(version: number, byNumber: Map<number, ModelVersion>): number[] {
  const out: number[] = [];
  let parent = byNumber.get(version)?.lineage.parentVersion;
  while (parent !== undefined && byNumber.has(parent) && !out.includes(parent) && parent !== version) {
    out.push(parent);
    parent = byNumber.get(parent)!.lineage.parentVersion;
  }
  return out;
}

/** Builds and signs audit packs: one self-contained JSON file per model that an auditor verifies offline. */
export class AuditPackService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly sources: AuditPackSources,
    private readonly signer: AuditSigner,
    private readonly clock: Clock,
  ) {}

  /**
   * The pack of a model, or of one version (with its ancestors, its validation and its approvals):
   * model, versions, lineage, validations, alias history, approvals with their votes, and the
   * stretch of the audit chain holding the subject's events, each item digested and the whole
   * signed.
   */
  async export(name: string, query: unknown, by: Actor, server: string): Promise<AuditPack> {
    const q = parseInput(AuditPackQuery, query ?? {}, 'query');
    const model = await this.sources.model(name);
    const all = await this.sources.versions(name);
    const byNumber = new Map(all.map((v) => [v.version, v]));
    let versions = all;
    if (q.version !== undefined) {
      if (!byNumber.has(q.version)) throw new AppError('not_found', `version ${q.version} of model ${name} not found`, { field: 'query.version' });
      const wanted = new Set([q.version, ...ancestorsOf(q.version, byNumber)]);
      versions = all.filter((v) => wanted.has(v.version));
    }
    const numbers = versions.map((v) => v.version);
    const onlyVersion = q.version === undefined ? null : [q.version];
    const [aliasHistory, validations, deployments, grants, guards] = await Promise.all([
      this.sources.aliasHistory(name),
      Promise.all(numbers.map((v) => this.sources.validation(name, v))),
      this.sources.deployments(name),
      this.sources.grants(name),
      readAliasGuards(this.db, name),
    ]);
    const targetsOf = (approvals: AuditPackApproval[]) => [
      `model:${name}`,
      `model:${name}@*`,
      ...(q.version === undefined ? [`model:${name}/*`] : numbers.map((v) => `model:${name}/${v}`)),
      ...deployments.map((d) => `deployment:${d}`),
      ...approvals.map((a) => `approval:${a.id}`),
    ];
    // A verifier holds the approvals against their events, so both must come from one moment: the
    // chain is read between two reads of the approvals, and read again when a vote came between.
    let approvals = await readApprovals(this.db, name, onlyVersion);
    let targets: string[];
    let chain: Awaited<ReturnType<typeof readChainSegment>>;
    for (let attempt = 1; ; attempt++) {
      targets = targetsOf(approvals);
      chain = await readChainSegment(this.db, targets);
      const after = await readApprovals(this.db, name, onlyVersion);
      if (canonicalJson(after) === canonicalJson(approvals)) break;
      if (attempt === READ_ATTEMPTS) throw new AppError('unavailable', `the approvals of model ${name} kept changing while the pack was read; export it again`);
      approvals = after;
    }
    // Plain JSON values from here on, so what is digested and signed is what a reader parses back.
    const unsigned: Omit<AuditPackBody, 'digests'> = JSON.parse(
      JSON.stringify({
        export: { model: name, version: q.version ?? null, at: this.clock.now().toISOString(), by: by.actor, server },
        model,
        versions,
        lineage: versions.map((v) => ({ version: v.version, lineage: v.lineage, ancestors: ancestorsOf(v.version, byNumber) })),
        validations: validations.filter((v): v is ValidationResult => v !== null),
        aliasHistory,
        approvals,
        grants,
        ...guards,
        audit: { targets, ...chain },
      }),
    );
    const body: AuditPackBody = { ...unsigned, digests: Object.fromEntries(packItems(unsigned).map(([item, value]) => [item, itemDigest(value)])) };
    return {
      format: AUDIT_PACK_FORMAT,
      body,
      signature: { algorithm: 'Ed25519', keyId: this.signer.keyId, publicKey: this.signer.publicKeyPem, value: this.signer.sign(canonicalJson(body)) },
    };
  }
}
