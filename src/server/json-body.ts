import sjson from 'secure-json-parse';
import { AppError } from '../shared/app-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * A JSON request body as every route reads it: valid UTF-8, no `__proto__` or `constructor`
 * keys (prototype poisoning), and a 400 that says what is wrong instead of a guess.
 */
export function parseJsonBody(buf: Buffer): unknown {
  if (buf.length === 0) throw new AppError('invalid_argument', 'the request body is empty; expected JSON');
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new AppError('invalid_argument', 'the request body is not valid UTF-8');
  }
  try {
    return sjson.parse(text, OPTIONS);
  } catch (err) {
    throw new AppError('invalid_argument', `malformed JSON: ${(err as Error).message}`);
  }
}

/** The body's text for CSV and JSON-lines bodies, which must be UTF-8 too. */
export function textBody(buf: Buffer, what: string): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw new AppError('invalid_argument', `the ${what} body is not valid UTF-8`);
  }
}
