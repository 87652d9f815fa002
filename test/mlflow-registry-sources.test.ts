import fs from 'node:fs';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testApp, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/processes.js';

// MLflow model directories on S3 (the artifact store's bucket, as MLflow's own artifact store
// writes them), and a version created through the MLflow API served by its MLmodel signature.

const FIXTURES = path.join(path.resolve(import.meta.dirname, '..'), 'test', 'fixtures');
const ONNX = fs.readFileSync(path.join(FIXTURES, 'onnx', 'linear-classifier.onnx'));
const MLMODEL = `flavors:
  onnx:
    data: model.onnx
    onnx_version: 1.16.0
  python_function:
    data: model.onnx
    loader_module: mlflow.onnx
run_id: 0d6c1a2b3c4d5e6f708192a3b4c5d6e7
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double", "name": "sepal_width", "required": true}, {"type": "double", "name": "petal_length", "required": true}, {"type": "double", "name": "petal_width", "required": true}]'
  outputs: null
`;

type Json = Record<string, unknown>;

describe('MLflow model-versions/create from s3:// on the configured store, served by its signature', () => {
  let t: TestApp;
  let url: string;
  let s3rver: { run(): Promise<{ port: number }>; close(): Promise<void> };

  const call = async (method: string, endpoint: string, message: Json): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${url}${endpoint}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeAll(async () => {
    const dir = tempDir('sextant-mlflow-s3-');
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: 'ml' }, { name: 'elsewhere' }] });
    const { port } = await s3rver.run();
    const endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const put = (Bucket: string, Key: string, Body: Buffer | string) => client.send(new PutObjectCommand({ Bucket, Key, Body }));
    for (const bucket of ['ml', 'elsewhere']) {
      await put(bucket, 'mlruns/1/0d6c1a2b/artifacts/model/MLmodel', MLMODEL);
      await put(bucket, 'mlruns/1/0d6c1a2b/artifacts/model/model.onnx', ONNX);
    }
    client.destroy();
    t = await testApp({
      home: dir,
      env: {
        SEXTANT_ARTIFACTS: 's3://ml/sextant',
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await s3rver?.close();
  });

  it('reads MLmodel and the onnx file from the store’s bucket, and refuses other buckets', async () => {
    expect((await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'iris' })).status).toBe(200);
    const source = 's3://ml/mlruns/1/0d6c1a2b/artifacts/model';
    const created = await call('POST', '/api/2.0/mlflow/model-versions/create', { name: 'iris', source });
    expect(created.status).toBe(200);
    expect(created.body.model_version).toMatchObject({ name: 'iris', version: '1', source, run_id: '0d6c1a2b3c4d5e6f708192a3b4c5d6e7', status: 'READY' });
    const v = await t.app.registry.versions.get('iris', 1);
    expect(v.size).toBe(ONNX.length);
    const other = await call('POST', '/api/2.0/mlflow/model-versions/create', { name: 'iris', source: 's3://elsewhere/mlruns/1/0d6c1a2b/artifacts/model' });
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/only from its artifact bucket ml/) });
    const missing = await call('POST', '/api/2.0/mlflow/model-versions/create', { name: 'iris', source: 's3://ml/mlruns/1/none/artifacts/model' });
    expect(missing.body.message).toMatch(/has no MLmodel/);
  });

  it('the version serves rows named by the MLmodel signature through an alias set with the MLflow API', async () => {
    expect((await call('POST', '/api/2.0/mlflow/registered-models/alias', { name: 'iris', alias: 'champion', version: '1' })).status).toBe(200);
    await t.app.serving.deployments.create({ name: 'iris', model: 'iris', alias: 'champion' }, { actor: 'test' });
    await t.app.serving.live.refresh();
    const scored = await call('POST', '/v1/deployments/iris/invocations', {
      dataframe_split: { columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], data: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] },
    });
    expect(scored.status).toBe(200);
    expect((scored.body.predictions as unknown[]).length).toBe(2);
    const wrong = await call('POST', '/v1/deployments/iris/invocations', { dataframe_split: { columns: ['a', 'b', 'c', 'd'], data: [[1, 2, 3, 4]] } });
    expect(wrong.status).toBe(400);
    // Neither the alias a deployment follows nor the version it serves is deleted from under it.
    const alias = await call('DELETE', '/api/2.0/mlflow/registered-models/alias', { name: 'iris', alias: 'champion' });
    expect(alias).toMatchObject({ status: 409, body: { error_code: 'RESOURCE_CONFLICT' } });
    const version = await call('DELETE', '/api/2.0/mlflow/model-versions/delete', { name: 'iris', version: '1' });
    expect(version).toMatchObject({ status: 409, body: { error_code: 'RESOURCE_CONFLICT', message: expect.stringMatching(/served by deployment\(s\) iris/) } });
  });

  it('the CLI takes models:/NAME@ALIAS and models:/NAME/VERSION where it takes model references', async () => {
    const byAlias = await runCli(['versions', 'show', 'models:/iris@champion', '--json'], { SEXTANT_URL: url });
    expect(byAlias.code, byAlias.stderr).toBe(0);
    expect(JSON.parse(byAlias.stdout)).toMatchObject({ model: 'iris', version: 1, aliases: ['champion'] });
    const byVersion = await runCli(['versions', 'show', 'models:/iris/1', '--json'], { SEXTANT_URL: url });
    expect(JSON.parse(byVersion.stdout)).toMatchObject({ model: 'iris', version: 1 });
  });

  it('paths under the MLflow prefixes that Sextant does not serve are ENDPOINT_NOT_FOUND', async () => {
    const res = await fetch(`${url}/api/2.0/mlflow/runs/get?run_id=abc`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
    const ajax = await fetch(`${url}/ajax-api/2.0/mlflow/experiments/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(((await ajax.json()) as Json).error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});
