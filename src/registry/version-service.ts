import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import {
  ListVersionsQuery,
  type ModelVersion,
  RegisterVersionMeta,
  type RegisteredVersion,
  type Signature,
  UpdateVersionRequest,
  type VersionPage,
} from '../contracts/versions.js';
import type { BlobStore } from '../artifacts/index.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { decodePageToken, encodePageToken } from '../shared/page-token.js';
import { parseInput } from '../shared/parse.js';
import { readAll } from '../shared/read-all.js';
import type { DB, ModelVersionsTable, Writes } from '../storage/index.js';
import type { AliasService } from './alias-service.js';
import { type ModelReferences, type ModelService, noReferences } from './model-service.js';
import { removeUnreferencedBlobs } from './blob-gc.js';
import { onnxSignature } from './onnx-signature.js';
import { mergeTags, toVersion } from './rows.js';

/** Reading a whole ONNX file to find its signature is bounded; larger models must send --signature. */
const MAX_ONNX_SIGNATURE_READ = 1024 ** 3;

export interface Artifact {
  stream: Readable;
  digest: string;
  size: number;
  filename: string;
}

/**
 * Checks an artifact once stored and before its version is recorded (a `remote` artifact's URL);
 * throwing refuses the registration.
 */
export type ArtifactInspector = (format: ModelVersionsTable['format'], size: number, read: () => Promise<Uint8Array>) => Promise<void>;

/** The signature with inputs marked (or unmarked) as personal data; every named input must exist. */
function markPii(signature: Signature | null, marks: Record<string, boolean>): Signature {
  const names = new Set(signature?.inputs.map((i) => i.name) ?? []);
  const unknown = Object.keys(marks).filter((n) => !names.has(n));
  if (!signature || unknown.length > 0) {
    throw new AppError('invalid_argument', `pii: ${signature ? `the signature has no input ${unknown.join(', ')}` : 'the version has no signature naming its inputs'}`, { field: 'pii' });
  }
  return {
    ...signature,
    inputs: signature.inputs.map((i) => {
      if (!(i.name in marks)) return i;
      const { pii: _old, ...rest } = i;
      return marks[i.name] ? { ...rest, pii: true } : rest;
    }),
  };
}

