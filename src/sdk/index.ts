export { createClient } from './client.js';
export type { ClientOptions, SextantClient, UploadOptions, ArtifactDownload } from './client.js';
export { SextantError } from './sextant-error.js';
export * from '../contracts/index.js';
