import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../shared/app-error.js';
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

export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const e = toAppError(err);
  if (e.code === 'internal') req.log.error({ err: (e.cause as Error) ?? e, requestId: req.id }, 'request failed');
  else if (e.code === 'unavailable') req.log.warn({ err: e.cause ?? e, requestId: req.id }, e.message);
  const body = { error: { code: e.code, message: e.message, requestId: String(req.id), ...(e.details !== undefined ? { details: e.details } : {}) } };
  // A failure after the response started streaming (a corrupt artifact) can only cut the stream.
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy(e);
    return;
  }
  void reply.code(e.status).header('content-type', 'application/json; charset=utf-8').send(body);
}
