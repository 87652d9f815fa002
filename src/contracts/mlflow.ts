import { z } from 'zod';

/**
 * MLflow Model Registry REST shapes (`mlflow/protos/model_registry.proto`, proto2 JSON): field
 * names in snake_case, version numbers as strings, timestamps as milliseconds, tags and aliases as
 * lists. Requests arrive as JSON bodies (POST, PATCH, DELETE) or query strings (GET, and DELETE
 * from clients that send one), so numbers and versions are accepted as strings or numbers.
 */

/** A version number as MLflow sends it: `"3"` or `3`. */
export const MlflowVersionRef = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^\d{1,9}$/, 'must be a model version number (a positive integer)'))
  .transform(Number)
  .pipe(z.number().int().positive('must be a model version number (a positive integer)'));

/** A list field: a query string gives one value or several; a body gives a list. */
const StringList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const Name = z.string().min(1).max(256);
const TagKey = z.string().min(1).max(250);
const TagValue = z.string().max(5000);

export const MlflowTag = z.object({ key: TagKey, value: TagValue });
export type MlflowTag = z.infer<typeof MlflowTag>;

const maxResults = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .default(fallback);

export const CreateRegisteredModel = z.object({
  name: Name,
  tags: z.array(MlflowTag).max(100).default([]),
  description: z.string().max(10_000).optional(),
});
export const RenameRegisteredModel = z.object({ name: Name, new_name: Name });
export const UpdateRegisteredModel = z.object({ name: Name, description: z.string().max(10_000).optional() });
export const NameOnly = z.object({ name: Name });
export const SearchRegisteredModels = z.object({
  filter: z.string().max(4096).optional(),
  max_results: maxResults(100, 1000),
  order_by: StringList,
  page_token: z.string().max(2048).optional(),
});
export const GetLatestVersions = z.object({ name: Name, stages: StringList });
export const SetRegisteredModelTag = z.object({ name: Name, key: TagKey, value: TagValue });
export const DeleteRegisteredModelTag = z.object({ name: Name, key: TagKey });
export const SetRegisteredModelAlias = z.object({ name: Name, alias: z.string().min(1).max(256), version: MlflowVersionRef });
export const AliasRef = z.object({ name: Name, alias: z.string().min(1).max(256) });

export const CreateModelVersion = z.object({
  name: Name,
  source: z.string().min(1).max(4096),
  run_id: z.string().max(256).optional(),
  tags: z.array(MlflowTag).max(100).default([]),
  run_link: z.string().max(2048).optional(),
  description: z.string().max(10_000).optional(),
});
export const VersionRef = z.object({ name: Name, version: MlflowVersionRef });
export const UpdateModelVersion = z.object({ name: Name, version: MlflowVersionRef, description: z.string().max(10_000).optional() });
export const SearchModelVersions = z.object({
  filter: z.string().max(4096).optional(),
  max_results: maxResults(10_000, 200_000),
  order_by: StringList,
  page_token: z.string().max(2048).optional(),
});
export const SetModelVersionTag = z.object({ name: Name, version: MlflowVersionRef, key: TagKey, value: TagValue });
export const DeleteModelVersionTag = z.object({ name: Name, version: MlflowVersionRef, key: TagKey });

/** `ModelVersion` as MLflow returns it. */
export const MlflowModelVersion = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: z.number().int(),
  last_updated_timestamp: z.number().int(),
  user_id: z.string(),
  current_stage: z.string(),
  description: z.string(),
  source: z.string(),
  run_id: z.string(),
  run_link: z.string().optional(),
  status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']),
  tags: z.array(MlflowTag),
  aliases: z.array(z.string()),
});
export type MlflowModelVersion = z.infer<typeof MlflowModelVersion>;

/** `RegisteredModel` as MLflow returns it. */
export const MlflowRegisteredModel = z.object({
  name: z.string(),
  creation_timestamp: z.number().int(),
  last_updated_timestamp: z.number().int(),
  user_id: z.string(),
  description: z.string(),
  latest_versions: z.array(MlflowModelVersion),
  tags: z.array(MlflowTag),
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })),
});
export type MlflowRegisteredModel = z.infer<typeof MlflowRegisteredModel>;

export const RegisteredModelResponse = z.object({ registered_model: MlflowRegisteredModel });
export const ModelVersionResponse = z.object({ model_version: MlflowModelVersion });
export const RegisteredModelsPage = z.object({ registered_models: z.array(MlflowRegisteredModel), next_page_token: z.string().optional() });
export const ModelVersionsPage = z.object({ model_versions: z.array(MlflowModelVersion), next_page_token: z.string().optional() });
export const ModelVersionList = z.object({ model_versions: z.array(MlflowModelVersion) });
export const DownloadUri = z.object({ artifact_uri: z.string() });
export const Empty = z.object({});

/** MLflow's error codes Sextant answers with (`databricks.proto` `ErrorCode`). */
export const MlflowErrorCode = z.enum([
  'INVALID_PARAMETER_VALUE',
  'BAD_REQUEST',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'RESOURCE_CONFLICT',
  'INVALID_STATE',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'REQUEST_LIMIT_EXCEEDED',
  'TEMPORARILY_UNAVAILABLE',
  'NOT_IMPLEMENTED',
  'ENDPOINT_NOT_FOUND',
  'INTERNAL_ERROR',
]);
export type MlflowErrorCode = z.infer<typeof MlflowErrorCode>;

/** MLflow's error body: `{"error_code", "message"}`; Sextant adds the request id for feedback and logs. */
export const MlflowErrorBody = z.object({
  error_code: MlflowErrorCode,
  message: z.string(),
  request_id: z.string().optional(),
  details: z.unknown().optional(),
});
export type MlflowErrorBody = z.infer<typeof MlflowErrorBody>;
