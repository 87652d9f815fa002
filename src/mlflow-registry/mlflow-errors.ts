import type { MlflowErrorBody, MlflowErrorCode } from '../contracts/mlflow.js';
import type { ErrorCode } from '../contracts/errors.js';
import { type AppError, httpStatusOf } from '../shared/app-error.js';

/**
 * Sextant's error codes as MLflow's, with the HTTP status MLflow gives each
 * (`mlflow/exceptions.py`): MLflow answers RESOURCE_ALREADY_EXISTS with 400, not 409, and its
 * clients read `error_code`, so both follow MLflow here.
 */
const TABLE: Partial<Record<ErrorCode, { code: MlflowErrorCode; status: number }>> = {
  invalid_argument: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  unauthenticated: { code: 'UNAUTHENTICATED', status: 401 },
  permission_denied: { code: 'PERMISSION_DENIED', status: 403 },
  not_found: { code: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  already_exists: { code: 'RESOURCE_ALREADY_EXISTS', status: 400 },
  conflict: { code: 'RESOURCE_CONFLICT', status: 409 },
  failed_precondition: { code: 'INVALID_STATE', status: 412 },
  payload_too_large: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  unsupported_media_type: { code: 'BAD_REQUEST', status: 400 },
  resource_exhausted: { code: 'REQUEST_LIMIT_EXCEEDED', status: 429 },
  unavailable: { code: 'TEMPORARILY_UNAVAILABLE', status: 503 },
  unimplemented: { code: 'NOT_IMPLEMENTED', status: 501 },
  internal: { code: 'INTERNAL_ERROR', status: 500 },
};

/** The status and MLflow error body for a Sextant error. */
export function mlflowError(err: AppError, requestId: string): { status: number; body: MlflowErrorBody } {
  // A code MLflow has no counterpart for keeps Sextant's status under MLflow's generic codes.
  const status0 = httpStatusOf(err.code);
  const { code, status } = TABLE[err.code] ?? { code: status0 >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', status: status0 };
  return {
    status,
    body: { error_code: code, message: err.message, request_id: requestId, ...(err.details !== undefined ? { details: err.details } : {}) },
  };
}
