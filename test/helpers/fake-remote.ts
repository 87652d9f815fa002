import http from 'node:http';

/**
 * A real HTTP model server for `remote` versions in tests: answers MLflow scoring requests with
 * one prediction per row after `delayMs`, or fails with `status`. While `hold()` is in force it
 * answers nothing until `release()`, so a test can fill a server's queues without racing a clock.
 */
export async function fakeRemote(options: { delayMs?: number; status?: number } = {}) {
  let calls = 0;
  const headers: http.IncomingHttpHeaders[] = [];
  let answered = 0;
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls++;
      headers.push(req.headers);
      void gate.then(() => setTimeout(() => {
        answered++;
        if (options.status && options.status >= 400) {
          res.writeHead(options.status).end('boom');
          return;
        }
        const rows = (JSON.parse(body) as { dataframe_split: { data: unknown[][] } }).dataframe_split.data.length;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions: Array(rows).fill(0.5) }));
      }, options.delayMs ?? 0));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/invocations`,
    calls: () => calls,
    /** The headers of every request received, in order. */
    headers: () => headers,
    /** Requests it has answered (calls minus those still waiting out the delay). */
    answered: () => answered,
    /** Holds every request from now on until `release()`. */
    hold: () => {
      gate = new Promise<void>((r) => (open = r));
    },
    release: () => open(),
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
