import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bytes, testApp, type TestApp } from './helpers/app.js';
import { ROOT } from './helpers/processes.js';

const run = promisify(execFile);
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'sextant.json');
const RULES_DIR = path.join(ROOT, 'deploy', 'prometheus');
const who = { actor: 'test' };
const LINEAR = JSON.stringify({ format: 'sextant-linear', features: ['x'], link: 'identity', coefficients: [[2]], intercept: [1] });

/** PromQL words that are neither metrics nor functions. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: label matchers, ranges, strings and grouping
 * clauses removed, what is left is functions (followed by a parenthesis), keywords, numbers and
 * metric names.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.$])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** Every name a scrape of Sextant's /metrics can hold, histogram and summary series included. */
function exportedNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name! + s);
  }
  return names;
}

async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const r = await run('promtool', args, { cwd: RULES_DIR });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is not installed: install the Debian package prometheus (apt-get install prometheus); .ci/run does');
    return { code: Number(e.code), output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface Target {
  refId?: string;
  expr?: string;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

describe('Grafana dashboard and Prometheus rules over the metrics Sextant exports', () => {
  let t: TestApp;
  let exported: Set<string>;
  beforeAll(async () => {
    t = await testApp();
    await t.app.registry.models.create({ name: 'm', task: 'regression' }, who);
    await t.app.registry.versions.register('m', bytes(LINEAR), { format: 'sextant-linear', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'm', model: 'm', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    expect((await t.server.inject({ method: 'POST', url: '/v1/deployments/m/invocations', payload: { instances: [[1]] } })).statusCode).toBe(200);
    const scrape = await t.server.inject({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    exported = exportedNames(scrape.body);
  });
  afterAll(async () => t?.close());

  it('reads metric names out of PromQL', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, deployment) (rate(sextant_inference_duration_seconds_bucket{deployment=~"$deployment"}[$__rate_interval])))')).toEqual([
      'sextant_inference_duration_seconds_bucket',
    ]);
    expect(metricNames('sum(rate(a_total{code=~"5.."}[5m])) / clamp_min(sum(rate(b_total[5m])), 1e-9) > 0.05 and on (x) c')).toEqual(['a_total', 'b_total', 'c']);
    expect(metricNames('time() - max by (instance) (sextant_routing_refreshed_timestamp_seconds)')).toEqual(['sextant_routing_refreshed_timestamp_seconds']);
  });

  it('deploy/grafana/sextant.json is a dashboard whose every query names only metrics Sextant exports', () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
      uid: unknown;
      title: unknown;
      schemaVersion: unknown;
      panels: Panel[];
      templating: { list: { name: string; query?: string | { query: string } }[] };
    };
    expect(dashboard.uid).toBe('sextant-overview');
    expect(typeof dashboard.title).toBe('string');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(Array.isArray(dashboard.panels)).toBe(true);
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const graphs = panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(10);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const used = new Set<string>();
    for (const p of graphs) {
      expect(p.title, `panel ${p.id}`).toMatch(/\S/);
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.gridPos!.x + p.gridPos!.w, p.title).toBeLessThanOrEqual(24);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const target of p.targets!) {
        expect(target.refId, p.title).toMatch(/^[A-Z]$/);
        expect(target.expr, p.title).toMatch(/sextant_/);
        const names = metricNames(target.expr!);
        expect(names.length, target.expr).toBeGreaterThan(0);
        for (const name of names) {
          expect(exported.has(name), `${p.title}: ${name} is not on /metrics`).toBe(true);
          used.add(name.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    // The serving, shedding, drift, alert and prediction-log figures all have a panel.
    for (const name of [
      'sextant_inference_requests_total',
      'sextant_inference_duration_seconds',
      'sextant_inference_shed_total',
      'sextant_feature_drifted',
      'sextant_drift_score',
      'sextant_alerts_open',
      'sextant_prediction_log_dropped_total',
      'sextant_prediction_log_queue_depth',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
    const variables = dashboard.templating.list;
    const deployment = variables.find((v) => v.name === 'deployment');
    const query = typeof deployment?.query === 'string' ? deployment.query : deployment?.query?.query;
    expect(query).toBe('label_values(sextant_inference_requests_total, deployment)');
  });

  it('deploy/prometheus/rules.yaml passes promtool check rules and its unit tests, over exported metrics only', async () => {
    const check = await promtool(['check', 'rules', 'rules.yaml']);
    expect(check.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(check.code).toBe(0);
    const tests = await promtool(['test', 'rules', 'rules.test.yaml']);
    expect(tests.output).toMatch(/SUCCESS/);
    expect(tests.code).toBe(0);

    const rules = parse(fs.readFileSync(path.join(RULES_DIR, 'rules.yaml'), 'utf8')) as { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
    const recorded = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r] : [])));
    for (const r of rules.groups.flatMap((g) => g.rules)) {
      for (const name of metricNames(r.expr)) expect(exported.has(name) || recorded.has(name), `${r.alert ?? r.record}: ${name}`).toBe(true);
    }
    // The four concerns each have alerts: SLOs, drift, shed requests, prediction-log drops.
    const reads = (metric: string) => alerts.some((a) => a.expr.includes(metric) || [...recorded].some((rec) => a.expr.includes(rec) && rules.groups.some((g) => g.rules.some((r) => r.record === rec && r.expr.includes(metric)))));
    expect(reads('sextant_inference_requests_total')).toBe(true);
    expect(reads('sextant_inference_duration_seconds_bucket')).toBe(true);
    expect(reads('sextant_feature_drifted')).toBe(true);
    expect(reads('sextant_inference_shed_total')).toBe(true);
    expect(reads('sextant_prediction_log_dropped_total')).toBe(true);
    // Every alert the rules define is exercised by rules.test.yaml.
    const unitTests = fs.readFileSync(path.join(RULES_DIR, 'rules.test.yaml'), 'utf8');
    for (const a of alerts) expect(unitTests, a.alert).toContain(`alertname: ${a.alert}\n`);
  });
});
