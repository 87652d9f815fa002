import { z } from 'zod';

/** Model names are URL- and path-safe by construction: lowercase, digits, `.`, `_`, `-`. */
export const ModelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$ (lowercase letters, digits, ".", "_", "-"; at most 128 characters)');

/** Alias names start with a letter so they never read as version numbers; `latest` is implicit. */
export const AliasName = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{0,63}$/, 'must match ^[a-z][a-z0-9._-]{0,63}$')
  .refine((a) => a !== 'latest', 'the alias "latest" is implicit (highest active version) and cannot be set');

export const Task = z.enum(['binary-classification', 'multiclass-classification', 'regression']);
export type Task = z.infer<typeof Task>;

export const TagKey = z.string().min(1).max(128).regex(/^[^\s=]+$/, 'tag keys have no spaces and no "="');
export const Tags = z.record(TagKey, z.string().max(1024));
export type Tags = z.infer<typeof Tags>;

/** Tag edits merge into the existing tags; a null value deletes the key. */
export const TagEdits = z.record(TagKey, z.string().max(1024).nullable());

export const Timestamp = z.string().describe('ISO 8601 UTC timestamp');
export const VersionNumber = z.number().int().positive();

export const PageSize = z.coerce.number().int().min(1).max(1000).default(100);
export const PageToken = z.string().max(2048).optional();

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256 digest (64 characters)');
