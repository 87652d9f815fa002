import type { IncomingHttpHeaders } from 'node:http';
import type { Role } from '../contracts/tokens.js';
import type { Actor } from '../governance/actor.js';
import { roleAllows } from '../governance/index.js';
import type { TokenService } from '../governance/index.js';
import { AppError } from '../shared/app-error.js';

/** What authentication reads of a request (a Fastify request or a bare one). */
export interface Credentials {
  id: unknown;
  headers: IncomingHttpHeaders;
}

const ACTOR_HEADER = /^[\p{L}\p{N} ._@+-]{1,128}$/u;

/**
 * Decides who the caller is. With auth on, a bearer token names the principal and its role must
 * reach the route's; with auth off (loopback only), `x-sextant-actor` names the caller for the
 * audit trail, as MLflow's user header does.
 */
export function authenticate(req: Credentials, needed: Role | 'public', tokens: TokenService, enabled: boolean): Actor | Promise<Actor> {
  const requestId = String(req.id);
  if (!enabled || needed === 'public') {
    // Synchronous on purpose: no promise on the inference path when auth is off.
    const claimed = req.headers['x-sextant-actor'];
    if (claimed === undefined) return { actor: 'anonymous', requestId };
    if (typeof claimed !== 'string' || !ACTOR_HEADER.test(claimed)) {
      throw new AppError('invalid_argument', 'header x-sextant-actor must be 1-128 letters, digits, spaces or ._@+-', { field: 'x-sextant-actor' });
    }
    return { actor: claimed, requestId };
  }
  return verifyBearer(req, needed, tokens, requestId);
}

async function verifyBearer(req: Credentials, needed: Role, tokens: TokenService, requestId: string): Promise<Actor> {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new AppError('unauthenticated', 'missing bearer token: send "Authorization: Bearer <token>" (sextant tokens create)');
  const principal = await tokens.authenticate(match[1]!);
  if (!principal) throw new AppError('unauthenticated', 'the bearer token is unknown, revoked or expired');
  if (!roleAllows(principal.role, needed)) {
    throw new AppError('permission_denied', `token ${principal.name} has role ${principal.role}; this operation needs ${needed}`);
  }
  // The role goes with the actor: the write path adds the principal's grants to it per model.
  return { actor: `token:${principal.name}`, requestId, role: principal.role };
}
