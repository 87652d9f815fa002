import { Grant, GrantList, type Role } from '../contracts/index.js';
import { enc, type Transport } from './transport.js';

/** Who may change what: grants per model. */
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
  };
}
