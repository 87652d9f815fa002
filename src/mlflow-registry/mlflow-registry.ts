import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { MlflowModelVersion, MlflowRegisteredModel, MlflowTag } from '../contracts/mlflow.js';
import type { Task } from '../contracts/common.js';
import { Task as TaskSchema } from '../contracts/common.js';
import type { ModelVersion, RegisterVersionMeta } from '../contracts/versions.js';
import type { BlobStore } from '../artifacts/index.js';
import { type Registry, toModel, toVersion } from '../registry/index.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/app-error.js';
import { parseInput } from '../shared/parse.js';
import type { DB, Writes } from '../storage/index.js';
import { RESERVED_TAG_PREFIX, RUN_ID_TAG, RUN_LINK_TAG, SOURCE_TAG, TASK_TAG, parseModelsUri, toMlflowModel, toMlflowVersion } from './entities.js';
import { readMlmodel } from './mlmodel.js';
import { type SourceAccess, openModelDirectory, readSmall } from './model-source.js';
import { type Searchable, compareBy, matches, parseFilter, parseOrderBy } from './search-filter.js';

const MAX_MLMODEL_BYTES = 1024 * 1024;

/** An offset page token: MLflow's own are offsets too, opaque to its clients. */
function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');
}
function decodeOffset(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // the error below
  }
  throw new AppError('invalid_argument', 'page_token: not a token this server issued', { field: 'page_token' });
}

function tagRecord(tags: readonly MlflowTag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    if (t.key.startsWith(RESERVED_TAG_PREFIX)) throw new AppError('invalid_argument', `tag ${t.key}: keys starting with ${RESERVED_TAG_PREFIX} are Sextant's`, { field: 'tags' });
    out[t.key] = t.value;
  }
  return out;
}

function refuseReserved(key: string): void {
  if (key.startsWith(RESERVED_TAG_PREFIX)) throw new AppError('invalid_argument', `tag ${key}: keys starting with ${RESERVED_TAG_PREFIX} are Sextant's`, { field: 'key' });
}

/** An alias as MLflow names it; a number would read as a version in Sextant's references. */
function aliasRef(alias: string): string {
  if (/^\d+$/.test(alias)) throw new AppError('not_found', `alias ${alias} not found`);
  return alias;
}

/**
 * The MLflow Model Registry over Sextant's registry: every change goes through the same services
 * (and so the same write seam, roles, audit and approvals) as the native API; searches read the
 * registry tables directly, as every read does.
 */
