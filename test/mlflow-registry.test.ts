import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

// Request and response shapes are MLflow's (mlflow/protos/model_registry.proto and its REST API
// reference): snake_case fields, versions as strings, timestamps in milliseconds, tags as lists.

const FIXTURES = path.join(path.resolve(import.meta.dirname, '..'), 'test', 'fixtures');
const ONNX = fs.readFileSync(path.join(FIXTURES, 'onnx', 'linear-classifier.onnx'));
const XGB = fs.readFileSync(path.join(FIXTURES, 'serving', 'xgb-binary.json'));

/** An MLmodel file as mlflow.onnx.save_model writes it (signature from a 4-column DataFrame). */
const ONNX_MLMODEL = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.16.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.11.4
mlflow_version: 2.16.0
model_size_bytes: ${ONNX.length}
model_uuid: 3b0a2c63d4f14b3e9d1f0a9a1e0f7d1c
run_id: 5f0e5e7d6a2b4c1e8f9a0b1c2d3e4f50
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double",
    "name": "sepal_width", "required": true}, {"type": "double", "name": "petal_length",
    "required": true}, {"type": "double", "name": "petal_width", "required": true}]'
  outputs: '[{"type": "long", "name": "label", "required": true}]'
  params: null
utc_time_created: '2024-09-02 10:21:07.120315'
`;

/** mlflow.xgboost.save_model(..., model_format="json") with no signature. */
const XGB_MLMODEL = `flavors:
  python_function:
    data: model.json
    loader_module: mlflow.xgboost
    python_version: 3.11.4
  xgboost:
    code: null
    data: model.json
    model_class: xgboost.sklearn.XGBClassifier
    model_format: json
    xgb_version: 2.0.3
