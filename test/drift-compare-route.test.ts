import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftReport } from '../src/stats/index.js';
import { testApp, type TestApp } from './helpers/app.js';
import { ROOT } from './helpers/processes.js';

const cases = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'stats', 'drift-cases.json'), 'utf8')).cases as {
  name: string;
  reference: (number | null)[];
  current: (number | null)[];
  ks: [number, number];
  psi: number;
}[];
const byName = (name: string) => cases.find((c) => c.name === name)!;

/** POST /api/v1/drift: two datasets sent by the caller, compared as `sextant drift` compares two files. Nothing is stored, so one database is enough. */
describe('POST /api/v1/drift', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ auth: true });
  });
  afterAll(async () => t?.close());

  const post = (body: unknown, token?: string) =>
    t.server.inject({ method: 'POST', url: '/api/v1/drift', payload: body as object, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers the report sextant drift makes, KS as scipy, for a viewer', async () => {
    const viewer = (await t.app.tokens.create({ name: 'reader', role: 'viewer' }, { actor: 'test' })).token;
    const c = byName('normal unequal');
    const colour = (n: number) => Array.from({ length: n }, (_, i) => (i % 3 ? 'red' : 'blue'));
    const reference = { x: c.reference, colour: colour(c.reference.length) };
    const current = { x: c.current, colour: colour(c.current.length) };
    const r = await post({ reference, current }, viewer);
    expect(r.statusCode, r.body).toBe(200);
    const report = r.json();
    expect(report).toEqual({ referenceRows: c.reference.length, currentRows: c.current.length, ...driftReport(reference, current) });
    const x = report.features.find((f: { feature: string }) => f.feature === 'x');
    expect(Math.abs(x.statistic - c.ks[0])).toBeLessThan(1e-12);
    expect(Math.abs(x.pValue - c.ks[1])).toBeLessThan(1e-6);
    expect((await post({ reference, current })).statusCode).toBe(401);
  });

  it('takes a test per feature, and skips a numeric test on a column that is not numbers, saying why', async () => {
    const admin = (await t.app.tokens.create({ name: 'root', role: 'admin' }, { actor: 'test' })).token;
    const c = byName('shifted 1000 vs 800');
    const r = (await post({ reference: { x: c.reference, s: ['a', 'b'].flatMap((v) => Array(500).fill(v)) }, current: { x: c.current, s: Array(800).fill('a') }, tests: { x: 'psi', s: 'ks' } }, admin)).json();
    expect(r.features).toHaveLength(1);
    expect(r.features[0]).toMatchObject({ feature: 'x', test: 'psi', drifted: true });
    expect(Math.abs(r.features[0].statistic - c.psi)).toBeLessThan(1e-9);
    expect(r.skipped).toEqual([{ feature: 's', reason: 'ks needs numbers, and the column holds other values too' }]);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const admin = (await t.app.tokens.create({ name: 'root2', role: 'admin' }, { actor: 'test' })).token;
    const field = async (body: unknown) => {
      const r = await post(body, admin);
      expect(r.statusCode, r.body).toBe(400);
      return r.json().error.details.fields.map((f: { field: string }) => f.field);
    };
    expect(await field({ reference: { x: [1] } })).toEqual(['body.current']);
    expect(await field({ reference: { x: [1, 2], y: [1] }, current: { x: [1] } })).toEqual(['body.reference']);
    expect(await field({ reference: { x: [1] }, current: { x: [{}] } })).toEqual(['body.current.x.0']);
    expect(await field({ reference: { x: [1] }, current: { x: [1] }, tests: { x: 'magic' } })).toEqual(['body.tests.x']);
    expect(await field({ reference: { x: [1] }, current: { x: [1] }, colour: 1 })).toEqual(['body.colour']);
  });
});
