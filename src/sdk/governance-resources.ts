import {
  Approval,
  ApprovalList,
  type DecideApprovalRequest,
  Grant,
  GrantList,
  type ListApprovalsQuery,
  type PromotionRulesInput,
  PromotionRulesList,
  StoredPromotionRules,
  type ProtectAliasRequest,
  ProtectedAlias,
  ProtectedAliasList,
  type Role,
} from '../contracts/index.js';
import { enc, type Query, type Transport } from './transport.js';

/** Who may change what: grants per model, protected aliases and their approvals. */
export function governanceResources(t: Transport) {
  const { call, none } = t;
  return {
    grants: {
      /** Grants on one model (`*`: the grants on every model), or every grant when no model is given. */
      list: async (model?: string) => (await call(GrantList, 'GET', model === undefined ? '/api/v1/grants' : `/api/v1/models/${enc(model)}/grants`)).grants,
      /** Gives `principal` (`token:NAME`) `role` on `model` (or `*`); needs admin there. */
      set: (model: string, principal: string, role: Role) => call(Grant, 'PUT', `/api/v1/models/${enc(model)}/grants/${enc(principal)}`, { body: { role } }),
      /** Removes `principal`'s grant on `model`. */
      revoke: (model: string, principal: string) => none('DELETE', `/api/v1/models/${enc(model)}/grants/${enc(principal)}`),
    },
    protections: {
      /** The protected aliases of a model. */
      list: async (model: string) => (await call(ProtectedAliasList, 'GET', `/api/v1/models/${enc(model)}/protections`)).protections,
      /** Protects an alias: every move becomes an approval request needing `approvals` distinct approvers. */
      protect: (model: string, alias: string, req: ProtectAliasRequest = {}) =>
        call(ProtectedAlias, 'PUT', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}/protection`, { body: req }),
      /** Lets the alias move freely again. */
      unprotect: (model: string, alias: string) => none('DELETE', `/api/v1/models/${enc(model)}/aliases/${enc(alias)}/protection`),
    },
    rules: {
      /** The promotion rules of a model, per alias. */
      list: async (model: string) => (await call(PromotionRulesList, 'GET', `/api/v1/models/${enc(model)}/rules`)).rules,
      /** Sets the rules of an alias (replacing them); a failing rule refuses a move with 412 `failed_precondition`. */
      set: (model: string, alias: string, rules: PromotionRulesInput) => call(StoredPromotionRules, 'PUT', `/api/v1/models/${enc(model)}/rules/${enc(alias)}`, { body: rules }),
    },
    approvals: {
      /** Approval requests newest first, filtered by model and status. */
      list: async (query: ListApprovalsQuery = {}) => (await call(ApprovalList, 'GET', '/api/v1/approvals', { query: query as Query })).approvals,
      /** One request with its approvers and rule evaluation. */
      get: (id: string) => call(Approval, 'GET', `/api/v1/approvals/${enc(id)}`),
      /** Approves a request; the last approval needed makes the move happen. */
      approve: (id: string, reason?: string) => call(Approval, 'POST', `/api/v1/approvals/${enc(id)}/approve`, { body: { reason } satisfies DecideApprovalRequest }),
      /** Rejects a request; the alias stays. */
      reject: (id: string, reason?: string) => call(Approval, 'POST', `/api/v1/approvals/${enc(id)}/reject`, { body: { reason } satisfies DecideApprovalRequest }),
    },
  };
}
