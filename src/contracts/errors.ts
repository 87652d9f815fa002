import { z } from 'zod';

export const ErrorCode = z.enum([
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'already_exists',
  'conflict',
  'failed_precondition',
  'payload_too_large',
  'unsupported_media_type',
  'resource_exhausted',
  'unavailable',
  'unimplemented',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The one error shape every endpoint returns. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;
