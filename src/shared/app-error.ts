import type { ErrorCode } from '../contracts/errors.js';

const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  resource_exhausted: 429,
  unavailable: 503,
  unimplemented: 501,
  internal: 500,
};

/** The one error type of Sextant: a code that maps to an HTTP status, a message for humans, details for machines. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** Maps an error code to its HTTP status. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

export const invalid = (message: string, details?: unknown) => new AppError('invalid_argument', message, details);
export const notFound = (message: string, details?: unknown) => new AppError('not_found', message, details);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);
