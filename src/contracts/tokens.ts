import { z } from 'zod';
import { Timestamp } from './common.js';

/**
 * Roles, from least to most: `viewer` (read, call inference), `editor` (register versions, edit
 * metadata, tags, references, feedback), `deployer` (move unprotected aliases, deployments,
 * monitors, retraining), `approver` (decide approvals), `admin` (grants, protection, rules, delete,
 * tokens). Each role may do everything the roles below it may.
 */
export const Role = z.enum(['viewer', 'editor', 'deployer', 'approver', 'admin']);
export type Role = z.infer<typeof Role>;

export const CreateTokenRequest = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    role: Role.default('editor'),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .meta({ id: 'CreateTokenRequest' });
export type CreateTokenRequest = z.input<typeof CreateTokenRequest>;

export const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    role: Role,
    prefix: z.string().describe('first characters of the secret, to recognise it'),
    createdAt: Timestamp,
    createdBy: z.string(),
    lastUsedAt: Timestamp.nullable(),
    expiresAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Token' });
export type Token = z.infer<typeof Token>;

export const CreatedToken = Token.extend({ token: z.string().describe('the secret; shown only once') }).meta({
  id: 'CreatedToken',
});
export type CreatedToken = z.infer<typeof CreatedToken>;

export const TokenList = z.object({ tokens: z.array(Token) }).meta({ id: 'TokenList' });
