import type { Kysely } from 'kysely';
import type { BlobStore } from '../artifacts/index.js';
import type { DB, Writes, WriteTx } from '../storage/index.js';
import { AliasService } from './alias-service.js';
import { removeUnreferencedBlobs } from './blob-gc.js';
import { ModelService, noReferences, type ModelReferences } from './model-service.js';
import { type ArtifactInspector, VersionService } from './version-service.js';

export { AliasService } from './alias-service.js';
export { openGate } from './alias-gate.js';
export type { AliasGate, AliasMove } from './alias-gate.js';
export { ModelService } from './model-service.js';
export type { ModelReferences } from './model-service.js';
export { VersionService } from './version-service.js';
export type { Artifact, ArtifactInspector } from './version-service.js';
export { onnxSignature } from './onnx-signature.js';
export { toModel, toVersion } from './rows.js';

export interface Registry {
  models: ModelService;
  versions: VersionService;
  aliases: AliasService;
}

/** Wires the registry services over one database and blob store. */
export function createRegistry(deps: {
  db: Kysely<DB>;
  writes: Writes;
  blobs: BlobStore;
  maxArtifactBytes: number;
  references?: ModelReferences;
  inspectArtifact?: ArtifactInspector;
  /** Runs inside a model's creation, e.g. to grant its creator a role. */
  onModelCreated?: (tx: WriteTx, model: string) => Promise<void>;
}): Registry {
  const models = new ModelService(deps.db, deps.writes, (digests) => removeUnreferencedBlobs(deps.db, deps.blobs, digests), deps.references ?? noReferences, deps.onModelCreated);
  const aliases = new AliasService(deps.db, deps.writes, models, deps.references);
  const versions = new VersionService(deps.db, deps.blobs, deps.writes, models, aliases, deps.maxArtifactBytes, deps.inspectArtifact, deps.references);
  return { models, versions, aliases };
}
