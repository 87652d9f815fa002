export { createClient } from './node-client.js';
export type { SextantClient, ArtifactDownload } from './node-client.js';
export type { UploadOptions } from './client.js';
export type { ClientOptions } from './transport.js';
export { SextantError } from './sextant-error.js';
export * from '../contracts/index.js';
