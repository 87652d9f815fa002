import { type ClientConfig, loadClientConfig } from './client-config.js';
import { type Config, type ConfigFlags, loadConfig } from './load-config.js';

/** The server configuration from this process's environment and the given flags (the CLI's entry). */
export function configFromProcess(flags: ConfigFlags = {}): Config {
  return loadConfig({ env: process.env, flags });
}

/** Where the CLI finds the server, from this process's environment. */
export function clientConfigFromProcess(): ClientConfig {
  return loadClientConfig(process.env);
}
