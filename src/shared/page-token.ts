import { AppError } from './app-error.js';

/** Opaque keyset cursor: callers see base64url, the store sees the last row's sort key and id. */
export interface Cursor {
  k: string | number;
  id: string | number;
}

export function encodePageToken(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

export function decodePageToken(token: string | undefined): Cursor | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    const okKey = (v: unknown) => typeof v === 'string' || typeof v === 'number';
    if (c && okKey(c.k) && okKey(c.id)) return c;
  } catch {
    // fall through to the error below
  }
  throw new AppError('invalid_argument', 'invalid pageToken: not a token this server issued', { field: 'pageToken' });
}
