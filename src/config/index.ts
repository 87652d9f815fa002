export { loadConfig, isLoopback } from './load-config.js';
export type { Config, ConfigFlags, DatabaseConfig, ArtifactsConfig } from './load-config.js';
export { loadClientConfig } from './client-config.js';
export type { ClientConfig } from './client-config.js';
export { clientConfigFromProcess, configFromProcess } from './from-process.js';
export type { TracingConfig } from './tracing-config.js';
