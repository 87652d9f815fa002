import type { Command } from 'commander';

export interface OutputOptions {
  json?: boolean;
}

/** Adds the shared `--json` flag to a command. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print the resource exactly as the REST API returns it');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(columns.map((c) => cell(r[c])))}\n`);
  if (rows.length === 0) process.stdout.write('(none)\n');
}

/** Prints key: value lines for one resource. */
export function printFields(fields: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  for (const [k, v] of Object.entries(fields)) {
    const text = v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    process.stdout.write(`${`${k}:`.padEnd(width + 2)}${text}\n`);
  }
}

export const formatTags = (tags: Record<string, string>): string =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * Prints what a move of a protected alias answered: `approval <id> requested` on stdout (the
 * command succeeded: the request is made), what it waits for on stderr. True when it was a request.
 */
export function printIfRequested(result: unknown, json: boolean | undefined): boolean {
  if (typeof result !== 'object' || result === null || !('approval' in result)) return false;
  const a = (result as { approval: { id: string; model: string; alias: string; version: number; required: number; expiresAt: string } }).approval;
  if (json) printJson(result);
  else {
    process.stdout.write(`approval ${a.id} requested\n`);
    process.stderr.write(`${a.model}@${a.alias} is protected: it moves to version ${a.version} after ${a.required} approval(s) (sextant approvals approve ${a.id}); the request expires at ${a.expiresAt}\n`);
  }
  return true;
}
