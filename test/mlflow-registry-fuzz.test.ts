import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testApp, type TestApp } from './helpers/app.js';

// Arbitrary MLflow messages against every MLflow endpoint: each answer is a 2xx or MLflow's error
// body with a 4xx, never a 5xx, and the server stays up.

const ENDPOINTS: [string, string, string[]][] = [
  ['POST', '/registered-models/create', ['name', 'tags', 'description']],
  ['GET', '/registered-models/get', ['name']],
  ['POST', '/registered-models/rename', ['name', 'new_name']],
  ['PATCH', '/registered-models/update', ['name', 'description']],
  ['DELETE', '/registered-models/delete', ['name']],
  ['GET', '/registered-models/search', ['filter', 'max_results', 'order_by', 'page_token']],
  ['POST', '/registered-models/set-tag', ['name', 'key', 'value']],
  ['DELETE', '/registered-models/delete-tag', ['name', 'key']],
  ['POST', '/registered-models/alias', ['name', 'alias', 'version']],
  ['DELETE', '/registered-models/alias', ['name', 'alias']],
  ['GET', '/registered-models/alias', ['name', 'alias']],
  ['POST', '/registered-models/get-latest-versions', ['name', 'stages']],
  ['POST', '/model-versions/create', ['name', 'source', 'run_id', 'tags', 'run_link', 'description']],
  ['GET', '/model-versions/get', ['name', 'version']],
  ['PATCH', '/model-versions/update', ['name', 'version', 'description']],
  ['DELETE', '/model-versions/delete', ['name', 'version']],
  ['GET', '/model-versions/search', ['filter', 'max_results', 'order_by', 'page_token']],
  ['GET', '/model-versions/get-download-uri', ['name', 'version']],
  ['POST', '/model-versions/set-tag', ['name', 'version', 'key', 'value']],
  ['DELETE', '/model-versions/delete-tag', ['name', 'version', 'key']],
];

const FILTERS = ["name LIKE '%a%'", "tags.k = 'v'", 'name = ', "name = 'x' OR", "version_number > 'a'", "run_id IN ('a',", '`', "tags.`k", "name ILIKE '%%%%%%%%b'"];

describe('MLflow registry endpoints under arbitrary messages', () => {
  let t: TestApp;
  let url: string;
  let source: string;

  beforeAll(async () => {
    const dir = tempDir('sextant-mlflow-fuzz-');
    const roots = path.join(dir, 'models');
    source = path.join(roots, 'm');
    fs.mkdirSync(source, { recursive: true });
    fs.writeFileSync(path.join(source, 'MLmodel'), 'flavors:\n  onnx: {data: model.onnx}\n');
    fs.copyFileSync(path.join(import.meta.dirname, 'fixtures', 'onnx', 'linear-classifier.onnx'), path.join(source, 'model.onnx'));
    t = await testApp({ home: dir, env: { SEXTANT_MLFLOW_SOURCE_ROOTS: roots } });
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
    await t.app.registry.models.create({ name: 'fz', task: 'regression' }, { actor: 'test' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers every message with a 2xx or an MLflow error body with a 4xx', async () => {
    // Mostly values a handler accepts, so requests get past the edge; sometimes anything.
    const odd = fc.oneof(
      fc.constantFrom(...FILTERS, '', 's3://b/k', '../..', 'A B', 'models:/nope@x'),
      fc.string({ maxLength: 40 }),
      fc.integer({ min: -5, max: 2000 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.record({ key: fc.constantFrom('k', 'a b', ''), value: fc.string({ maxLength: 10 }) })), { maxLength: 3 }),
    );
    const good: Record<string, fc.Arbitrary<unknown>> = {
      name: fc.constantFrom('fz', 'fz2', 'fz3'),
      new_name: fc.constantFrom('fz2', 'fz3', 'fz'),
      version: fc.constantFrom('1', '2', '3'),
      alias: fc.constantFrom('champion', 'challenger'),
      source: fc.constantFrom(source, `file://${source}`, 'models:/fz/1', 'models:/fz@champion'),
      filter: fc.constantFrom(...FILTERS, "name = 'fz'"),
      max_results: fc.constantFrom(1, 2, 100),
      order_by: fc.constantFrom(['name DESC'], ['version_number ASC'], []),
      stages: fc.constantFrom(['None'], ['Archived', 'Production'], []),
      tags: fc.constantFrom([], [{ key: 'k', value: 'v' }]),
      key: fc.constantFrom('k', 'team'),
    };
    const field = (f: string) => fc.oneof({ weight: 6, arbitrary: good[f] ?? fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: odd });
    const message = (fields: string[]) =>
      fc
        .tuple(fc.record(Object.fromEntries(fields.map((f) => [f, field(f)]))), fc.subarray(fields, { maxLength: 1 }), fc.option(fc.string({ maxLength: 8 }), { freq: 8 }))
        .map(([m, drop, extra]) => {
          const out: Record<string, unknown> = { ...m };
          for (const d of drop) delete out[d];
          if (extra !== null) out[extra] = 'x';
          return out;
        });
    const req = fc.constantFrom(...ENDPOINTS).chain(([method, endpoint, fields]) => message(fields).map((m) => ({ method, endpoint, m })));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(req, async ({ method, endpoint, m }) => {
        let target = `${url}/api/2.0/mlflow${endpoint}`;
        const init: RequestInit = { method, headers: { 'x-sextant-actor': 'fuzz' } };
        if (method === 'GET') {
          const q = new URLSearchParams();
          for (const [k, v] of Object.entries(m)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
          target += `?${q}`;
        } else {
          init.body = JSON.stringify(m);
          (init.headers as Record<string, string>)['content-type'] = 'application/json';
        }
        const res = await fetch(target, init);
        const body = (await res.json()) as Record<string, unknown>;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${method} ${endpoint} ${JSON.stringify(m)}: ${JSON.stringify(body)}`).toBeLessThan(500);
        if (res.status >= 400) expect(typeof body.error_code, JSON.stringify(body)).toBe('string');
      }),
      { numRuns: 400, seed: 23 },
    );
    console.log(`MLflow fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect([...statuses.keys()].some((s) => s === 200)).toBe(true);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 120_000);
});