/** Versions: immutable records of an uploaded artifact plus its lineage, numbered 1, 2, … per model. */
export class VersionService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly blobs: BlobStore,
    private readonly writes: Writes,
    private readonly models: ModelService,
    private readonly aliases: AliasService,
    private readonly maxArtifactBytes: number,
    private readonly inspectArtifact: ArtifactInspector = async () => {},
    private readonly references: ModelReferences = noReferences,
  ) {}

  async aliasNames(modelId: string, db: Kysely<DB> = this.db): Promise<Map<number, string[]>> {
    const rows = await db.selectFrom('aliases').select(['alias', 'version']).where('model_id', '=', modelId).execute();
    const out = new Map<number, string[]>();
    for (const r of rows) out.set(Number(r.version), [...(out.get(Number(r.version)) ?? []), r.alias]);
    return out;
  }

  async versionRow(modelId: string, modelName: string, version: number, db: Kysely<DB> = this.db): Promise<ModelVersionsTable> {
    const row = await db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', `version ${version} of model ${modelName} not found`, { model: modelName, version });
    return row;
  }

  /**
   * Streams the artifact into the blob store (hashing as it goes), then records the version, its
   * optional alias and the audit event in one transaction. If anything fails, no version exists
   * and a blob this upload created is removed again.
   */
  async register(modelName: string, body: Readable, metaInput: unknown, by: Actor): Promise<RegisteredVersion> {
    const meta = parseInput(RegisterVersionMeta, metaInput, 'metadata');
    // Moving an alias is a deployer's right; refused before a byte is stored.
    const permission = { role: meta.alias ? 'deployer' : 'editor', model: modelName } as const;
    await this.writes.authorize(by, permission);
    const model = await this.models.row(modelName);
    const stored = await this.blobs.put(body, { expectedDigest: meta.digest, maxBytes: this.maxArtifactBytes });
    try {
      let signature: Signature | null = meta.signature ?? null;
      if (!signature && meta.format === 'onnx') signature = await this.readOnnxSignature(stored.digest, stored.size);
      await this.inspectArtifact(meta.format, stored.size, async () => readAll(await this.blobs.get(stored.digest)));
      return await this.writes.run({
        by,
        permission,
        apply: async (tx) => {
          const { db: trx, now } = tx;
          // Row lock on the model: concurrent registrations get consecutive numbers, never gaps.
          const bumped = await trx
            .updateTable('models')
            .set({ latest_version: sql`latest_version + 1`, updated_at: now })
            .where('id', '=', model.id)
            .returning('latest_version')
            .executeTakeFirst();
          if (!bumped) throw new AppError('not_found', `model ${modelName} not found`, { model: modelName });
          const version = Number(bumped.latest_version);
          const parent = meta.lineage.parentVersion;
          if (parent !== undefined) {
            if (parent >= version) throw new AppError('invalid_argument', `lineage.parentVersion ${parent} must be an earlier version`, { field: 'lineage.parentVersion' });
            await this.versionRow(model.id, modelName, parent, trx);
          }
          const same = await trx
            .selectFrom('model_versions')
            .select('version')
            .where('model_id', '=', model.id)
            .where('digest', '=', stored.digest)
            .orderBy('version')
            .execute();
          const row: ModelVersionsTable = {
            model_id: model.id,
            version,
            format: meta.format,
            digest: stored.digest,
            size: stored.size,
            signature: signature ? JSON.stringify(signature) : null,
            params: JSON.stringify(meta.params),
            metrics: JSON.stringify(meta.metrics),
            tags: JSON.stringify(meta.tags),
            lineage: JSON.stringify(meta.lineage),
            description: meta.description,
            status: 'active',
            author: by.actor,
            created_at: now,
          };
          await trx.insertInto('model_versions').values(row).execute();
          const created = toVersion(modelName, row, []);
          tx.audit({ action: 'version.create', target: `model:${modelName}/${version}`, after: created, reason: meta.reason });
          const pending = meta.alias ? await this.aliases.moveIn(tx, model, meta.alias, version, { ...by, reason: meta.reason }) : null;
          if (meta.alias && !pending) created.aliases = [meta.alias];
          const warnings = same.length
            ? [`the same artifact (sha256 ${stored.digest}) is already registered as version(s) ${same.map((s) => s.version).join(', ')}`]
            : [];
          if (pending) warnings.push(`approval ${pending.id} requested: ${modelName}@${meta.alias} is protected and moves to version ${version} once approved`);
          return { ...created, warnings };
        },
      });
    } catch (err) {
      if (stored.created) await removeUnreferencedBlobs(this.db, this.blobs, [stored.digest]);
      throw err;
    }
  }

  private async readOnnxSignature(digest: string, size: number): Promise<Signature> {
    if (size > MAX_ONNX_SIGNATURE_READ) {
      throw new AppError('invalid_argument', 'ONNX model over 1 GiB: pass its signature explicitly (--signature)', { field: 'signature' });
    }
    return onnxSignature(await readAll(await this.blobs.get(digest)));
  }


  /**
   * Resolves `3`, an alias, or `latest` (highest active version) to a version. The hit path is one
   * join plus the version's alias names; only a miss pays for finding out which part was missing.
   */
  async get(modelName: string, ref: string | number): Promise<ModelVersion> {
    const r = String(ref);
    let q = this.db
      .selectFrom('models as m')
      .innerJoin('model_versions as v', 'v.model_id', 'm.id')
      .selectAll('v')
      .where('m.name', '=', modelName);
    if (/^\d+$/.test(r)) q = q.where('v.version', '=', Number(r));
    else if (r === 'latest') q = q.where('v.status', '=', 'active').orderBy('v.version', 'desc').limit(1);
    else q = q.innerJoin('aliases as a', (j) => j.onRef('a.model_id', '=', 'm.id').onRef('a.version', '=', 'v.version')).where('a.alias', '=', r);
    const row = await q.executeTakeFirst();
    if (!row) {
      // Name the missing piece: the model, the alias, or the version.
      const model = await this.models.row(modelName);
      await this.versionRow(model.id, modelName, await this.aliases.resolveNumber(model, r));
      throw new AppError('not_found', `version ${r} of model ${modelName} not found`, { model: modelName, ref: r });
    }
    const aliases = await this.db
      .selectFrom('aliases')
      .select('alias')
      .where('model_id', '=', row.model_id)
      .where('version', '=', row.version)
      .execute();
    return toVersion(modelName, row, aliases.map((a) => a.alias));
  }

  async list(modelName: string, query: ListVersionsQuery): Promise<VersionPage> {
    const q = parseInput(ListVersionsQuery, query, 'query');
    const model = await this.models.row(modelName);
    const cursor = decodePageToken(q.pageToken);
    let sel = this.db.selectFrom('model_versions').selectAll().where('model_id', '=', model.id);
    if (q.status) sel = sel.where('status', '=', q.status);
    if (cursor) sel = sel.where('version', q.order === 'asc' ? '>' : '<', Number(cursor.k));
    const rows = await sel.orderBy('version', q.order).limit(q.pageSize + 1).execute();
    const page = rows.slice(0, q.pageSize);
    const aliases = await this.aliasNames(model.id);
    const last = page[page.length - 1];
    return {
      versions: page.map((r) => toVersion(modelName, r, aliases.get(Number(r.version)) ?? [])),
      nextPageToken: rows.length > q.pageSize && last ? encodePageToken({ k: Number(last.version), id: Number(last.version) }) : null,
    };
  }

  /** Only description, tags and status change; everything else about a version is immutable. */
  async update(modelName: string, version: number, input: unknown, by: Actor & { reason?: string }): Promise<ModelVersion> {
    const req = parseInput(UpdateVersionRequest, input);
    return this.writes.run({
      by,
      permission: { role: 'editor', model: modelName },
      apply: async (tx) => {
        const trx = tx.db;
        const model = await this.models.row(modelName, trx);
        const row = await this.versionRow(model.id, modelName, version, trx);
        const aliasNames = (await this.aliasNames(model.id, trx)).get(version) ?? [];
        if (req.status === 'archived' && aliasNames.length > 0) {
          throw new AppError('conflict', `version ${version} of ${modelName} is the target of alias(es) ${aliasNames.join(', ')}; move them before archiving`, {
            aliases: aliasNames,
          });
        }
        const before = toVersion(modelName, row, aliasNames);
        const next: ModelVersionsTable = {
          ...row,
          description: req.description ?? row.description,
          tags: JSON.stringify(mergeTags(before.tags, req.tags)),
          status: req.status ?? row.status,
          signature: req.pii ? JSON.stringify(markPii(before.signature, req.pii)) : row.signature,
        };
        await trx
          .updateTable('model_versions')
          .set({ description: next.description, tags: next.tags, status: next.status, signature: next.signature })
          .where('model_id', '=', model.id)
          .where('version', '=', version)
          .execute();
        const after = toVersion(modelName, next, aliasNames);
        // Serving reloads a version whose personal-data marks changed, so its log hashes them.
        if (next.status !== row.status || next.signature !== row.signature) tx.changed();
        tx.audit({ action: 'version.update', target: `model:${modelName}/${version}`, before, after, reason: by.reason });
        return after;
      },
    });
  }

  /**
   * Deletes a version and what Sextant keeps about it alone (reference data, fairness reports,
   * card fields, validations); refused while an alias names it or a deployment routes to it. Its
   * number is not reused, and its artifact goes when no other version shares it.
   */
  async delete(modelName: string, version: number, by: Actor & { reason?: string }): Promise<void> {
    const permission = { role: 'admin', model: modelName } as const;
    await this.writes.authorize(by, permission);
    const serving = (await this.references.deploymentsServingVersion?.(modelName, version)) ?? [];
    if (serving.length > 0) {
      throw new AppError('conflict', `version ${version} of model ${modelName} is served by deployment(s) ${serving.join(', ')}; route them elsewhere first`, {
        deployments: serving,
      });
    }
    const digest = await this.writes.run({
      by,
      permission,
      apply: async (tx) => {
        const trx = tx.db;
        const model = await this.models.row(modelName, trx);
        const row = await this.versionRow(model.id, modelName, version, trx);
        const aliasNames = (await this.aliasNames(model.id, trx)).get(version) ?? [];
        if (aliasNames.length > 0) {
          throw new AppError('conflict', `version ${version} of model ${modelName} is the target of alias(es) ${aliasNames.join(', ')}; move or delete them first`, {
            aliases: aliasNames,
          });
        }
        for (const table of ['version_references', 'fairness_reports', 'model_cards'] as const) {
          await trx.deleteFrom(table).where('model_id', '=', model.id).where('version', '=', version).execute();
        }
        await trx.deleteFrom('version_validations').where('model', '=', modelName).where('version', '=', version).execute();
        await trx.deleteFrom('model_versions').where('model_id', '=', model.id).where('version', '=', version).execute();
        await trx.updateTable('models').set({ updated_at: tx.now }).where('id', '=', model.id).execute();
        tx.audit({ action: 'version.delete', target: `model:${modelName}/${version}`, before: toVersion(modelName, row, []), after: null, reason: by.reason });
        return row.digest;
      },
    });
    await removeUnreferencedBlobs(this.db, this.blobs, [digest]);
  }

  /** Streams the artifact back; the stream fails if the stored bytes no longer match the digest. */
  async artifact(modelName: string, ref: string | number): Promise<Artifact> {
    const v = await this.get(modelName, ref);
    try {
      const stream = await this.blobs.get(v.digest);
      return { stream, digest: v.digest, size: v.size, filename: `${modelName}-${v.version}.${extensionOf(v.format)}` };
    } catch (err) {
      if ((err as { code?: string }).code === 'BLOB_NOT_FOUND') {
        throw new AppError('unavailable', `the artifact of ${modelName}/${v.version} (sha256 ${v.digest}) is missing from the artifact store`);
      }
      throw err;
    }
  }
}

function extensionOf(format: string): string {
  return format === 'onnx' ? 'onnx' : 'json';
}
