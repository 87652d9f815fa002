import { z } from 'zod';
import { Alias, AliasHistory, AliasList, RollbackRequest, SetAliasRequest } from '../../contracts/aliases.js';
import { ApprovalRequested, ProtectAliasRequest, ProtectedAlias, ProtectedAliasList } from '../../contracts/approvals.js';
import { ModelName } from '../../contracts/common.js';
import { ModelVersion } from '../../contracts/versions.js';
import type { App } from '../../app.js';
import { AppError } from '../../shared/app-error.js';
import { route } from '../route-spec.js';
import { NameParams, ReasonQuery } from './models.js';

const AliasParams = z.object({ name: ModelName, alias: z.string().min(1).max(64) });
const HistoryQuery = z.object({ alias: z.string().max(64).optional() });
const ResolveQuery = z.object({ ref: z.string().min(1).max(200) });

/** Parses `name@alias`, `name@latest` or `name/3`, also as MLflow writes them (`models:/name@alias`, `models:/name/3`). */
export function parseModelRef(ref: string): { name: string; ref: string } {
  const m = /^(?:models:\/)?([^@/]+)(?:@([^@/]+)|\/(\d+))$/.exec(ref);
  if (!m) throw new AppError('invalid_argument', `ref must look like NAME@ALIAS, NAME@latest or NAME/VERSION (or models:/NAME@ALIAS, models:/NAME/VERSION), got ${JSON.stringify(ref)}`, { field: 'ref' });
  return { name: m[1]!, ref: m[2] ?? m[3]! };
}

export function aliasRoutes(app: App) {
  const { aliases, versions } = app.registry;
  const { protections } = app.governance;
  return [
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/aliases/:alias/protection',
      summary: 'Protect an alias: every move becomes an approval request (admin on the model)',
      tag: 'approvals',
      role: 'viewer',
      params: AliasParams,
      body: ProtectAliasRequest,
      response: ProtectedAlias,
      handler: ({ params, body, actor }) => protections.protect(params.name, params.alias, body, actor),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/models/:name/aliases/:alias/protection',
      summary: 'Unprotect an alias (admin on the model); open requests stay open',
      tag: 'approvals',
      role: 'viewer',
      params: AliasParams,
      handler: ({ params, actor }) => protections.unprotect(params.name, params.alias, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/protections',
      summary: 'The protected aliases of a model',
      tag: 'approvals',
      role: 'viewer',
      params: NameParams,
      response: ProtectedAliasList,
      handler: async ({ params }) => ({ protections: await protections.list(params.name) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/aliases',
      summary: 'List aliases of a model',
      tag: 'aliases',
      role: 'viewer',
      params: NameParams,
      response: AliasList,
      handler: async ({ params }) => ({ aliases: await aliases.list(params.name) }),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/aliases/:alias',
      summary: 'Set or move an alias (recorded with who, when and why); a protected alias answers 202 with the approval request',
      tag: 'aliases',
      role: 'viewer',
      params: AliasParams,
      body: SetAliasRequest,
      response: z.union([Alias, ApprovalRequested]),
      handler: ({ params, body, actor }) => aliases.set(params.name, params.alias, body, actor),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/models/:name/aliases/:alias',
      summary: 'Delete an alias',
      tag: 'aliases',
      role: 'viewer',
      params: AliasParams,
      query: ReasonQuery,
      handler: async ({ params, query, actor }) => {
        await aliases.delete(params.name, params.alias, { ...actor, reason: query.reason });
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/models/:name/rollback',
      summary: 'Move an alias back to the version it held before its last move; a protected alias answers 202 with the approval request',
      tag: 'aliases',
      role: 'viewer',
      params: NameParams,
      body: RollbackRequest,
      response: z.union([Alias, ApprovalRequested]),
      handler: ({ params, body, actor }) => aliases.rollback(params.name, body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/history',
      summary: 'Which version each alias held over time',
      tag: 'aliases',
      role: 'viewer',
      params: NameParams,
      query: HistoryQuery,
      response: AliasHistory,
      handler: ({ params, query }) => aliases.history(params.name, query.alias),
    }),
    route({
      method: 'GET',
      url: '/api/v1/resolve',
      summary: 'Resolve NAME@ALIAS, NAME@latest or NAME/VERSION to a version',
      tag: 'versions',
      role: 'viewer',
      query: ResolveQuery,
      response: ModelVersion,
      handler: async ({ query }) => {
        const { name, ref } = parseModelRef(query.ref);
        return versions.get(name, ref);
      },
    }),
  ];
}
