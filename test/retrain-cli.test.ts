import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { ROOT, runCli, startCliServer, type ServerProcess } from './helpers/processes.js';

const DATASET = path.join(ROOT, 'assets', 'datasets', 'breast-cancer.csv');
const LINEAR = path.join(ROOT, 'assets', 'quickstart', 'breast-cancer-linear.json');

describe('retraining through the CLI against the built server', () => {
  let home: string;
  let server: ServerProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    home = tempDir('sextant-retrain-cli-');
    server = await startCliServer(['server', '--port', '0', '--home', home]);
    env = { SEXTANT_URL: server.url };
    expect((await cli('models', 'create', 'bc', '--task', 'binary-classification')).code).toBe(0);
    expect((await cli('register', 'bc', '--file', LINEAR, '--format', 'sextant-linear', '--alias', 'champion', '--reference', DATASET)).code).toBe(0);
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('sets and shows a policy, retrains with --wait, and lists, shows and reads the job', async () => {
    const set = await cli('policy', 'set', 'bc', '--trainer', 'gbt', '--param', 'nEstimators=20', '--gate', 'accuracy:threshold=0.9', '--strategy', 'manual', '--cooldown', '0', '--no-drift');
    expect(set, set.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^retraining policy of bc set: on quality → gbt → gate → manual; cooldown 0 s\n$/) });
    const shown = JSON.parse((await cli('policy', 'show', 'bc', '--json')).stdout);
    expect(shown.spec).toMatchObject({ trainer: { type: 'gbt', params: { nEstimators: 20 } }, triggers: { drift: false, quality: true }, gate: { metrics: { accuracy: { threshold: 0.9 } } } });
    const run = await cli('retrain', 'bc', '--wait', '--reason', 'from the CLI');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/data: 569 reference rows \+ 0 labelled predictions/);
    expect(run.stdout).toMatch(/gate pass: accuracy 0\.9\d+ meets the threshold 0\.9/);
    expect(run.stdout).toMatch(/job \S+ succeeded — version 2; gate passed; version 2 waits as bc@challenger/);
    const jobs = JSON.parse((await cli('jobs', 'list', '--model', 'bc', '--json')).stdout).jobs;
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ kind: 'retrain', model: 'bc', status: 'succeeded', trigger: { type: 'manual', detail: 'from the CLI' }, attempts: 1 });
    const show = JSON.parse((await cli('jobs', 'show', jobs[0].id, '--json')).stdout);
    expect(show.result).toMatchObject({ version: 2, champion: 1, gate: { passed: true } });
    const logs = await cli('jobs', 'logs', jobs[0].id);
    expect(logs.stdout).toMatch(/registered bc version 2/);
    const v2 = JSON.parse((await cli('versions', 'show', 'bc/2', '--json')).stdout);
    expect(v2).toMatchObject({ format: 'xgboost-json', aliases: ['challenger'], lineage: { parentVersion: 1, jobId: jobs[0].id, codeRef: 'sextant:trainer/gbt' } });
    // The retrained XGBoost model serves.
    expect((await cli('deploy', 'create', 'bc', '--model', 'bc', '--version', '2:100')).code).toBe(0);
    const body = fs.readFileSync(DATASET, 'utf8').split('\n').slice(0, 3).map((l) => l.split(',').slice(0, 30).join(',')).join('\n');
    let res = new Response(null, { status: 404 });
    // A new deployment is live once the server's routing refresh (every 200 ms) picks it up.
    for (let i = 0; i < 50 && res.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await fetch(`${server.url}/v1/deployments/bc/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    }
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('x-model-version')).toBe('2');
  });

  it('refuses bad flags and unknown jobs with a clear error and a non-zero exit', async () => {
    const bad = await cli('policy', 'set', 'bc', '--gate', 'accuracy');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--gate accuracy: expected METRIC:KEY=VALUE/);
    const trainer = await cli('policy', 'set', 'bc', '--trainer', 'forest');
    expect(trainer.code).not.toBe(0);
    expect(trainer.stderr).toMatch(/trainer\.type/);
    const missing = await cli('jobs', 'show', 'no-such-job');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/job no-such-job not found/);
    const cancel = await cli('jobs', 'cancel', JSON.parse((await cli('jobs', 'list', '--json')).stdout).jobs[0].id);
    expect(cancel.code).not.toBe(0);
    expect(cancel.stderr).toMatch(/already succeeded/);
  });
});
