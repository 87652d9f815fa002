import type { ArtifactsConfig } from '../config/index.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

export type { BlobStore, PutOptions, PutResult } from './blob-store.js';
export { FsBlobStore } from './fs-blob-store.js';
export { S3BlobStore } from './s3-blob-store.js';

/** Builds the configured blob store adapter. */
export function openBlobStore(config: ArtifactsConfig): BlobStore {
  return config.kind === 'fs' ? new FsBlobStore(config.root) : new S3BlobStore(config);
}
