import type { MlflowModelVersion, MlflowRegisteredModel, MlflowTag } from '../contracts/mlflow.js';
import type { Model } from '../contracts/models.js';
import type { ModelVersion } from '../contracts/versions.js';

/**
 * Version tags under this prefix hold what MLflow says about a version and Sextant has no field
 * for (its source, run id and run link); MLflow's `tags` lists leave them out, its fields show them.
 */
export const RESERVED_TAG_PREFIX = 'sextant.mlflow.';
export const SOURCE_TAG = `${RESERVED_TAG_PREFIX}source`;
export const RUN_ID_TAG = `${RESERVED_TAG_PREFIX}run_id`;
export const RUN_LINK_TAG = `${RESERVED_TAG_PREFIX}run_link`;
/** A registered model's task when created through MLflow (which has no such field); consumed, not stored as a tag. */
export const TASK_TAG = 'sextant.task';

const ms = (iso: string) => Date.parse(iso);

export function tagList(tags: Record<string, string>): MlflowTag[] {
  return Object.entries(tags)
    .filter(([key]) => !key.startsWith(RESERVED_TAG_PREFIX))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}

/**
 * A Sextant version as MLflow's `ModelVersion`. Stages are deprecated in MLflow and Sextant has
 * aliases instead: an archived version is in stage `Archived`, every other in `None`. Versions are
 * immutable but for description, tags and status, and Sextant keeps no time of those edits, so
 * `last_updated_timestamp` is the creation time.
 */
export function toMlflowVersion(v: ModelVersion): MlflowModelVersion {
  const runLink = v.tags[RUN_LINK_TAG];
  return {
    name: v.model,
    version: String(v.version),
    creation_timestamp: ms(v.createdAt),
    last_updated_timestamp: ms(v.createdAt),
    user_id: v.author,
    current_stage: v.status === 'archived' ? 'Archived' : 'None',
    description: v.description,
    source: v.tags[SOURCE_TAG] ?? `models:/${v.model}/${v.version}`,
    run_id: v.tags[RUN_ID_TAG] ?? '',
    ...(runLink !== undefined ? { run_link: runLink } : {}),
    status: 'READY',
    tags: tagList(v.tags),
    aliases: [...v.aliases].sort(),
  };
}

/** A Sextant model as MLflow's `RegisteredModel`; `latest` is its newest version not archived. */
export function toMlflowModel(m: Model, latest: ModelVersion | null): MlflowRegisteredModel {
  return {
    name: m.name,
    creation_timestamp: ms(m.createdAt),
    last_updated_timestamp: ms(m.updatedAt),
    user_id: m.owner,
    description: m.description,
    latest_versions: latest ? [toMlflowVersion(latest)] : [],
    tags: tagList(m.tags),
    aliases: Object.entries(m.aliases)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

/** `models:/NAME/VERSION` or `models:/NAME@ALIAS` as a model and a version reference; null for other URIs. */
export function parseModelsUri(uri: string): { name: string; ref: string } | null {
  const m = /^models:\/([^@/]+)(?:@([^@/]+)|\/(\d+|latest))\/?$/.exec(uri);
  return m ? { name: m[1]!, ref: m[2] ?? m[3]! } : null;
}
