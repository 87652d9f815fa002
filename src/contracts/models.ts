import { z } from 'zod';
import { ModelName, PageSize, PageToken, TagEdits, Tags, Task, Timestamp } from './common.js';

export const Model = z
  .object({
    name: ModelName,
    description: z.string(),
    owner: z.string(),
    task: Task,
    tags: Tags,
    latestVersion: z.number().int().nullable().describe('highest version number registered, null when none'),
    aliases: z.record(z.string(), z.number().int()).describe('alias → version'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof Model>;

export const CreateModelRequest = z
  .object({
    name: ModelName,
    task: Task,
    description: z.string().max(10_000).default(''),
    owner: z.string().min(1).max(256).optional(),
    tags: Tags.default({}),
  })
  .strict()
  .meta({ id: 'CreateModelRequest' });
export type CreateModelRequest = z.input<typeof CreateModelRequest>;

export const UpdateModelRequest = z
  .object({
    description: z.string().max(10_000).optional(),
    owner: z.string().min(1).max(256).optional(),
    tags: TagEdits.optional(),
  })
  .strict()
  .meta({ id: 'UpdateModelRequest' });
export type UpdateModelRequest = z.input<typeof UpdateModelRequest>;

export const ModelOrder = z.enum(['name', 'createdAt', 'updatedAt']);

export const ListModelsQuery = z
  .object({
    q: z.string().max(128).optional().describe('name substring'),
    tag: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((t) => (t === undefined ? [] : Array.isArray(t) ? t : [t]))
      .describe('KEY or KEY=VALUE, repeatable; all must match'),
    owner: z.string().optional(),
    task: Task.optional(),
    orderBy: ModelOrder.default('name'),
    order: z.enum(['asc', 'desc']).default('asc'),
    pageSize: PageSize,
    pageToken: PageToken,
  })
  .strict();
export type ListModelsQuery = z.input<typeof ListModelsQuery>;

export const ModelPage = z
  .object({ models: z.array(Model), nextPageToken: z.string().nullable() })
  .meta({ id: 'ModelPage' });
export type ModelPage = z.infer<typeof ModelPage>;
