import { AppError } from '../shared/app-error.js';

const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|READONLY|IOERR|FULL|PROTOCOL|NOTADB|CORRUPT)/;
const PG_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53200', '40P01', '55P03']);
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/** True when the error means the database is unreachable, locked or refusing work (a 503, not a 500). */
export function isUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    SQLITE_UNAVAILABLE.test(code) ||
    PG_UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') ||
    NET_CODES.has(code) ||
    /Connection terminated|timeout exceeded when trying to connect|driver has already been destroyed|database connection is not open/i.test(
      message,
    )
  );
}

/** True when the error is a unique or primary-key violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Turns database failures into AppErrors; returns undefined for anything else. */
export function mapStorageError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (isUnavailable(err)) {
    const detail = (err as { code?: string }).code ?? 'connection failed';
    return new AppError('unavailable', `the database is unavailable or locked (${detail}); nothing was written, retry later`, undefined, {
      cause: err,
    });
  }
  return undefined;
}
