import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/sdk/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { runCli } from './helpers/processes.js';

const DIR = path.join(path.resolve(import.meta.dirname, '..'), 'test', 'fixtures', 'fairness');
type Case = { name: string; file: string; label: string; sensitive: string; privileged: string; prediction?: string; score?: string; cutoff?: number; model?: string; [k: string]: unknown };
const cases = (JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as { cases: Case[] }).cases;
const byName = (n: string) => cases.find((c) => c.name === n)!;
const METRICS = ['privileged', 'groups', 'demographicParityDifference', 'demographicParityRatio', 'equalizedOddsDifference', 'disparateImpact', 'fourFifthsRule'];

/** Numbers to 1e-12, the rest exactly, objects key by key. */
function same(actual: unknown, wanted: unknown, at: string): void {
  if (typeof wanted === 'number') return void expect(Math.abs((actual as number) - wanted), at).toBeLessThan(1e-12);
  if (wanted && typeof wanted === 'object') {
    expect(Object.keys(actual as object).sort(), at).toEqual(Object.keys(wanted).sort());
    for (const [k, v] of Object.entries(wanted)) same((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    return;
  }
  expect(actual, at).toBe(wanted);
}
const sameReport = (r: Record<string, unknown>, c: Case) => METRICS.forEach((k) => same(r[k], c[k], k));

describe('sextant fairness (offline)', () => {
  it.each(['credit-score-0.6', 'credit-prediction-privileged-female', 'regions', 'regions-privileged-west'])('--json equals numpy by Fairlearn’s definitions: %s', async (name) => {
    const c = byName(name);
    const args = ['fairness', '--data', path.join(DIR, c.file), '--label', c.label, '--sensitive', c.sensitive, '--json'];
    if (c.prediction) args.push('--prediction', c.prediction);
    else args.push('--score', c.score!, '--cutoff', String(c.cutoff));
    if (name.includes('privileged')) args.push('--privileged', c.privileged);
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    sameReport(report, c);
    expect(report.rows + report.excludedRows).toBe(fs.readFileSync(path.join(DIR, c.file), 'utf8').trim().split('\n').length - 1);
  });

  it('prints a table per group, and names what is wrong with the flags or the data', async () => {
    const data = path.join(DIR, 'credit.csv');
    const table = await runCli(['fairness', '--data', data, '--label', 'approved', '--score', 'score', '--sensitive', 'sex']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^GROUP\s+COUNT\s+SELECTIONRATE\s+TPR\s+FPR\s+ACCURACY\s+DISPARATEIMPACT\s+FOURFIFTHS/);
    expect(table.stdout).toMatch(/male \(privileged\)/);
    expect(table.stdout).toMatch(/female .*FAIL/);
    expect(table.stdout).toMatch(/demographic parity difference 0\.1641/);
    const both = await runCli(['fairness', '--data', data, '--label', 'approved', '--score', 'score', '--prediction', 'decision', '--sensitive', 'sex']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/exactly one of --prediction/);
    const column = await runCli(['fairness', '--data', data, '--label', 'approved', '--prediction', 'decision', '--sensitive', 'gender']);
    expect(column.code).not.toBe(0);
    expect(column.stderr).toMatch(/no column gender/);
    const labels = await runCli(['fairness', '--data', data, '--label', 'income', '--prediction', 'decision', '--sensitive', 'sex']);
    expect(labels.stderr).toMatch(/column income, row 1: labels must be 0 or 1/);
    const privileged = await runCli(['fairness', '--data', data, '--label', 'approved', '--prediction', 'decision', '--sensitive', 'sex', '--privileged', 'other']);
    expect(privileged.stderr).toMatch(/privileged group "other" does not occur in column sex/);
  });
});

describe.each(await databaseTargets())('POST /api/v1/models/{name}/versions/{v}/fairness on %s', (target) => {
  let t: TestApp;
  let url: string;
  let drop: () => Promise<void>;
  const c = byName('credit-version');
  const csv = fs.readFileSync(path.join(DIR, 'credit.csv'), 'utf8');

  beforeAll(async () => {
    const dir = tempDir('sextant-fairness-');
    const db = await target.create(dir);
    drop = db.drop;
    t = await testApp({ database: db.config, home: dir });
    await t.app.registry.models.create({ name: 'credit', task: 'binary-classification' }, { actor: 'test' });
    await t.app.registry.versions.register('credit', bytes(fs.readFileSync(path.join(DIR, c.model!))), { format: 'sextant-linear' }, { actor: 'test' });
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('the version scores the rows itself; the report equals numpy and is stored, newest first, and audited', async () => {
    const api = createClient({ baseUrl: url, actor: 'alice' });
    const first = await api.versions.fairness('credit', 1, csv, 'csv', { label: 'approved', sensitive: 'sex' });
    sameReport(first, c);
    expect(first.decision).toMatch(/version 1/);
    expect(first.actor).toBe('alice');
    const second = await api.versions.fairness('credit', 1, csv, 'csv', { label: 'approved', sensitive: 'sex', privileged: 'female', cutoff: 0.5 });
    expect(second.privileged).toBe('female');
    const list = await api.versions.fairnessReports('credit', 1);
    expect(list.map((r) => r.id)).toEqual([second.id, first.id]);
    const audit = await t.app.audit.list({ target: 'model:credit/1' });
    expect(audit.events.filter((e) => e.action === 'version.fairness')).toHaveLength(2);
  });

  it('bad requests are 4xx naming the field', async () => {
    const post = (query: string, body: string, type = 'text/csv') => fetch(`${url}/api/v1/models/credit/versions/1/fairness${query}`, { method: 'POST', headers: { 'content-type': type }, body });
    const noLabel = await post('?sensitive=sex', csv);
    expect(noLabel.status).toBe(400);
    expect(((await noLabel.json()) as { error: { message: string } }).error.message).toMatch(/query.label/);
    const badColumn = await post('?label=approved&sensitive=region', csv);
    expect(badColumn.status).toBe(400);
    expect(((await badColumn.json()) as { error: { message: string } }).error.message).toMatch(/no column region/);
    const json = await fetch(`${url}/api/v1/models/credit/versions/1/fairness?label=approved&sensitive=sex`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expect((await post('?label=approved&sensitive=sex', csv.replace(/^income/, 'salary'))).status).toBe(400);
    expect((await fetch(`${url}/api/v1/models/credit/versions/9/fairness`)).status).toBe(404);
  });
});
