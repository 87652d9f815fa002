import type { z } from 'zod';
import { ErrorBody } from '../contracts/index.js';
import { SextantError } from './sextant-error.js';

// Browser-safe: this file and everything the browser entry imports use only fetch and web
// streams, never a `node:` module (checked by browser.test.ts).

export interface ClientOptions {
  /** Server URL, e.g. http://127.0.0.1:8080 (an empty string means the page's own origin). */
  baseUrl: string;
  /** Bearer token when the server has auth on. */
  token?: string;
  /** Names the caller in the audit trail when the server runs without auth. */
  actor?: string;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | string[] | undefined>;

export interface RequestInit2 {
  body?: unknown;
  query?: Query;
}

/** The HTTP plumbing every resource of the client shares. */
export interface Transport {
  readonly base: string;
  headers(extra?: Record<string, string>): Record<string, string>;
  /** Sends a request and answers the response; non-2xx becomes a SextantError. */
  send(method: string, path: string, init?: RequestInit2): Promise<Response>;
  /** Sends and parses the JSON answer with a contract. */
  call<S extends z.ZodType>(schema: S, method: string, path: string, init?: RequestInit2): Promise<z.output<S>>;
  /** Sends and discards the answer body. */
  none(method: string, path: string, init?: RequestInit2): Promise<void>;
  /** Sends and answers the body as text (HTML reports, rendered cards). */
  text(method: string, path: string, init?: RequestInit2): Promise<string>;
  /** fetch with the client's headers and the "cannot reach" error. */
  raw(path: string, init: RequestInit): Promise<Response>;
}

export function qs(query: Query | undefined): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) p.append(k, String(item));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

function unreachable(base: string, err: unknown): SextantError {
  const e = err as Error;
  return new SextantError(0, 'unavailable', `cannot reach Sextant at ${base || 'this origin'}: ${e.cause ?? e.message}`, undefined);
}

/** Builds the transport over `fetch` (the global one unless the options give another). */
export function createTransport(options: ClientOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, '');
  // Called through a wrapper: a browser's fetch refuses to run with another `this`.
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));

  function headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra };
    if (options.token) h.authorization = `Bearer ${options.token}`;
    if (options.actor) h['x-sextant-actor'] = options.actor;
    return h;
  }

  async function raw(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, init);
    } catch (err) {
      throw unreachable(base, err);
    }
    if (!res.ok) throw await toError(res);
    return res;
  }

  const send = (method: string, path: string, init: RequestInit2 = {}) =>
    raw(`${path}${qs(init.query)}`, {
      method,
      headers: headers(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });

  return {
    base,
    headers,
    raw,
    send,
    call: async (schema, method, path, init) => schema.parse(await (await send(method, path, init)).json()),
    none: async (method, path, init) => {
      await (await send(method, path, init)).arrayBuffer();
    },
    text: async (method, path, init) => (await send(method, path, init)).text(),
  };
}

async function toError(res: Response): Promise<SextantError> {
  const text = await res.text();
  try {
    const body = ErrorBody.parse(JSON.parse(text));
    return new SextantError(res.status, body.error.code, body.error.message, body.error.requestId, body.error.details);
  } catch {
    return new SextantError(res.status, 'unknown', `HTTP ${res.status}: ${text.slice(0, 500)}`, res.headers.get('x-request-id') ?? undefined);
  }
}
