import http from 'node:http';
import fc from 'fast-check';
import { fuzzServer } from './fuzz-server.js';
import { fuzzRequests, type FuzzRequest } from './requests.js';

interface Answer {
  status: number;
  body: string;
}

/** Sends a request on a connection of its own; a connection dropped before an answer is an error. */
export function send(base: string, r: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // Node sends a GET or DELETE body with neither Content-Length nor chunked framing, which makes
    // it a second, malformed request; clients that send bodies say how long they are.
    const headers = r.body ? { 'content-length': String(r.body.length), ...r.headers } : r.headers;
    const req = http.request(`${base}${r.path}`, { method: r.method, headers, agent: false, timeout: 60_000 }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => reject(new Error(`the connection dropped during the answer: ${err.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    // The server may answer (413) and close before the whole body is written: that is an answer.
    req.on('error', (err) => {
      if (!answered) reject(new Error(`the connection dropped without an answer: ${err.message}`));
    });
    req.end(r.body);
  });
}

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Called with each request and its status, for a summary. */
  onAnswer?: (r: FuzzRequest, status: number) => void;
}

/**
 * The property: whatever the request, the server answers (no dropped connection) with no 5xx, is
 * still healthy, and a 4xx changed nothing (state tables' row counts and the audit head).
 */
export async function runFuzz(options: FuzzOptions): Promise<void> {
  const server = await fuzzServer();
  try {
    const doc = JSON.parse((await send(server.url, { method: 'GET', path: '/api/v1/openapi.json', headers: {}, summary: 'openapi' })).body);
    await fc.assert(
      fc.asyncProperty(fuzzRequests(doc, server.known, server.deployments), async (r) => {
        const before = await server.snapshot();
        const answer = await send(server.url, r);
        options.onAnswer?.(r, answer.status);
        // 501 `unimplemented` is the documented answer for explaining a model format explanations do
        // not cover (docs/transparency.md): a refusal of the request, held to the same rule as a 4xx.
        const unimplemented = answer.status === 501 && /"code":"unimplemented"/.test(answer.body);
        if (answer.status >= 500 && !unimplemented) throw new Error(`${answer.status}: ${answer.body.slice(0, 500)}`);
        const health = await send(server.url, { method: 'GET', path: '/healthz', headers: {}, summary: 'health' });
        if (health.status !== 200) throw new Error(`the server is no longer healthy after it: /healthz ${health.status}`);
        if (answer.status >= 400) {
          const after = await server.snapshot();
          const changed = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
          if (changed.length) throw new Error(`${answer.status} but ${changed.join(', ')} changed: ${answer.body.slice(0, 300)}`);
        }
      }),
      { numRuns: options.runs, seed: options.seed, endOnFailure: true },
    );
  } finally {
    await server.close();
  }
}