mlflow_version: 2.16.0
`;

const SKLEARN_MLMODEL = `flavors:
  python_function:
    model_path: model.pkl
    loader_module: mlflow.sklearn
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.1
`;

function modelDir(root: string, name: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), content);
  return dir;
}

// Response bodies are read as MLflow sends them; the assertions check their shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe.each(await databaseTargets())('MLflow Model Registry REST API on %s', (target) => {
  let t: TestApp;
  let url: string;
  let drop: () => Promise<void>;
  let sources: string;
  let onnxDir: string;
  let xgbDir: string;

  async function call(method: string, endpoint: string, message: Json = {}, prefix = '/api/2.0/mlflow'): Promise<{ status: number; body: Json }> {
    const init: RequestInit = { method, headers: { 'x-sextant-actor': 'alice' } };
    let target = `${url}${prefix}${endpoint}`;
    if (method === 'GET') {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(message)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
      target += `?${q}`;
    } else {
      init.body = JSON.stringify(message);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(target, init);
    return { status: res.status, body: (await res.json()) as Json };
  }

  beforeAll(async () => {
    const dir = tempDir('sextant-mlflow-');
    sources = path.join(dir, 'mlruns');
    fs.mkdirSync(sources);
    onnxDir = modelDir(sources, 'onnx-model', { MLmodel: ONNX_MLMODEL, 'model.onnx': ONNX, 'conda.yaml': 'name: mlflow-env\n' });
    xgbDir = modelDir(sources, 'xgb-model', { MLmodel: XGB_MLMODEL, 'model.json': XGB });
    const db = await target.create(dir);
    drop = db.drop;
    t = await testApp({ database: db.config, home: dir, env: { SEXTANT_MLFLOW_SOURCE_ROOTS: sources } });
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  describe('registered-models', () => {
    it('create answers the RegisteredModel; a second create is RESOURCE_ALREADY_EXISTS with 400', async () => {
      const created = await call('POST', '/registered-models/create', {
        name: 'fraud',
        tags: [{ key: 'team', value: 'risk' }, { key: 'sextant.task', value: 'binary-classification' }],
        description: 'card fraud',
      });
      expect(created.status).toBe(200);
      const m = created.body.registered_model;
      expect(m).toEqual({
        name: 'fraud',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        user_id: 'alice',
        description: 'card fraud',
        latest_versions: [],
        tags: [{ key: 'team', value: 'risk' }],
        aliases: [],
      });
      expect(Math.abs(m.creation_timestamp - Date.now())).toBeLessThan(3_600_000);
      const again = await call('POST', '/registered-models/create', { name: 'fraud' });
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS', message: 'model fraud already exists' });
      // The same write path as the native API: the audit trail names the caller and the request.
      const audit = await t.app.audit.list({ target: 'model:fraud', action: 'model.create' });
      expect(audit.events).toHaveLength(1);
      expect(audit.events[0]).toMatchObject({ actor: 'alice', requestId: expect.any(String) });
    });

    it('get, missing model and missing name in MLflow’s error format', async () => {
      const got = await call('GET', '/registered-models/get', { name: 'fraud' });
      expect(got.status).toBe(200);
      expect(got.body.registered_model.name).toBe('fraud');
      const missing = await call('GET', '/registered-models/get', { name: 'nope' });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'model nope not found' });
      const noName = await call('GET', '/registered-models/get', {});
      expect(noName.status).toBe(400);
      expect(noName.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(noName.body.message).toMatch(/name/);
      const badName = await call('POST', '/registered-models/create', { name: 'Fraud Model' });
      expect(badName.status).toBe(400);
      expect(badName.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      const badJson = await fetch(`${url}/api/2.0/mlflow/registered-models/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
      expect(badJson.status).toBe(400);
      expect(((await badJson.json()) as Json).error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('update, set-tag and delete-tag (DELETE with a JSON body or a query string)', async () => {
      const updated = await call('PATCH', '/registered-models/update', { name: 'fraud', description: 'card fraud, EU' });
      expect(updated.status).toBe(200);
      expect(updated.body.registered_model.description).toBe('card fraud, EU');
      expect(await call('POST', '/registered-models/set-tag', { name: 'fraud', key: 'owner', value: 'ops' })).toEqual({ status: 200, body: {} });
      expect((await call('GET', '/registered-models/get', { name: 'fraud' })).body.registered_model.tags).toEqual([
        { key: 'owner', value: 'ops' },
        { key: 'team', value: 'risk' },
      ]);
      expect(await call('DELETE', '/registered-models/delete-tag', { name: 'fraud', key: 'owner' })).toEqual({ status: 200, body: {} });
      await call('POST', '/registered-models/set-tag', { name: 'fraud', key: 'tmp', value: 'x' });
      const viaQuery = await fetch(`${url}/api/2.0/mlflow/registered-models/delete-tag?name=fraud&key=tmp`, { method: 'DELETE' });
      expect(viaQuery.status).toBe(200);
      expect((await call('GET', '/registered-models/get', { name: 'fraud' })).body.registered_model.tags).toEqual([{ key: 'team', value: 'risk' }]);
      const missing = await call('POST', '/registered-models/set-tag', { name: 'nope', key: 'a', value: 'b' });
      expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('rename carries the model; the old name is gone; the ajax-api prefix answers the same', async () => {
      await call('POST', '/registered-models/create', { name: 'churn-old' });
      const renamed = await call('POST', '/registered-models/rename', { name: 'churn-old', new_name: 'churn' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.registered_model.name).toBe('churn');
      expect((await call('GET', '/registered-models/get', { name: 'churn-old' })).status).toBe(404);
      const taken = await call('POST', '/registered-models/rename', { name: 'churn', new_name: 'fraud' });
      expect(taken.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
      const ajax = await call('GET', '/registered-models/get', { name: 'churn' }, '/ajax-api/2.0/mlflow');
      expect(ajax.status).toBe(200);
      expect(ajax.body.registered_model.name).toBe('churn');
    });

    it('delete answers {} and the model is gone', async () => {
      await call('POST', '/registered-models/create', { name: 'scratch' });
      expect(await call('DELETE', '/registered-models/delete', { name: 'scratch' })).toEqual({ status: 200, body: {} });
      expect((await call('GET', '/registered-models/get', { name: 'scratch' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });

  describe('search', () => {
    const names = (body: Json, key = 'registered_models') => (body[key] as Json[]).map((m) => m.name);

    beforeAll(async () => {
      await call('POST', '/registered-models/create', { name: 'search-a', tags: [{ key: 'team', value: 'risk' }] });
      await call('POST', '/registered-models/create', { name: 'search-b', tags: [{ key: 'team', value: 'growth' }, { key: 'tier', value: 'gold' }] });
      await call('POST', '/registered-models/create', { name: 'search_c', tags: [{ key: 'team', value: 'risk' }] });
      for (const run of ['r1', 'r2', 'r3']) await call('POST', '/model-versions/create', { name: 'search-a', source: onnxDir, run_id: run });
      await call('POST', '/model-versions/set-tag', { name: 'search-a', version: '2', key: 'validated', value: 'yes' });
      await call('POST', '/model-versions/create', { name: 'search-b', source: xgbDir, run_id: 'r1' });
    });

    it('registered models by name = and LIKE, tags.KEY and AND', async () => {
      const like = await call('GET', '/registered-models/search', { filter: "name LIKE 'search-%'" });
      expect(like.status).toBe(200);
      expect(names(like.body)).toEqual(['search-a', 'search-b']);
      // `_` is any one character in LIKE, as in SQL.
      expect(names((await call('GET', '/registered-models/search', { filter: "name LIKE 'search_%'" })).body)).toEqual(['search-a', 'search-b', 'search_c']);
      expect(names((await call('GET', '/registered-models/search', { filter: "name = 'search-b'" })).body)).toEqual(['search-b']);
      expect(names((await call('GET', '/registered-models/search', { filter: "name ILIKE 'SEARCH-A'" })).body)).toEqual(['search-a']);
      expect(names((await call('GET', '/registered-models/search', { filter: "tags.team = 'risk'" })).body)).toEqual(['fraud', 'search-a', 'search_c']);
      expect(names((await call('GET', '/registered-models/search', { filter: "name LIKE '%search%' and tags.`team` = 'growth' AND tags.tier != 'silver'" })).body)).toEqual(['search-b']);
      const hit = (await call('GET', '/registered-models/search', { filter: "name = 'search-a'" })).body.registered_models[0];
      expect(hit).toMatchObject({ name: 'search-a', tags: [{ key: 'team', value: 'risk' }], aliases: [] });
      expect(hit.latest_versions.map((v: Json) => v.version)).toEqual(['3']);
    });

    it('registered models ordered and paged with order_by, max_results and page_token', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 5; page++) {
        const r = await call('GET', '/registered-models/search', {
          filter: "name LIKE 'search%'",
          order_by: ['name DESC'],
          max_results: 2,
          ...(token ? { page_token: token } : {}),
        });
        expect(r.status).toBe(200);
        seen.push(...names(r.body));
        token = r.body.next_page_token;
        if (!token) break;
      }
      expect(seen).toEqual(['search_c', 'search-b', 'search-a']);
      const byTime = await call('GET', '/registered-models/search', { filter: "name LIKE 'search%'", order_by: ['last_updated_timestamp DESC'] });
      const stamps = (byTime.body.registered_models as Json[]).map((m) => m.last_updated_timestamp as number);
      expect(stamps).toEqual([...stamps].sort((a, b) => b - a));
    });

    it('model versions by name, run_id, version_number and tags, ordered and paged', async () => {
      const versions = (body: Json) => (body.model_versions as Json[]).map((v) => `${v.name}/${v.version}`);
      expect(versions((await call('GET', '/model-versions/search', { filter: "name='search-a'" })).body)).toEqual(['search-a/3', 'search-a/2', 'search-a/1']);
      expect(versions((await call('GET', '/model-versions/search', { filter: "run_id = 'r1' AND name LIKE 'search-%'", order_by: ['name DESC'] })).body)).toEqual([
        'search-b/1',
        'search-a/1',
      ]);
      expect(versions((await call('GET', '/model-versions/search', { filter: "run_id IN ('r2', 'r3') AND name = 'search-a'", order_by: ['version_number ASC'] })).body)).toEqual([
        'search-a/2',
        'search-a/3',
      ]);
      expect(versions((await call('GET', '/model-versions/search', { filter: "name = 'search-a' AND version_number >= 2 AND tags.validated = 'yes'" })).body)).toEqual(['search-a/2']);
      const first = await call('GET', '/model-versions/search', { filter: "name = 'search-a'", max_results: 2 });
      expect(versions(first.body)).toEqual(['search-a/3', 'search-a/2']);
      const second = await call('GET', '/model-versions/search', { filter: "name = 'search-a'", max_results: 2, page_token: first.body.next_page_token });
      expect(versions(second.body)).toEqual(['search-a/1']);
      expect(second.body.next_page_token).toBeUndefined();
      const hit = (await call('GET', '/model-versions/search', { filter: "name = 'search-a' AND version_number = 1" })).body.model_versions[0];
      expect(hit).toMatchObject({ version: '1', run_id: 'r1', source: onnxDir, status: 'READY', current_stage: 'None' });
    });

    it('a filter, order_by, max_results or page_token it cannot take is INVALID_PARAMETER_VALUE naming it', async () => {
      const cases: [string, Json, RegExp][] = [
        ['/registered-models/search', { filter: "name LIKE 'a' OR name = 'b'" }, /OR is not supported/],
        ['/registered-models/search', { filter: "owner = 'x'" }, /unknown name "owner"/],
        ['/registered-models/search', { filter: 'name = search' }, /quoted strings/],
        ['/registered-models/search', { filter: "name = 'open" }, /unterminated string/],
        ['/registered-models/search', { filter: "run_id = 'r1'" }, /unknown name "run_id"/],
        ['/registered-models/search', { order_by: ['size DESC'] }, /order_by "size DESC"/],
        ['/registered-models/search', { max_results: 1001 }, /max_results/],
        ['/registered-models/search', { page_token: 'not-a-token' }, /page_token/],
        ['/model-versions/search', { filter: "version_number > 'two'" }, /whole number/],
        ['/model-versions/search', { filter: "name IN ('a')" }, /applies to run_id only/],
      ];
      for (const [endpoint, query, message] of cases) {
        const r = await call('GET', endpoint, query);
        expect(r.status, JSON.stringify(query)).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(r.body.message).toMatch(message);
      }
    });
  });

  describe('model-versions', () => {
    beforeAll(async () => {
      await call('POST', '/registered-models/create', { name: 'iris', tags: [{ key: 'sextant.task', value: 'multiclass-classification' }] });
    });

    it('create reads MLmodel: the onnx flavor’s file and the signature MLmodel declares', async () => {
      const created = await call('POST', '/model-versions/create', {
        name: 'iris',
        source: onnxDir,
        run_id: 'abc123',
        tags: [{ key: 'stage', value: 'candidate' }],
        description: 'first',
      });
      expect(created.status).toBe(200);
      expect(created.body.model_version).toEqual({
        name: 'iris',
        version: '1',
        creation_timestamp: expect.any(Number),
        last_updated_timestamp: expect.any(Number),
        user_id: 'alice',
        current_stage: 'None',
        description: 'first',
        source: onnxDir,
        run_id: 'abc123',
        status: 'READY',
        tags: [{ key: 'stage', value: 'candidate' }],
        aliases: [],
      });
      const v = await t.app.registry.versions.get('iris', 1);
      expect(v.format).toBe('onnx');
      expect(v.signature?.inputs.map((i) => [i.name, i.type])).toEqual([
        ['sepal_length', 'double'],
        ['sepal_width', 'double'],
        ['petal_length', 'double'],
        ['petal_width', 'double'],
      ]);
      expect(v.signature?.outputs).toEqual([{ name: 'label', type: 'int64' }]);
      const model = await t.app.registry.models.get('iris');
      expect(model.task).toBe('multiclass-classification');
    });

    it('create takes file:// URIs, the xgboost flavor (JSON), and models:/ URIs of registered versions', async () => {
      const fromFile = await call('POST', '/model-versions/create', { name: 'iris', source: `file://${onnxDir}` });
      expect(fromFile.body.model_version).toMatchObject({ version: '2', source: `file://${onnxDir}`, run_id: '5f0e5e7d6a2b4c1e8f9a0b1c2d3e4f50' });
      await call('POST', '/registered-models/create', { name: 'credit' });
      const xgb = await call('POST', '/model-versions/create', { name: 'credit', source: xgbDir });
      expect(xgb.status).toBe(200);
      expect((await t.app.registry.versions.get('credit', 1)).format).toBe('xgboost-json');
      const copy = await call('POST', '/model-versions/create', { name: 'credit', source: 'models:/iris/1' });
      expect(copy.status).toBe(200);
      expect(copy.body.model_version).toMatchObject({ name: 'credit', version: '2', source: 'models:/iris/1' });
      expect((await t.app.registry.versions.get('credit', 2)).digest).toBe((await t.app.registry.versions.get('iris', 1)).digest);
    });

    it('unsupported flavors, missing MLmodel and sources outside the allowed roots are INVALID_PARAMETER_VALUE', async () => {
      const sk = modelDir(sources, 'sk-model', { MLmodel: SKLEARN_MLMODEL, 'model.pkl': 'not read' });
      const flavors = await call('POST', '/model-versions/create', { name: 'iris', source: sk });
      expect(flavors.status).toBe(400);
      expect(flavors.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(flavors.body.message).toContain('python_function, sklearn');
      const empty = modelDir(sources, 'empty', { 'README.md': 'no model here' });
      expect((await call('POST', '/model-versions/create', { name: 'iris', source: empty })).body.message).toMatch(/has no MLmodel/);
      const outside = await call('POST', '/model-versions/create', { name: 'iris', source: path.dirname(sources) });
      expect(outside.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/outside the directories/) });
      const escape = modelDir(sources, 'escape', { MLmodel: ONNX_MLMODEL.replace('data: model.onnx', 'data: ../../sextant.db') });
      expect((await call('POST', '/model-versions/create', { name: 'iris', source: escape })).body.message).toMatch(/outside the model directory/);
      const scheme = await call('POST', '/model-versions/create', { name: 'iris', source: 'runs:/abc/model' });
      expect(scheme.body.message).toMatch(/Sextant reads a local path, file:\/\//);
      const noModel = await call('POST', '/model-versions/create', { name: 'nope', source: onnxDir });
      expect(noModel.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      // Nothing was registered by the refused requests.
      expect((await t.app.registry.models.get('iris')).latestVersion).toBe(2);
    });

    it('get, update, set-tag, delete-tag and get-download-uri', async () => {
      const got = await call('GET', '/model-versions/get', { name: 'iris', version: '1' });
      expect(got.body.model_version).toMatchObject({ name: 'iris', version: '1', description: 'first' });
      expect((await call('GET', '/model-versions/get', { name: 'iris', version: '9' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((await call('GET', '/model-versions/get', { name: 'iris', version: 'one' })).body.error_code).toBe('INVALID_PARAMETER_VALUE');
      const updated = await call('PATCH', '/model-versions/update', { name: 'iris', version: '1', description: 'baseline' });
      expect(updated.body.model_version.description).toBe('baseline');
      expect(await call('POST', '/model-versions/set-tag', { name: 'iris', version: '1', key: 'validated', value: 'yes' })).toEqual({ status: 200, body: {} });
      expect(await call('DELETE', '/model-versions/delete-tag', { name: 'iris', version: '1', key: 'stage' })).toEqual({ status: 200, body: {} });
      expect((await call('GET', '/model-versions/get', { name: 'iris', version: '1' })).body.model_version.tags).toEqual([{ key: 'validated', value: 'yes' }]);
      const reserved = await call('POST', '/model-versions/set-tag', { name: 'iris', version: '1', key: 'sextant.mlflow.source', value: '/x' });
      expect(reserved.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect((await call('GET', '/model-versions/get-download-uri', { name: 'iris', version: '1' })).body).toEqual({ artifact_uri: onnxDir });
    });

    it('aliases: set, get by alias, on the registered model, models:/name@alias, delete', async () => {
      expect(await call('POST', '/registered-models/alias', { name: 'iris', alias: 'champion', version: '1' })).toEqual({ status: 200, body: {} });
      const byAlias = await call('GET', '/registered-models/alias', { name: 'iris', alias: 'champion' });
      expect(byAlias.body.model_version).toMatchObject({ name: 'iris', version: '1', aliases: ['champion'] });
      const model = (await call('GET', '/registered-models/get', { name: 'iris' })).body.registered_model;
      expect(model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
      expect(model.latest_versions.map((v: Json) => v.version)).toEqual(['2']);
      const resolved = await fetch(`${url}/api/v1/resolve?ref=${encodeURIComponent('models:/iris@champion')}`);
      expect(((await resolved.json()) as Json).version).toBe(1);
      const byVersion = await fetch(`${url}/api/v1/resolve?ref=${encodeURIComponent('models:/iris/2')}`);
      expect(((await byVersion.json()) as Json).version).toBe(2);
      const history = await t.app.registry.aliases.history('iris', 'champion');
      expect(history.periods).toMatchObject([{ version: 1, action: 'set', actor: 'alice' }]);
      const missingVersion = await call('POST', '/registered-models/alias', { name: 'iris', alias: 'champion', version: '7' });
      expect(missingVersion.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      const badAlias = await call('POST', '/registered-models/alias', { name: 'iris', alias: 'Champion Model', version: '1' });
      expect(badAlias.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      // A version an alias names is not deleted under it (serving follows aliases).
      const aliased = await call('DELETE', '/model-versions/delete', { name: 'iris', version: '1' });
      expect(aliased.status).toBe(409);
      expect(aliased.body.error_code).toBe('RESOURCE_CONFLICT');
      expect(await call('DELETE', '/registered-models/alias', { name: 'iris', alias: 'champion' })).toEqual({ status: 200, body: {} });
      expect((await call('GET', '/registered-models/alias', { name: 'iris', alias: 'champion' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('a move of a protected alias through MLflow becomes an approval request: 202 in MLflow’s shape, the alias stays until approved', async () => {
      const admin = { actor: 'admin' };
      await t.app.governance.protections.protect('iris', 'prod', { approvals: 1 }, admin);
      const requested = await call('POST', '/registered-models/alias', { name: 'iris', alias: 'prod', version: '1' });
      expect(requested.status).toBe(202);
      expect(requested.body).toMatchObject({
        error_code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/^alias prod of model iris is protected: moving it to version 1 is approval request \S+, which waits for approval/),
        approval: { model: 'iris', alias: 'prod', version: 1, status: 'pending', requestedBy: 'alice', required: 1 },
      });
      const id = requested.body.approval.id as string;
      // Nothing moved: MLflow clients see no alias, and the request waits in Sextant's queue.
      expect((await call('GET', '/registered-models/alias', { name: 'iris', alias: 'prod' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((await t.app.governance.approvals.get(id)).status).toBe('pending');
      // The requester may not approve their own move; another approver's approval moves the alias.
      await expect(t.app.governance.approvals.approve(id, {}, { actor: 'alice' })).rejects.toThrow(/may not approve/);
      expect((await t.app.governance.approvals.approve(id, {}, { actor: 'bob' })).status).toBe('approved');
      const moved = await call('GET', '/registered-models/alias', { name: 'iris', alias: 'prod' });
      expect(moved.body.model_version).toMatchObject({ version: '1', aliases: ['prod'] });
      await t.app.governance.protections.unprotect('iris', 'prod', admin);
      expect(await call('DELETE', '/registered-models/alias', { name: 'iris', alias: 'prod' })).toEqual({ status: 200, body: {} });
    });

    it('get-latest-versions by stage (POST and GET), delete of a version', async () => {
      const latest = await call('POST', '/registered-models/get-latest-versions', { name: 'iris', stages: ['None'] });
      expect(latest.body.model_versions.map((v: Json) => [v.version, v.current_stage])).toEqual([['2', 'None']]);
      const none = await call('GET', '/registered-models/get-latest-versions', { name: 'iris', stages: ['Production'] });
      expect(none.body).toEqual({ model_versions: [] });
      expect(await call('DELETE', '/model-versions/delete', { name: 'iris', version: '2' })).toEqual({ status: 200, body: {} });
      expect((await call('GET', '/model-versions/get', { name: 'iris', version: '2' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      const after = await call('GET', '/registered-models/get-latest-versions', { name: 'iris' });
      expect(after.body.model_versions.map((v: Json) => v.version)).toEqual(['1']);
      const audit = await t.app.audit.list({ target: 'model:iris/2', action: 'version.delete' });
      expect(audit.events).toHaveLength(1);
    });
  });
});

describe('MLflow registry API with authentication on', () => {
  let t: TestApp;
  let url: string;
  let viewer: string;
  let editor: string;

  beforeAll(async () => {
    t = await testApp({ auth: true });
    viewer = (await t.app.tokens.create({ name: 'reader', role: 'viewer' }, { actor: 'local:test' })).token;
    editor = (await t.app.tokens.create({ name: 'trainer', role: 'editor' }, { actor: 'local:test' })).token;
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (token?: string) =>
    fetch(`${url}/api/2.0/mlflow/registered-models/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ name: 'secured' }),
    });

  it('MLFLOW_TRACKING_TOKEN is a Sextant token: none is UNAUTHENTICATED, a viewer’s write is PERMISSION_DENIED', async () => {
    const none = await create();
    expect(none.status).toBe(401);
    expect(((await none.json()) as Json).error_code).toBe('UNAUTHENTICATED');
    const denied = await create(viewer);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as Json).error_code).toBe('PERMISSION_DENIED');
    const ok = await create(editor);
    expect(ok.status).toBe(200);
    expect((((await ok.json()) as Json).registered_model as Json).user_id).toBe('token:trainer');
  });

  it('per-model grants count as for the native API, and a rename carries them to the new name', async () => {
    const root = { actor: 'local:test' };
    const send = (token: string, method: string, endpoint: string, message: Json) =>
      fetch(`${url}/api/2.0/mlflow${endpoint}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(message) });
    await t.app.governance.grants.set('secured', 'token:reader', { role: 'deployer' }, root);
    // A global viewer with a deployer grant on the model may tag it and move its aliases there, and nowhere else.
    expect((await send(viewer, 'POST', '/registered-models/set-tag', { name: 'secured', key: 'k', value: 'v' })).status).toBe(200);
    await t.app.registry.models.create({ name: 'other', task: 'regression' }, root);
    const elsewhere = await send(viewer, 'POST', '/registered-models/set-tag', { name: 'other', key: 'k', value: 'v' });
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as Json).error_code).toBe('PERMISSION_DENIED');
    // Renaming needs admin on the model.
    const denied = await send(editor, 'POST', '/registered-models/rename', { name: 'secured', new_name: 'guarded' });
    expect(((await denied.json()) as Json).error_code).toBe('PERMISSION_DENIED');
    await t.app.registry.models.rename('secured', 'guarded', root);
    expect((await t.app.governance.grants.list('guarded')).map((g) => [g.principal, g.role])).toEqual([['token:reader', 'deployer']]);
    expect((await send(viewer, 'POST', '/registered-models/set-tag', { name: 'guarded', key: 'k', value: 'w' })).status).toBe(200);
  });
});
