import type { z } from 'zod';
import { AppError } from './app-error.js';

/** Formats zod issues as `path: message` lines so every 400 names the offending field. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root = ''): { field: string; message: string }[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    const field = [root, path].filter(Boolean).join('.') || '(root)';
    return { field, message: i.message };
  });
}

/** Parses untrusted input with a contract; failures become `invalid_argument` naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = describeIssues(result.error.issues, where);
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  throw new AppError('invalid_argument', `invalid ${where}: ${summary}`, { fields });
}
