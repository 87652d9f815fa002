import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { SERVICES_REQUIRED } from './helpers/databases.js';
import { freePort, runProgram, startCliServer, type ServerProcess } from './helpers/processes.js';

const who = { actor: 'test' };
const LINEAR = JSON.stringify({ format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] });

function promtoolMissing(): string | null {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'promtool is not installed (Debian package prometheus)';
  }
}
const missing = promtoolMissing();
if (missing && SERVICES_REQUIRED) throw new Error(`${missing}, and SEXTANT_TEST_REQUIRE_SERVICES is set`);
if (missing) console.warn(`skipping the promtool checks: ${missing}`);

/** `promtool check metrics` on a scrape: exit code and its complaints. */
async function promtool(text: string) {
  const r = await runProgram('promtool', ['check', 'metrics'], text);
  return { code: r.code, problems: (r.stdout + r.stderr).trim() };
}

/** Sum of one counter's samples whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const [, inner, value] = /^[^{]+\{([^}]*)\} (\S+)$/.exec(line) ?? [];
    if (Object.entries(labels).every(([k, v]) => inner?.includes(`${k}="${v}"`))) sum += Number(value);
  }
  return sum;
}

describe.skipIf(missing !== null)('/metrics for a Prometheus user', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
    await t.app.registry.models.create({ name: 'm', task: 'regression' }, who);
    await t.app.registry.versions.register('m', bytes(LINEAR), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
  });
  afterAll(async () => t?.close());

  it('passes promtool check metrics, with inference and shed counters present', async () => {
    const infer = await t.server.inject({ method: 'POST', url: '/v1/deployments/m/invocations', payload: { instances: [[1]] } });
    expect(infer.statusCode).toBe(200);
    const scrape = await t.server.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    const check = await promtool(scrape.body);
    expect(check.problems).toBe('');
    expect(check.code).toBe(0);
    expect(scrape.body).toMatch(/^# TYPE sextant_inference_shed_total counter$/m);
    expect(scrape.body).toMatch(/^# TYPE sextant_nodejs_active_handles gauge$/m);
    expect(total(scrape.body, 'sextant_inference_requests_total', { deployment: 'm', code: '200' })).toBe(1);
  });
});

describe.skipIf(missing !== null)('/metrics under --workers', () => {
  let home: string;
  let server: ServerProcess;
  beforeAll(async () => {
    home = tempDir('sextant-metrics-');
    const app = await buildApp(loadConfig({ env: { SEXTANT_HOME: home } }), { logger: silentLogger });
    await app.start();
    await app.registry.models.create({ name: 'm', task: 'regression' }, who);
    await app.registry.versions.register('m', bytes(LINEAR), { format: 'sextant-linear', alias: 'champion' }, who);
    await app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    await app.close();
    server = await startCliServer(['server', '--port', String(await freePort()), '--home', home, '--workers', '2']);
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('aggregates every worker in one scrape, so counters are totals', async () => {
    const workers = new Set<string>();
    const n = 40;
    for (let i = 0; i < n; i++) {
      // A new connection each time: the cluster hands connections to workers in turn.
      const res = await fetch(`${server.url}/v1/deployments/m/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ instances: [[i]] }),
      });
      expect(res.status).toBe(200);
      workers.add(res.headers.get('x-sextant-worker') ?? '');
    }
    expect(workers.size).toBe(2);
    const scrapedBy = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } });
      scrapedBy.add(res.headers.get('x-sextant-worker') ?? '');
      const text = await res.text();
      expect(total(text, 'sextant_inference_requests_total', { deployment: 'm', code: '200' })).toBe(n);
      expect(total(text, 'sextant_inference_duration_seconds_count', { deployment: 'm' })).toBe(n);
      const check = await promtool(text);
      expect(check.problems).toBe('');
      expect(check.code).toBe(0);
    }
    expect(scrapedBy.size).toBe(2);
  });
});
