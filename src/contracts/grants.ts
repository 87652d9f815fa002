import { z } from 'zod';
import { ModelName, Timestamp } from './common.js';
import { Role } from './tokens.js';

/** Who a grant is for: a token by name (`token:NAME`). */
export const Principal = z
  .string()
  .regex(/^token:[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be token:NAME (the name a token was created with)');

/** A model by name, or `*` for every model. */
export const GrantScope = z.union([z.literal('*'), ModelName]);

export const SetGrantRequest = z.object({ role: Role }).strict().meta({ id: 'SetGrantRequest' });
export type SetGrantRequest = z.input<typeof SetGrantRequest>;

/** A principal's role on one model or on every model (`*`); the effective role is the highest of the global role and the grants. */
export const Grant = z
  .object({
    model: GrantScope,
    principal: Principal,
    role: Role,
    grantedBy: z.string(),
    grantedAt: Timestamp,
  })
  .meta({ id: 'Grant' });
export type Grant = z.infer<typeof Grant>;

export const GrantList = z.object({ grants: z.array(Grant) }).meta({ id: 'GrantList' });
export type GrantList = z.infer<typeof GrantList>;