export class MlflowRegistry {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly registry: Registry,
    private readonly writes: Writes,
    private readonly blobs: BlobStore,
    private readonly sources: SourceAccess,
  ) {}

  /** The newest version of each model that is not archived, by model id. */
  private async latestOf(modelIds: string[], names: Map<string, string>): Promise<Map<string, ModelVersion>> {
    const out = new Map<string, ModelVersion>();
    if (modelIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('model_versions as v')
      .selectAll('v')
      .where('v.model_id', 'in', modelIds)
      .where('v.status', '!=', 'archived')
      .where(({ eb, selectFrom }) =>
        eb('v.version', '=', selectFrom('model_versions as w').select(({ fn }) => fn.max('w.version').as('m')).whereRef('w.model_id', '=', 'v.model_id').where('w.status', '!=', 'archived')),
      )
      .execute();
    const aliases = await this.aliasRows(modelIds);
    for (const r of rows) out.set(r.model_id, toVersion(names.get(r.model_id)!, r, aliases.get(`${r.model_id}/${r.version}`) ?? []));
    return out;
  }

  private async aliasRows(modelIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (modelIds.length === 0) return out;
    const rows = await this.db.selectFrom('aliases').select(['model_id', 'alias', 'version']).where('model_id', 'in', modelIds).execute();
    for (const r of rows) {
      const key = `${r.model_id}/${Number(r.version)}`;
      out.set(key, [...(out.get(key) ?? []), r.alias]);
    }
    return out;
  }

  async getModel(name: string): Promise<MlflowRegisteredModel> {
    const row = await this.registry.models.row(name);
    const model = await this.registry.models.get(name);
    const latest = await this.latestOf([row.id], new Map([[row.id, name]]));
    return toMlflowModel(model, latest.get(row.id) ?? null);
  }

  async createModel(req: { name: string; tags: MlflowTag[]; description?: string }, by: Actor): Promise<MlflowRegisteredModel> {
    const tags = tagRecord(req.tags);
    let task: Task = 'binary-classification';
    if (TASK_TAG in tags) {
      task = parseInput(TaskSchema, tags[TASK_TAG], TASK_TAG);
      delete tags[TASK_TAG];
    }
    await this.registry.models.create({ name: req.name, task, description: req.description ?? '', tags }, by);
    return this.getModel(req.name);
  }

  async renameModel(name: string, newName: string, by: Actor): Promise<MlflowRegisteredModel> {
    await this.registry.models.rename(name, newName, by);
    return this.getModel(newName);
  }

  async updateModel(name: string, description: string | undefined, by: Actor): Promise<MlflowRegisteredModel> {
    if (description !== undefined) await this.registry.models.update(name, { description }, by);
    else await this.registry.models.row(name);
    return this.getModel(name);
  }

  async setModelTag(name: string, key: string, value: string, by: Actor): Promise<void> {
    refuseReserved(key);
    await this.registry.models.update(name, { tags: { [key]: value } }, by);
  }

  async deleteModelTag(name: string, key: string, by: Actor): Promise<void> {
    await this.registry.models.update(name, { tags: { [key]: null } }, by);
  }

  async searchModels(q: { filter?: string; max_results: number; order_by: string[]; page_token?: string }): Promise<{ registered_models: MlflowRegisteredModel[]; next_page_token?: string }> {
    const filter = parseFilter(q.filter, ['name']);
    const order = parseOrderBy(q.order_by, ['name', 'creation_timestamp', 'last_updated_timestamp'], { timestamp: 'last_updated_timestamp' });
    const offset = decodeOffset(q.page_token);
    // `name = 'x'` narrows in SQL; every other comparison is checked on the rows.
    const exact = filter.find((c) => c.kind === 'string' && c.field === 'name' && c.op === '=');
    let sel = this.db.selectFrom('models').selectAll();
    if (exact && exact.kind === 'string') sel = sel.where('name', '=', exact.value);
    const rows = await sel.execute();
    const entities = rows.map((r) => {
      const model = toModel(r, {});
      const s: Searchable = { fields: { name: r.name, creation_timestamp: Date.parse(r.created_at), last_updated_timestamp: Date.parse(r.updated_at) }, tags: model.tags };
      return { row: r, s };
    });
    const hits = entities.filter((e) => matches(e.s, filter));
    const byOrder = compareBy([...order, { field: 'name', desc: false }]);
    const sorted = hits.sort((a, b) => byOrder(a.s, b.s));
    const page = sorted.slice(offset, offset + q.max_results);
    const ids = page.map((p) => p.row.id);
    const names = new Map(page.map((p) => [p.row.id, p.row.name]));
    const latest = await this.latestOf(ids, names);
    const aliases = await this.aliasRows(ids);
    const aliasMap = (id: string): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [key, list] of aliases) {
        const [mid, v] = key.split('/');
        if (mid === id) for (const a of list) out[a] = Number(v);
      }
      return out;
    };
    return {
      registered_models: page.map((p) => toMlflowModel(toModel(p.row, aliasMap(p.row.id)), latest.get(p.row.id) ?? null)),
      ...(offset + q.max_results < sorted.length ? { next_page_token: encodeOffset(offset + q.max_results) } : {}),
    };
  }

  async searchVersions(q: { filter?: string; max_results: number; order_by: string[]; page_token?: string }): Promise<{ model_versions: MlflowModelVersion[]; next_page_token?: string }> {
    const filter = parseFilter(q.filter, ['name', 'run_id', 'version_number', 'source_path']);
    const order = parseOrderBy(q.order_by, ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'], { version: 'version_number', timestamp: 'last_updated_timestamp' });
    const offset = decodeOffset(q.page_token);
    const exact = filter.find((c) => c.kind === 'string' && c.field === 'name' && c.op === '=');
    let sel = this.db.selectFrom('model_versions as v').innerJoin('models as m', 'm.id', 'v.model_id').selectAll('v').select('m.name as model_name');
    if (exact && exact.kind === 'string') sel = sel.where('m.name', '=', exact.value);
    const rows = await sel.execute();
    const hits = rows
      .map((r) => {
        const tags = JSON.parse(r.tags) as Record<string, string>;
        const created = Date.parse(r.created_at);
        const fields = {
          name: r.model_name,
          version_number: Number(r.version),
          run_id: tags[RUN_ID_TAG] ?? '',
          source_path: tags[SOURCE_TAG] ?? `models:/${r.model_name}/${Number(r.version)}`,
          creation_timestamp: created,
          last_updated_timestamp: created,
        };
        return { row: r, s: { fields, tags } satisfies Searchable };
      })
      .filter((e) => matches(e.s, filter));
    const byOrder = compareBy([...order, { field: 'name', desc: false }, { field: 'version_number', desc: true }]);
    hits.sort((a, b) => byOrder(a.s, b.s));
    const page = hits.slice(offset, offset + q.max_results);
    const aliases = await this.aliasRows([...new Set(page.map((p) => p.row.model_id))]);
    return {
      model_versions: page.map((p) => toMlflowVersion(toVersion(p.row.model_name, p.row, aliases.get(`${p.row.model_id}/${Number(p.row.version)}`) ?? []))),
      ...(offset + q.max_results < hits.length ? { next_page_token: encodeOffset(offset + q.max_results) } : {}),
    };
  }

  /** MLflow stages on Sextant: `None` is the newest version not archived, `Archived` the newest archived; other stages hold none. */
  async latestVersions(name: string, stages: string[]): Promise<MlflowModelVersion[]> {
    const model = await this.registry.models.row(name);
    const wanted = stages.length === 0 ? ['none', 'archived'] : stages.map((s) => s.toLowerCase());
    const known = ['none', 'staging', 'production', 'archived'];
    const unknown = wanted.filter((s) => !known.includes(s));
    if (unknown.length > 0) throw new AppError('invalid_argument', `stages: ${unknown.join(', ')} is not a stage (None, Staging, Production, Archived)`, { field: 'stages' });
    const out: MlflowModelVersion[] = [];
    for (const [stage, archived] of [['none', false], ['archived', true]] as const) {
      if (!wanted.includes(stage)) continue;
      let sel = this.db.selectFrom('model_versions').select('version').where('model_id', '=', model.id);
      sel = archived ? sel.where('status', '=', 'archived') : sel.where('status', '!=', 'archived');
      const row = await sel.orderBy('version', 'desc').limit(1).executeTakeFirst();
      if (row) out.push(toMlflowVersion(await this.registry.versions.get(name, Number(row.version))));
    }
    return out;
  }

  async getVersion(name: string, version: number): Promise<MlflowModelVersion> {
    return toMlflowVersion(await this.registry.versions.get(name, version));
  }

  async versionByAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    return toMlflowVersion(await this.registry.versions.get(name, aliasRef(alias)));
  }

  /**
   * Moves an alias. A protected alias is not moved: the move becomes an approval request, which
   * is returned for the route to answer (MLflow has no message for "accepted, pending").
   */
  async setAlias(name: string, alias: string, version: number, by: Actor): Promise<{ approval?: { id: string } & Record<string, unknown> }> {
    const result: object = await this.registry.aliases.set(name, alias, { version }, by);
    return 'approval' in result ? { approval: result.approval as { id: string } & Record<string, unknown> } : {};
  }

  async deleteAlias(name: string, alias: string, by: Actor): Promise<void> {
    await this.registry.aliases.delete(name, aliasRef(alias), by);
  }

  async updateVersion(name: string, version: number, description: string | undefined, by: Actor): Promise<MlflowModelVersion> {
    if (description !== undefined) return toMlflowVersion(await this.registry.versions.update(name, version, { description }, by));
    return this.getVersion(name, version);
  }

  async setVersionTag(name: string, version: number, key: string, value: string, by: Actor): Promise<void> {
    refuseReserved(key);
    await this.registry.versions.update(name, version, { tags: { [key]: value } }, by);
  }

  async deleteVersionTag(name: string, version: number, key: string, by: Actor): Promise<void> {
    refuseReserved(key);
    await this.registry.versions.update(name, version, { tags: { [key]: null } }, by);
  }

  async deleteVersion(name: string, version: number, by: Actor): Promise<void> {
    await this.registry.versions.delete(name, version, by);
  }

  /**
   * Where the version's files are: the MLflow source it was created from, else (a version
   * registered through Sextant's own API) the URL of its artifact download.
   */
  async downloadUri(name: string, version: number, baseUrl: string): Promise<string> {
    const v = await this.registry.versions.get(name, version);
    return v.tags[SOURCE_TAG] ?? `${baseUrl}/api/v1/models/${encodeURIComponent(v.model)}/versions/${v.version}/artifact`;
  }

  /**
   * Registers a version from an MLflow model directory (its MLmodel's onnx or xgboost flavor and
   * signature) or from a registered version (`models:/NAME/VERSION`, `models:/NAME@ALIAS`), through
   * the registry's own registration.
   */
  async createVersion(
    req: { name: string; source: string; run_id?: string; tags: MlflowTag[]; run_link?: string; description?: string },
    by: Actor,
  ): Promise<MlflowModelVersion> {
    // Refused before the source is looked at: what a source holds is not for callers who may not register.
    await this.writes.authorize(by, { role: 'editor', model: req.name });
    await this.registry.models.row(req.name);
    const tags: Record<string, string> = { ...tagRecord(req.tags), [SOURCE_TAG]: req.source };
    if (req.run_id) tags[RUN_ID_TAG] = req.run_id;
    if (req.run_link) tags[RUN_LINK_TAG] = req.run_link;
    const meta: RegisterVersionMeta = { format: 'onnx', description: req.description ?? '', tags };
    let body: Readable;
    const uri = parseModelsUri(req.source);
    if (uri) {
      const from = await this.registry.versions.get(uri.name, uri.ref);
      await this.writes.authorize(by, { role: 'viewer', model: from.model });
      meta.format = from.format;
      meta.digest = from.digest;
      if (from.signature) meta.signature = from.signature;
      if (from.model === req.name) meta.lineage = { parentVersion: from.version };
      body = await this.blobs.get(from.digest);
    } else {
      const dir = await openModelDirectory(req.source, this.sources);
      const choice = readMlmodel(await readSmall(dir, 'MLmodel', MAX_MLMODEL_BYTES));
      meta.format = choice.format;
      if (choice.signature) meta.signature = choice.signature;
      if (!req.run_id && choice.runId) tags[RUN_ID_TAG] = choice.runId;
      body = await dir.open(choice.file);
      if (choice.flavor === 'xgboost') body = await xgboostJson(body, req.source, choice.file);
    }
    try {
      return toMlflowVersion(await this.registry.versions.register(req.name, body, meta, by));
    } catch (err) {
      // A registration refused before it read the file must not leave its file or socket open.
      body.destroy();
      throw err;
    }
  }
}

/** The xgboost flavor's file as a stream again, after checking it is XGBoost JSON (Sextant does not read the binary formats). */
async function xgboostJson(stream: Readable, source: string, file: string): Promise<Readable> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  const bytes = Buffer.concat(chunks);
  const first = bytes.toString('utf8', 0, Math.min(bytes.length, 64)).trimStart()[0];
  if (first !== '{') {
    throw new AppError('invalid_argument', `source ${source}: the xgboost flavor's ${file} is not XGBoost JSON; log the model with mlflow.xgboost.log_model(..., model_format="json")`, {
      field: 'source',
    });
  }
  return Readable.from([bytes]);
}
