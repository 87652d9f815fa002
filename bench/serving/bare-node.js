// The physical limit: a bare node:http cluster doing the same logistic regression by hand, with the
// same request and response shapes as /invocations. Usage: node bare-node.js MODEL_JSON PORT WORKERS
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';

const [modelPath, port, workers = '2'] = process.argv.slice(2);
if (cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i++) cluster.fork();
} else {
  const m = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const w = m.coefficients[0];
  const b = m.intercept[0];
  http
    .createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const rows = body.instances ?? body.dataframe_split.data;
        const predictions = rows.map((r) => {
          let z = b;
          for (let i = 0; i < w.length; i++) z += w[i] * r[i];
          const p = 1 / (1 + Math.exp(-z));
          return { label: p > 0.5 ? 1 : 0, probabilities: [1 - p, p] };
        });
        const out = JSON.stringify({ predictions });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
    })
    .listen(Number(port), '127.0.0.1');
}
