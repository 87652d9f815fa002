import { z } from 'zod';
import { Approval, ApprovalList, DecideApprovalRequest, ListApprovalsQuery } from '../../contracts/approvals.js';
import { AliasName, ModelName } from '../../contracts/common.js';
import { PromotionRules, PromotionRulesList, StoredPromotionRules } from '../../contracts/promotion-rules.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

const Params = z.object({ id: z.string().min(1).max(64) });
const RulesParams = z.object({ name: ModelName, alias: AliasName });

export function approvalRoutes(app: App) {
  const { approvals, rules } = app.governance;
  return [
    route({
      method: 'PUT',
      url: '/api/v1/models/:name/rules/:alias',
      summary: 'Set the promotion rules of an alias (admin on the model): every move of it is judged against them first',
      tag: 'approvals',
      role: 'viewer',
      params: RulesParams,
      body: PromotionRules,
      response: StoredPromotionRules,
      handler: ({ params, body, actor }) => rules.set(params.name, params.alias, body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/rules',
      summary: 'The promotion rules of a model, per alias',
      tag: 'approvals',
      role: 'viewer',
      params: z.object({ name: ModelName }),
      response: PromotionRulesList,
      handler: async ({ params }) => ({ rules: await rules.list(params.name) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/approvals',
      summary: 'Approval requests for moves of protected aliases, newest first',
      tag: 'approvals',
      role: 'viewer',
      query: ListApprovalsQuery,
      response: ApprovalList,
      handler: async ({ query }) => ({ approvals: await approvals.list(query) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/approvals/:id',
      summary: 'One approval request with its approvers and rule evaluation',
      tag: 'approvals',
      role: 'viewer',
      params: Params,
      response: Approval,
      handler: ({ params }) => approvals.get(params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/approvals/:id/approve',
      summary: 'Approve (approver on the model; not the requester nor the version author); the last approval needed moves the alias',
      tag: 'approvals',
      role: 'viewer',
      params: Params,
      body: DecideApprovalRequest,
      response: Approval,
      handler: async ({ params, body, actor }) => {
        const decided = await approvals.approve(params.id, body, actor);
        // The move (if this was the last approval) serves here at once; other processes follow the change sequence.
        await app.serving.live.refresh();
        return decided;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/approvals/:id/reject',
      summary: 'Reject (approver on the model); the alias stays',
      tag: 'approvals',
      role: 'viewer',
      params: Params,
      body: DecideApprovalRequest,
      response: Approval,
      handler: ({ params, body, actor }) => approvals.reject(params.id, body, actor),
    }),
  ];
}
