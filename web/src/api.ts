import { createClient, Role, SextantError, type SextantClient } from '../../src/sdk/browser.js';

export { SextantError };
export type { SextantClient };

const TOKEN_KEY = 'sextant.token';

/** The token of this browser tab (kept for the tab's life only). */
export const storedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token: string | null) => (token === null ? sessionStorage.removeItem(TOKEN_KEY) : sessionStorage.setItem(TOKEN_KEY, token));

/** A client of the server that served the page; without a token the audit trail names it "dashboard". */
export function clientFor(token: string | null): SextantClient {
  return createClient({ baseUrl: '', token: token ?? undefined, actor: token ? undefined : 'dashboard' });
}

/** The message to show for a failed call (with the request id to find it in the server log). */
export function describeError(err: unknown): string {
  if (err instanceof SextantError) return `${err.message}${err.requestId ? ` (request ${err.requestId})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

export const isNotFound = (err: unknown) => err instanceof SextantError && err.status === 404;

const roles = Role.options as readonly string[];
const pick = (preferred: string, fallback: Role): Role => (roles.includes(preferred) ? (preferred as Role) : fallback);

/**
 * The role each kind of control needs, as the server's routes require it. Roles added by the
 * governance model (deployer, approver) are used once the server has them.
 */
export const NEEDS = {
  /** Cancel jobs. */
  write: 'editor' as Role,
  /** Canary, promote, abort, roll back; acknowledge alerts; start retrains. */
  deploy: pick('deployer', 'editor'),
  /** Decide approval requests. */
  approve: pick('approver', 'editor'),
};
