import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes, testApp, type TestApp } from './helpers/app.js';
import { runCli } from './helpers/processes.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'onnx', 'per-feature.onnx'));
const who = { actor: 'test' };

/** Every file under the home (database, its write-ahead log, blobs) that holds `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(Buffer.from(needle))) hits.push(file);
  }
  return hits;
}

describe('personal data in the prediction log', () => {
  let t: TestApp;
  let url: string;
  let markedAt = '';
  let logged: { requestId: string; inputs: { features: string[]; rows: unknown[][] } | null }[] = [];
  const loggedPredictions = async () => (await t.server.inject({ method: 'GET', url: '/api/v1/deployments/pay/predictions?pageSize=10' })).json().predictions as typeof logged;
  const country = (id: string) => {
    const p = logged.find((x) => x.requestId === id)!;
    return p.inputs!.rows[0]![p.inputs!.features.indexOf('country')];
  };
  const infer = (country: string, id: string) =>
    t.server.inject({ method: 'POST', url: '/v1/deployments/pay/invocations', headers: { 'x-request-id': id }, payload: { dataframe_records: [{ amount: 12.5, count: 3, country }] } });

  beforeAll(async () => {
    t = await testApp({ env: { SEXTANT_REFRESH_MS: '50' } });
    await t.app.registry.models.create({ name: 'pay', task: 'regression' }, who);
    await t.app.registry.versions.register('pay', bytes(MODEL), { format: 'onnx', alias: 'champion' }, who);
    await t.app.serving.deployments.create({ name: 'pay', model: 'pay', alias: 'champion' }, who);
    await t.app.serving.live.refresh();
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a marked feature is stored as a keyed hash: the stored bytes never hold the raw value', async () => {
    // Control: unmarked, the value reaches the stored bytes (so the scan below can see one).
    expect((await infer('Plainland-7f3a', 'req-plain')).statusCode).toBe(200);
    await t.app.monitoring.predictions.flush();
    expect(filesHolding(t.home, 'Plainland-7f3a').length).toBeGreaterThan(0);

    const marked = await runCli(['versions', 'update', 'pay/1', '--pii', 'country', '--pii', 'amount', '--json'], { SEXTANT_URL: url });
    expect(marked.code, marked.stderr).toBe(0);
    expect(JSON.parse(marked.stdout).signature.inputs.find((i: { name: string }) => i.name === 'country')).toMatchObject({ pii: true });
    await t.app.serving.live.refresh();
    markedAt = new Date().toISOString();

    expect((await infer('Secretia-91c2', 'req-a')).statusCode).toBe(200);
    expect((await infer('Secretia-91c2', 'req-b')).statusCode).toBe(200);
    expect((await infer('Otherland-55d0', 'req-c')).statusCode).toBe(200);
    // A refusal quotes the bad value in its message; the log keeps the message without it.
    const refused = await t.server.inject({ method: 'POST', url: '/v1/deployments/pay/invocations', headers: { 'x-request-id': 'req-bad' }, payload: { dataframe_records: [{ amount: 'Secretia-bad-0e1', count: 3, country: 'x' }] } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toContain('Secretia-bad-0e1');
    await t.app.monitoring.predictions.flush();
    expect(filesHolding(t.home, 'Secretia-91c2')).toEqual([]);
    expect(filesHolding(t.home, 'Secretia-bad-0e1')).toEqual([]);
    expect(filesHolding(t.home, 'Otherland-55d0')).toEqual([]);

    // What readers (and exports) see: the hash, equal for equal values, so categories still count.
    logged = await loggedPredictions();
    expect(country('req-a')).toMatch(/^pii:[0-9a-f]{16}$/);
    expect(country('req-a')).toBe(country('req-b'));
    expect(country('req-c')).not.toBe(country('req-a'));
    expect(country('req-plain')).toBe('Plainland-7f3a');
    expect(JSON.stringify(logged)).not.toContain('Secretia');
    // The key lives in the home, readable by its owner only.
    expect(fs.statSync(path.join(t.home, 'pii.key')).mode & 0o077).toBe(0);
  });

  it('drift of a marked category compares hashes with the reference hashed the same way; cards name the feature, never a value', async () => {
    const ref = ['amount,count,country', ...Array.from({ length: 40 }, (_, i) => `${12.5 + (i % 3)},${i % 5},${i % 2 ? 'Secretia-91c2' : 'Otherland-55d0'}`)].join('\n');
    await t.app.monitoring.references.upload('pay', 1, ref, 'csv');
    const drift = (await t.server.inject({ method: 'GET', url: `/api/v1/deployments/pay/drift?version=1&since=${markedAt}` })).json();
    const feature = drift.features.find((f: { feature: string }) => f.feature === 'country');
    expect(feature, JSON.stringify(drift)).toBeDefined();
    // The window's hashed values are all categories the hashed reference has.
    expect(feature.drifted).toBe(false);
    // The reference's profile shows the marked columns as hashes (categories) or counts (numbers).
    const profile = (await t.server.inject({ method: 'GET', url: '/api/v1/models/pay/versions/1/reference' })).json().profile;
    expect(profile.country.top.map((x: { value: string }) => x.value).sort()).toEqual([country('req-a'), country('req-c')].sort());
    expect(profile.amount).toEqual({ kind: 'cat', count: 40, missing: 0, top: [] });
    expect(profile.count.kind).toBe('num');
    const card = await t.server.inject({ method: 'GET', url: '/api/v1/models/pay/versions/1/card' });
    expect(card.json().model_parameters.sextant.personalData).toEqual(['amount', 'country']);
    expect(card.body).not.toContain('Secretia');
    const bad = await t.server.inject({ method: 'PATCH', url: '/api/v1/models/pay/versions/1', payload: { pii: { nope: true } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/pii: the signature has no input nope/);
  });
});
