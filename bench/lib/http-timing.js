// Shared helpers for benchmarks: a keep-alive HTTP client, percentiles, peak RSS, and a bare
// node:http peer that answers with a fixed JSON body (the physical limit of one round trip).
import fs from 'node:fs';
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request over a kept-alive connection; resolves with status and body. */
export function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

/** Times `n` sequential calls of `fn(i)` after `warmup` untimed ones; returns latencies in ms. */
export async function time(n, fn, warmup = Math.min(200, n)) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out[i] = Number(process.hrtime.bigint() - t) / 1e6;
  }
  return out;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const median = (values) => percentile(values, 50);

export function summary(latencies) {
  return { p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

export const round = (x, digits = 3) => Number(x.toFixed(digits));

/** Peak resident set size of a process, in MiB (VmHWM). */
export function peakRssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
  return round(kb / 1024, 1);
}

/** A bare node:http server answering every request with `payload`; returns its URL and a closer. */
export async function bareHttpPeer(payload) {
  const body = Buffer.from(JSON.stringify(payload));
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
