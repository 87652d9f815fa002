import type { Task } from '../contracts/common.js';
import type { Model } from '../contracts/models.js';
import type { Lineage, ModelFormat, ModelVersion, Signature, VersionStatus } from '../contracts/versions.js';
import type { ModelsTable, ModelVersionsTable } from '../storage/index.js';

export function toModel(r: ModelsTable, aliases: Record<string, number>): Model {
  return {
    name: r.name,
    description: r.description,
    owner: r.owner,
    task: r.task as Task,
    tags: JSON.parse(r.tags) as Record<string, string>,
    latestVersion: r.latest_version > 0 ? Number(r.latest_version) : null,
    aliases,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toVersion(modelName: string, r: ModelVersionsTable, aliases: string[]): ModelVersion {
  return {
    model: modelName,
    version: Number(r.version),
    format: r.format as ModelFormat,
    digest: r.digest,
    size: Number(r.size),
    signature: r.signature === null ? null : (JSON.parse(r.signature) as Signature),
    params: JSON.parse(r.params) as ModelVersion['params'],
    metrics: JSON.parse(r.metrics) as Record<string, number>,
    tags: JSON.parse(r.tags) as Record<string, string>,
    lineage: JSON.parse(r.lineage) as Lineage,
    description: r.description,
    status: r.status as VersionStatus,
    author: r.author,
    createdAt: r.created_at,
    aliases: [...aliases].sort(),
  };
}

/** Applies tag edits: a string sets the key, null removes it. */
export function mergeTags(current: Record<string, string>, edits: Record<string, string | null> | undefined): Record<string, string> {
  const next = { ...current };
  for (const [k, v] of Object.entries(edits ?? {})) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}
