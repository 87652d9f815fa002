import fs from 'node:fs';
import { clientConfigFromProcess } from '../config/index.js';
import { createClient, type SextantClient } from '../sdk/index.js';
import { CliError } from './cli-error.js';

/** A client for the server named by SEXTANT_URL / SEXTANT_TOKEN. */
export function client(): SextantClient {
  const c = clientConfigFromProcess();
  return createClient({ baseUrl: c.url, token: c.token, actor: c.actor });
}

/** Reads a JSON file given to a flag, naming the flag when it is missing or malformed. */
export function readJsonFlag(flag: string, file: string | undefined): unknown {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${flag} ${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** Collects repeatable `--tag k=v` flags. */
export function collectTag(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new CliError(`--tag ${value}: expected KEY=VALUE`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a positive integer flag or argument, naming it when it is not one. */
export function positiveInt(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Splits MODEL/N, MODEL@ALIAS or MODEL (latest), also as MLflow writes them (`models:/MODEL@ALIAS`, `models:/MODEL/N`). */
export function parseRef(ref: string): { model: string; ref: string } {
  const m = /^(?:models:\/)?([^@/]+)(?:@([^@/]+)|\/(\d+))?$/.exec(ref);
  if (!m) throw new CliError(`${ref}: expected MODEL/VERSION, MODEL@ALIAS or MODEL (or models:/MODEL@ALIAS, models:/MODEL/VERSION)`);
  return { model: m[1]!, ref: m[2] ?? m[3] ?? 'latest' };
}

/** Merges `--tag k=v` and `--remove-tag k` flags into the API's tag edits (null deletes). */
export function tagEdits(set: Record<string, string>, remove: string[]): Record<string, string | null> | undefined {
  const edits: Record<string, string | null> = { ...set };
  for (const k of remove) edits[k] = null;
  return Object.keys(edits).length ? edits : undefined;
}
