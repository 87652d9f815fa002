import { z } from 'zod';
import { AppError } from './app-error.js';

/** At most this many issues are spelled out; a body broken everywhere still gets a short answer. */
const MAX_ISSUES = 20;
/** A field path built from a caller's keys is cut to this length in messages. */
const MAX_FIELD = 200;

const clip = (s: string) => (s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}…` : s);

/**
 * Formats zod issues as `{field, message}` pairs so every 400 names the offending field:
 * `body.reason` / `expected string, received number`. An unknown key is named as a field of its own.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root = ''): { field: string; message: string }[] {
  const at = (path: readonly PropertyKey[]) => clip([root, ...path.map(String)].filter((p) => p !== '').join('.') || '(root)');
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: at([...i.path, k]), message: 'unknown key' }))
      : // zod's "Invalid input: " lead-in says nothing the 400 does not.
        [{ field: at(i.path), message: i.message.replace(/^Invalid input: /, '') }],
  );
}

/** The `invalid_argument` error for zod issues, rooted at `where` (`body`, `query`, `params`, …). */
export function invalidInput(issues: readonly z.core.$ZodIssue[], where = ''): AppError {
  const all = describeIssues(issues, where);
  const fields = all.slice(0, MAX_ISSUES);
  const more = all.length > fields.length ? `; and ${all.length - fields.length} more` : '';
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ') + more;
  return new AppError('invalid_argument', `invalid ${where || 'input'}: ${summary}`, { fields });
}

/** A `ZodError` thrown anywhere (a `.parse` outside the edge) as the 400 it stands for, else undefined. */
export function fromZodError(err: unknown): AppError | undefined {
  return err instanceof z.core.$ZodError ? invalidInput(err.issues) : undefined;
}

/** Parses untrusted input with a contract; failures become `invalid_argument` naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidInput(result.error.issues, where);
}
