import { z } from 'zod';
import { AuditPage, AuditVerifyResult, ListAuditQuery } from '../../contracts/audit.js';
import { CreatedToken, CreateTokenRequest, Token, TokenList } from '../../contracts/tokens.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

const TokenParams = z.object({ id: z.string().min(1).max(128) });

export function governanceRoutes(app: App) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/audit',
      summary: 'List audit events (filter by target, actor, action, time)',
      tag: 'audit',
      role: 'viewer',
      query: ListAuditQuery,
      response: AuditPage,
      handler: ({ query }) => app.audit.list(query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/audit/verify',
      summary: 'Walk the hash chain and report the first broken link',
      tag: 'audit',
      role: 'viewer',
      response: AuditVerifyResult,
      handler: () => app.audit.verify(),
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      summary: 'Create a bearer token (the secret is returned once)',
      tag: 'tokens',
      role: 'admin',
      body: CreateTokenRequest,
      response: CreatedToken,
      status: 201,
      handler: ({ body, actor }) => app.tokens.create(body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      summary: 'List tokens (never their secrets)',
      tag: 'tokens',
      role: 'admin',
      response: TokenList,
      handler: async () => ({ tokens: await app.tokens.list() }),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke a token by id or name',
      tag: 'tokens',
      role: 'admin',
      params: TokenParams,
      response: Token,
      handler: ({ params, actor }) => app.tokens.revoke(params.id, actor),
    }),
  ];
}
