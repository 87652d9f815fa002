// The SDK for browsers (and any runtime with fetch and web streams): no Node modules anywhere
// below this file. The dashboard imports this.
export { createBaseClient as createClient } from './client.js';
export type { BaseClient as SextantClient, ArtifactBody, UploadOptions } from './client.js';
export type { ClientOptions } from './transport.js';
export { SextantError } from './sextant-error.js';
export * from '../contracts/index.js';
