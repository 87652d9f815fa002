import http from 'node:http';

/** One inference request's outcome, as a client saw it. */
export interface Answer {
  /** The request id the client chose (sent as `x-request-id`). */
  id: string;
  /** HTTP status, 0 when the request failed without one (connection refused or reset). */
  status: number;
  version: string;
  /** `x-sextant-worker`: the process id of the node that answered. */
  worker: string;
  /** When the answer arrived (performance.now()). */
  at: number;
  error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One OIP v2 request to `deployment` at `baseUrl` with the caller's request id. */
export function infer(baseUrl: string, token: string, deployment: string, body: string, id: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      `${baseUrl}/v2/models/${deployment}/infer`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}`, 'x-request-id': id },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ id, status: res.statusCode ?? 0, version: String(res.headers['x-model-version'] ?? ''), worker: String(res.headers['x-sextant-worker'] ?? ''), at: performance.now() }),
        );
        res.on('error', (err) => resolve({ id, status: 0, version: '', worker: '', at: performance.now(), error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ id, status: 0, version: '', worker: '', at: performance.now(), error: err.message }));
    req.end(body);
  });
}

/** `concurrency` clients sending requests back to back until `stop()`, which resolves with every answer. */
export function load(baseUrl: string, token: string, deployment: string, body: string, concurrency: number, idPrefix: string) {
  let running = true;
  let n = 0;
  const answers: Answer[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) answers.push(await infer(baseUrl, token, deployment, body, `${idPrefix}-${n++}`));
  });
  return {
    answers,
    stop: async (): Promise<Answer[]> => {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

/** Polls `baseUrl` until it serves `version` of the deployment; resolves with the milliseconds since `t0`. */
export async function servedWithin(baseUrl: string, token: string, deployment: string, body: string, version: number, t0: number, limitMs: number): Promise<number> {
  for (let i = 0; ; i++) {
    const a = await infer(baseUrl, token, deployment, body, `probe-${version}-${i}-${Math.random().toString(36).slice(2, 8)}`);
    if (a.status === 200 && a.version === String(version)) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`${baseUrl} still answers ${a.status} version ${a.version} ${limitMs} ms after the move`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
