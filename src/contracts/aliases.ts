import { z } from 'zod';
import { ModelName, Timestamp, VersionNumber } from './common.js';

export const SetAliasRequest = z
  .object({ version: VersionNumber, reason: z.string().max(1000).optional() })
  .strict()
  .meta({ id: 'SetAliasRequest' });
export type SetAliasRequest = z.input<typeof SetAliasRequest>;

export const Alias = z
  .object({
    model: ModelName,
    alias: z.string(),
    version: VersionNumber,
    previousVersion: VersionNumber.nullable(),
    updatedAt: Timestamp,
    updatedBy: z.string(),
  })
  .meta({ id: 'Alias' });
export type Alias = z.infer<typeof Alias>;

export const AliasList = z.object({ aliases: z.array(Alias) }).meta({ id: 'AliasList' });

export const RollbackRequest = z
  .object({ alias: z.string().min(1), reason: z.string().max(1000).optional() })
  .strict()
  .meta({ id: 'RollbackRequest' });
export type RollbackRequest = z.input<typeof RollbackRequest>;

/** One period during which an alias pointed at a version (`version` null: the alias was deleted). */
export const AliasPeriod = z
  .object({
    alias: z.string(),
    version: VersionNumber.nullable(),
    from: Timestamp,
    to: Timestamp.nullable(),
    action: z.enum(['set', 'rollback', 'delete']),
    actor: z.string(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'AliasPeriod' });
export type AliasPeriod = z.infer<typeof AliasPeriod>;

export const AliasHistory = z
  .object({ model: ModelName, periods: z.array(AliasPeriod) })
  .meta({ id: 'AliasHistory' });
export type AliasHistory = z.infer<typeof AliasHistory>;
