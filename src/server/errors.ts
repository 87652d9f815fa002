import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { fromZodError } from '../shared/parse.js';
import type { Logger } from '../shared/logger.js';
import { mapStorageError } from '../storage/index.js';

const CODE_MAP: Record<string, AppError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_PARTS_LIMIT: 'payload_too_large',
  FST_FILES_LIMIT: 'payload_too_large',
  FST_FIELDS_LIMIT: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
};

/** Turns anything thrown into the one error shape; only genuine server faults become 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const zod = fromZodError(err);
  if (zod) return zod;
  const storage = mapStorageError(err);
  if (storage) return storage;
  const fe = err as Partial<FastifyError>;
  if (fe.code && CODE_MAP[fe.code]) return new AppError(CODE_MAP[fe.code]!, fe.message ?? fe.code);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 413 ? 'payload_too_large' : fe.statusCode === 415 ? 'unsupported_media_type' : 'invalid_argument';
    return new AppError(code, fe.message ?? 'bad request');
  }
  return new AppError('internal', 'internal error; the server log has the details under this request id', undefined, { cause: err });
}

/** How long a caller told 429 should wait before trying again, in seconds (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The status, headers and `{error: {code, message, requestId, details?}}` body of a failure,
 * logged when it is the server's fault. A 429 carries `Retry-After`.
 */
export function errorPayload(
  err: unknown,
  requestId: string,
  logger: Logger,
): { status: number; headers: Record<string, string>; body: { error: Record<string, unknown> } } {
  const e = toAppError(err);
  if (e.code === 'internal') logger.error({ err: (e.cause as Error) ?? e, requestId }, 'request failed');
  else if (e.code === 'unavailable') logger.warn({ err: e.cause ?? e, requestId }, e.message);
  const headers: Record<string, string> = e.code === 'resource_exhausted' ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {};
  return { status: e.status, headers, body: { error: { code: e.code, message: e.message, requestId, ...(e.details !== undefined ? { details: e.details } : {}) } } };
}

export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, headers, body } = errorPayload(err, String(req.id), req.log as Logger);
  // A failure after the response started streaming (a corrupt artifact) can only cut the stream.
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy(toAppError(err));
    return;
  }
  void reply.code(status).headers(headers).header('content-type', 'application/json; charset=utf-8').send(body);
}
