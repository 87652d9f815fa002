import { z } from 'zod';
import { AuditPack, AuditPackQuery, AuditPublicKey } from '../../contracts/audit-pack.js';
import { AuditPage, AuditVerifyResult, ListAuditQuery } from '../../contracts/audit.js';
import { ModelName } from '../../contracts/common.js';
import { Grant, GrantList, GrantScope, Principal, SetGrantRequest } from '../../contracts/grants.js';
import { CreatedToken, CreateTokenRequest, Token, TokenList } from '../../contracts/tokens.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';
import { API_VERSION_TEXT } from '../version.js';

const PackParams = z.object({ name: ModelName });
const TokenParams = z.object({ id: z.string().min(1).max(128) });
const GrantModelParams = z.object({ name: GrantScope });
const GrantParams = z.object({ name: GrantScope, principal: Principal });

export function governanceRoutes(app: App) {
  const { grants } = app.governance;
  return [
    route({
      method: 'GET',
      url: '/api/v1/models/:name/grants',
      summary: 'Grants on a model (`*`: grants on every model)',
      tag: 'access',
      role: 'viewer',
      params: GrantModelParams,
      response: GrantList,
      handler: async ({ params }) => ({ grants: await grants.list(params.name) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/grants',
      summary: 'Every grant, on every model',
      tag: 'access',
      role: 'viewer',
      response: GrantList,
      handler: async () => ({ grants: await grants.list() }),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/grants/:principal',
      summary: 'Give a principal (token:NAME) a role on a model or on every model (`*`); admin on it',
      tag: 'access',
      role: 'viewer',
      params: GrantParams,
      body: SetGrantRequest,
      response: Grant,
      handler: ({ params, body, actor }) => grants.set(params.name, params.principal, body, actor),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/models/:name/grants/:principal',
      summary: 'Revoke a principal’s grant on a model; admin on it',
      tag: 'access',
      role: 'viewer',
      params: GrantParams,
      handler: ({ params, actor }) => grants.revoke(params.name, params.principal, actor),
    }),
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
      method: 'GET',
      url: '/api/v1/models/:name/audit-pack',
      summary: 'A signed audit pack of a model (or one version): versions, lineage, validations, alias history, approvals and its audit events with their hash links',
      tag: 'audit',
      role: 'viewer',
      params: PackParams,
      query: AuditPackQuery,
      response: AuditPack,
      handler: ({ params, query, actor }) => app.auditPacks.export(params.name, query, actor, API_VERSION_TEXT),
    }),
    route({
      method: 'GET',
      url: '/api/v1/audit/public-key',
      summary: "The Ed25519 public key audit packs are signed with (JSON holding the SPKI PEM)",
      tag: 'audit',
      role: 'viewer',
      response: AuditPublicKey,
      handler: async () => app.signer.publicKey(),
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      summary: 'Create a bearer token (the secret is returned once)',
      tag: 'tokens',
      role: 'viewer',
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
      role: 'viewer',
      params: TokenParams,
      response: Token,
      handler: ({ params, actor }) => app.tokens.revoke(params.id, actor),
    }),
  ];
}
