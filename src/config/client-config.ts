import os from 'node:os';

/** Where the CLI finds the server: SEXTANT_URL (default http://127.0.0.1:8080) and SEXTANT_TOKEN. */
export interface ClientConfig {
  url: string;
  token?: string;
  actor?: string;
}

export function loadClientConfig(env: NodeJS.ProcessEnv, flags: { url?: string; token?: string } = {}): ClientConfig {
  return {
    url: flags.url ?? env.SEXTANT_URL ?? 'http://127.0.0.1:8080',
    token: flags.token ?? (env.SEXTANT_TOKEN || undefined),
    actor: env.SEXTANT_ACTOR ?? env.USER ?? safeUsername(),
  };
}

function safeUsername(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
