import { z } from 'zod';
import { AuditPack, AuditPackQuery, AuditPublicKey } from '../../contracts/audit-pack.js';
import { AuditPage, AuditVerifyResult, ListAuditQuery } from '../../contracts/audit.js';
import { ModelName } from '../../contracts/common.js';
import { CreatedToken, CreateTokenRequest, Token, TokenList } from '../../contracts/tokens.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';
import { API_VERSION_TEXT } from '../version.js';

const PackParams = z.object({ name: ModelName });
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
