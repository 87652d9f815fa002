import { z } from 'zod';
import { AliasName, ModelName, PageSize, PageToken, Sha256Hex, TagEdits, Tags, Timestamp, VersionNumber } from './common.js';

export const ModelFormat = z.enum(['onnx', 'sextant-linear', 'xgboost-json', 'remote']);
export type ModelFormat = z.infer<typeof ModelFormat>;

export const ValueType = z.enum(['float', 'double', 'int32', 'int64', 'bool', 'string']);
export type ValueType = z.infer<typeof ValueType>;

/** One named input feature or output; `shape` uses -1 for a free dimension (the batch). */
export const TensorSpec = z
  .object({
    name: z.string().min(1).max(256),
    type: ValueType,
    shape: z.array(z.number().int().min(-1)).optional(),
    optional: z.boolean().optional(),
    description: z.string().max(1000).optional(),
    pii: z.boolean().optional().describe('personal data: the prediction log keeps a keyed hash of the value, never the value'),
  })
  .strict();
export type TensorSpec = z.infer<typeof TensorSpec>;

const uniqueNames = (specs: TensorSpec[]) => new Set(specs.map((s) => s.name)).size === specs.length;

export const Signature = z
  .object({
    inputs: z.array(TensorSpec).min(1).refine(uniqueNames, 'input names must be unique'),
    outputs: z.array(TensorSpec).default([]).refine(uniqueNames, 'output names must be unique'),
  })
  .strict()
  .meta({ id: 'Signature' });
export type Signature = z.infer<typeof Signature>;

export const Lineage = z
  .object({
    dataDigest: z.string().max(256).optional(),
    dataUri: z.string().max(2048).optional(),
    codeRef: z.string().max(512).optional(),
    parentVersion: VersionNumber.optional(),
    jobId: z.string().max(256).optional(),
  })
  .strict()
  .meta({ id: 'Lineage' });
export type Lineage = z.infer<typeof Lineage>;

export const Params = z.record(z.string().min(1).max(256), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export const Metrics = z.record(z.string().min(1).max(256), z.number());

export const VersionStatus = z.enum(['active', 'deprecated', 'archived']);
export type VersionStatus = z.infer<typeof VersionStatus>;

/** Metadata sent with an artifact upload (the `metadata` part of the multipart body). */
export const RegisterVersionMeta = z
  .object({
    format: ModelFormat,
    signature: Signature.optional(),
    params: Params.default({}),
    metrics: Metrics.default({}),
    tags: Tags.default({}),
    lineage: Lineage.default({}),
    description: z.string().max(10_000).default(''),
    digest: Sha256Hex.optional().describe('expected sha256 of the artifact; the upload is refused when it differs'),
    alias: AliasName.optional().describe('alias to point at the new version'),
    reason: z.string().max(1000).optional(),
  })
  .strict()
  .meta({ id: 'RegisterVersionMeta' });
export type RegisterVersionMeta = z.input<typeof RegisterVersionMeta>;

export const ModelVersion = z
  .object({
    model: ModelName,
    version: VersionNumber,
    format: ModelFormat,
    digest: Sha256Hex,
    size: z.number().int().nonnegative(),
    signature: Signature.nullable(),
    params: Params,
    metrics: Metrics,
    tags: Tags,
    lineage: Lineage,
    description: z.string(),
    status: VersionStatus,
    author: z.string(),
    createdAt: Timestamp,
    aliases: z.array(z.string()),
  })
  .meta({ id: 'ModelVersion' });
export type ModelVersion = z.infer<typeof ModelVersion>;

export const RegisteredVersion = ModelVersion.extend({
  warnings: z.array(z.string()).describe('notices such as the same artifact digest already registered'),
}).meta({ id: 'RegisteredVersion' });
export type RegisteredVersion = z.infer<typeof RegisteredVersion>;

export const UpdateVersionRequest = z
  .object({
    description: z.string().max(10_000).optional(),
    tags: TagEdits.optional(),
    status: VersionStatus.optional(),
    pii: z
      .record(z.string().min(1).max(256), z.boolean())
      .optional()
      .describe('signature input → whether it is personal data (logged as a keyed hash); needs a signature that names the input'),
  })
  .strict()
  .meta({ id: 'UpdateVersionRequest' });
export type UpdateVersionRequest = z.input<typeof UpdateVersionRequest>;

export const ListVersionsQuery = z
  .object({
    status: VersionStatus.optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
    pageSize: PageSize,
    pageToken: PageToken,
  })
  .strict();
export type ListVersionsQuery = z.input<typeof ListVersionsQuery>;

export const VersionPage = z
  .object({ versions: z.array(ModelVersion), nextPageToken: z.string().nullable() })
  .meta({ id: 'VersionPage' });
export type VersionPage = z.infer<typeof VersionPage>;
