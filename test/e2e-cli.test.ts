import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/sdk/index.js';
import { segmentHead } from '../src/monitoring/index.js';
import { tempDir } from './helpers/app.js';
import { ROOT, runCli, startCliServer, type ServerProcess } from './helpers/processes.js';

const ONNX = path.join(ROOT, 'test', 'fixtures', 'onnx', 'linear-classifier.onnx');

describe('the built server driven by the CLI', () => {
  let home: string;
  let server: ServerProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    home = tempDir('sextant-e2e-');
    server = await startCliServer(['server', '--port', '0', '--home', home]);
    env = { SEXTANT_URL: server.url };
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('creates, registers, aliases, rolls back and shows history', async () => {
    expect(await cli('models', 'create', 'fraud', '--task', 'binary-classification', '--tag', 'team=risk')).toMatchObject({ code: 0, stdout: 'created model fraud\n' });
    fs.writeFileSync(path.join(home, 'metrics.json'), JSON.stringify({ auc: 0.91 }));
    const r1 = await cli('register', 'fraud', '--file', ONNX, '--format', 'onnx', '--metrics', path.join(home, 'metrics.json'), '--alias', 'champion', '--data-digest', 'sha256:feed', '--code-ref', 'abc123');
    expect(r1).toMatchObject({ code: 0, stdout: '1\n' });
    const big = path.join(home, 'big.bin');
    fs.writeFileSync(big, randomBytes(6 * 1024 * 1024));
    fs.writeFileSync(path.join(home, 'ref.csv'), 'a,b\n1,x\n2,y\n3,x\n');
    const r2 = await cli('register', 'fraud', '--file', big, '--format', 'sextant-linear', '--parent', '1', '--tag', 'size=big', '--reference', path.join(home, 'ref.csv'));
    expect(r2).toMatchObject({ code: 0, stdout: '2\n', stderr: expect.stringMatching(/reference data: 3 rows, 2 columns/) });
    expect(await cli('alias', 'set', 'fraud', 'champion', '2', '--reason', 'better auc')).toMatchObject({ code: 0, stdout: 'fraud@champion -> 2 (was 1)\n' });
    expect(await cli('rollback', 'fraud', '--alias', 'champion', '--reason', 'alert fired')).toMatchObject({ code: 0, stdout: 'fraud@champion -> 1\n' });
    const history = JSON.parse((await cli('history', 'fraud', '--json')).stdout);
    expect(history.periods.map((p: { version: number; action: string }) => `${p.version}:${p.action}`)).toEqual(['1:set', '2:set', '1:rollback']);
    expect(history.periods[2].reason).toBe('alert fired');
    const table = await cli('history', 'fraud');
    expect(table.stdout).toMatch(/champion\s+1\s+\S+\s+now\s+rollback\s+e2e\s+alert fired/);

    const shown = JSON.parse((await cli('versions', 'show', 'fraud@champion', '--json')).stdout);
    expect(shown).toMatchObject({ version: 1, metrics: { auc: 0.91 }, lineage: { dataDigest: 'sha256:feed', codeRef: 'abc123' }, author: 'e2e' });
    const rest = await (await fetch(`${server.url}/api/v1/models/fraud/versions/1`)).json();
    expect(shown).toEqual(rest);
    expect(JSON.parse((await cli('versions', 'show', 'fraud/2', '--json')).stdout).lineage).toEqual({ parentVersion: 1 });

    const out = path.join(home, 'download.bin');
    expect((await cli('versions', 'download', 'fraud/2', '--output', out)).code).toBe(0);
    expect(fs.readFileSync(out).equals(fs.readFileSync(big))).toBe(true);

    const list = await cli('models', 'list');
    expect(list.stdout).toMatch(/fraud\s+binary-classification\s+e2e\s+2\s+champion=1\s+team=risk/);
  });

  it('verifies and lists the audit trail', async () => {
    expect(await cli('audit', 'verify')).toMatchObject({ code: 0, stdout: expect.stringMatching(/audit chain intact: \d+ events verified/) });
    const page = JSON.parse((await cli('audit', 'list', '--target', 'model:fraud@champion', '--json')).stdout);
    expect(page.events.map((e: { action: string }) => e.action)).toEqual(['alias.set', 'alias.set', 'alias.rollback']);
  });

  it('fails with a clear message and a non-zero exit code', async () => {
    const ghost = await cli('models', 'show', 'ghost');
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/^error: model ghost not found \[not_found, request \S+\]\n$/);
    const noFile = await cli('register', 'fraud', '--file', '/nonexistent.onnx', '--format', 'onnx');
    expect(noFile).toMatchObject({ code: 2, stderr: expect.stringMatching(/--file \/nonexistent.onnx: cannot read \(ENOENT\)/) });
    fs.writeFileSync(path.join(home, 'bad.json'), '{oops');
    const badJson = await cli('register', 'fraud', '--file', ONNX, '--format', 'onnx', '--params', path.join(home, 'bad.json'));
    expect(badJson).toMatchObject({ code: 2, stderr: expect.stringMatching(/--params .*not valid JSON/) });
    const missing = await cli('models', 'create', 'x');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--task/);
    const unreachable = await runCli(['models', 'list'], { SEXTANT_URL: 'http://127.0.0.1:9' });
    expect(unreachable).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot reach Sextant/) });
    expect(ghost.stderr + noFile.stderr + badJson.stderr).not.toMatch(/\n\s+at /);
  });

  it('numbers 20 parallel registrations over HTTP 1..20 exactly', async () => {
    const api = createClient({ baseUrl: server.url });
    await api.models.create({ name: 'parallel', task: 'regression' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.versions.register('parallel', { format: 'sextant-linear' }, { file: (async function* () { yield Buffer.from(`model ${i}`); })() }),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('creates tokens and shows the secret once', async () => {
    const r = await cli('tokens', 'create', '--name', 'ci', '--json');
    const t = JSON.parse(r.stdout);
    expect(t.token).toMatch(/^sxt_/);
    const list = await cli('tokens', 'list', '--json');
    expect(list.stdout).not.toContain(t.token);
  });
});

describe('server lifecycle', () => {
  it('drains an in-flight upload on SIGTERM and exits 0', async () => {
    const home = tempDir('sextant-drain-');
    const s = await startCliServer(['server', '--port', '0', '--home', home]);
    await createClient({ baseUrl: s.url }).models.create({ name: 'drain', task: 'regression' });
    const payload = randomBytes(512 * 1024);
    const boundary = 'drainboundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"format":"sextant-linear"}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="m"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${s.url}/api/v1/models/drain/versions`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(head);
      req.write(payload.subarray(0, 256 * 1024));
      setTimeout(() => {
        s.child.kill('SIGTERM');
        setTimeout(() => {
          req.write(payload.subarray(256 * 1024));
          req.end(tail);
        }, 400);
      }, 200);
    });
    const res = await response;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ version: 1, digest: createHash('sha256').update(payload).digest('hex') });
    expect(await s.exited).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('serves from several worker processes on one port and stops them all on SIGTERM', async () => {
    const home = tempDir('sextant-workers-');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const s = await startCliServer(['server', '--port', port, '--home', home, '--workers', '2'], {}, undefined, 100_000);
    expect(s.output()).toMatch(/2 workers/);
    const api = createClient({ baseUrl: s.url });
    await api.models.create({ name: 'shared', task: 'regression' });
    const results = await Promise.all(Array.from({ length: 40 }, () => api.models.get('shared')));
    expect(results.every((m) => m.name === 'shared')).toBe(true);
    const pids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${s.url}/healthz`, { headers: { connection: 'close' } });
      pids.add(res.headers.get('x-sextant-worker') ?? '');
    }
    expect(pids.size).toBe(2);
    // Predictions from both workers reach the log through the primary, the last ones while draining.
    const model = { format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] };
    await api.versions.register('shared', { format: 'sextant-linear', alias: 'champion' }, { file: (async function* () { yield Buffer.from(JSON.stringify(model)); })() });
    await api.deployments.create({ name: 'shared', model: 'shared', alias: 'champion' });
    const score = async (i: number, id = `logged-${i}`) => {
      const res = await fetch(`${s.url}/v1/deployments/shared/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id, connection: 'close' },
        body: JSON.stringify({ instances: [[i]] }),
      });
      return { status: res.status, worker: res.headers.get('x-sextant-worker'), body: await res.json() };
    };
    // Both workers see the new deployment within their refresh interval.
    for (let i = 0; i < 50; i++) {
      const warm = await Promise.all([1, 2, 3, 4].map((j) => score(j, `warm-${i}-${j}`)));
      if (warm.every((w) => w.status === 200)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => score(i)));
    expect(answers.every((a, i) => a.status === 200 && (a.body as { predictions: number[] }).predictions[0] === 2 * i + 1)).toBe(true);
    expect(new Set(answers.map((a) => a.worker)).size).toBe(2);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const db = new Database(path.join(home, 'sextant.db'), { readonly: true });
    // 60 small records: every segment is kept in its row.
    const segments = db.prepare('SELECT body FROM prediction_segments').all() as { body: Buffer }[];
    db.close();
    const logged = segments.flatMap((s) => segmentHead(s.body).ids).filter((id) => id.startsWith('logged-'));
    expect(logged.sort()).toEqual(answers.map((_, i) => `logged-${i}`).sort());
    fs.rmSync(home, { recursive: true, force: true });
  }, 150_000);

  it('stops on SIGTERM right after it listens, while the jobs process is still starting', async () => {
    // The jobs process starts once the serving processes listen; one still starting has no
    // listener for the primary's request to stop, and the primary used to wait for it forever.
    const home = tempDir('sextant-early-stop-');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const s = await startCliServer(['server', '--port', port, '--home', home, '--workers', '2'], {}, undefined, 100_000);
    s.child.kill('SIGTERM');
    const code = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000))]);
    expect(code).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
    // Starting two workers may take most of a minute on a loaded 2-core machine; the stop is what is timed.
  }, 120_000);

  it('refuses to listen on a public address without auth', async () => {
    const r = await runCli(['server', '--host', '0.0.0.0', '--port', '0', '--home', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to listen on 0.0.0.0 without authentication/);
  });

  it('runs the quick start: a real model, two versions, champion set, deployed, and a curl that works', async () => {
    const home = tempDir('sextant-qs-');
    const qs = await startCliServer(['quickstart', '--port', '0', '--home', home], {}, /Press Ctrl-C/);
    const out = qs.output();
    expect(out).toMatch(/registered breast-cancer\/1 \(sextant-linear/);
    expect(out).toMatch(/registered breast-cancer\/2 \(onnx, parent 1\)/);
    // The monitoring loop: a clean window, a shifted one with alerts, and the retrain they trigger.
    expect(out).toMatch(/100 requests like the training data: accuracy 0\.9\d+/);
    expect(out).toMatch(/100 requests worst_\* size features read 40 % high: accuracy 0\.\d+, \d+ of 30 features drifted \(worst_/);
    expect(out).toMatch(/alert: prediction drift: ks p-value/);
    expect(out).toMatch(/alert: data quality: worst_/);
    expect(out).toMatch(/retrain \S+ \(drift\): succeeded/);
    const champion = /breast-cancer@champion is version (\d+); scoring one held-out row gave \{"label":1/.exec(out)![1]!;
    if (/gate passed/.test(out)) expect(out).toMatch(new RegExp(`canary 50 → 100 %: promoted; breast-cancer@champion is now version ${champion}`));
    const url = /Sextant is running at (http:\/\/\S+)/.exec(out)![1]!;
    const oip = /-d '(\{"inputs".*\})'/.exec(out)![1]!;
    const res = await fetch(`${url}/v2/models/breast-cancer/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: oip });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-model-version')).toBe(champion);
    expect(((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([1]);
    const mlflow = /-d '(\{"instances".*\})'/.exec(out)![1]!;
    const res2 = await fetch(`${url}/v1/deployments/breast-cancer/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mlflow });
    expect(((await res2.json()) as { predictions: { label: number }[] }).predictions[0]!.label).toBe(1);
    qs.child.kill('SIGTERM');
    expect(await qs.exited).toBe(0);
    const again = await runCli(['quickstart', '--port', '0', '--home', home, '--exit']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already exists .* reusing it/);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('migrates a database on demand', async () => {
    const home = tempDir('sextant-migrate-');
    expect(await runCli(['db', 'migrate', '--home', home])).toMatchObject({ code: 0, stdout: expect.stringMatching(/applied 001-registry/) });
    expect(await runCli(['db', 'migrate', '--home', home])).toMatchObject({ code: 0, stdout: expect.stringMatching(/up to date/) });
  });
});
