import http from 'node:http';

/**
 * A real HTTP model server for `remote` versions in tests: answers MLflow scoring requests with
 * one prediction per row after `delayMs`, or fails with `status`.
 */
export async function fakeRemote(options: { delayMs?: number; status?: number } = {}) {
  let calls = 0;
  let answered = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls++;
      setTimeout(() => {
        answered++;
        if (options.status && options.status >= 400) {
          res.writeHead(options.status).end('boom');
          return;
        }
        const rows = (JSON.parse(body) as { dataframe_split: { data: unknown[][] } }).dataframe_split.data.length;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions: Array(rows).fill(0.5) }));
      }, options.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/invocations`,
    calls: () => calls,
    /** Requests it has answered (calls minus those still waiting out the delay). */
    answered: () => answered,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
