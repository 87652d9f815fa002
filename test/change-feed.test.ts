import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/shared/wait-for.js';
import { bytes, type TestApp, testApp } from './helpers/app.js';
import { databaseTargets, PG_URL } from './helpers/databases.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'serving');
const signature = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'signature.json'), 'utf8'));
const who = { actor: 'test' };

const postgres = (await databaseTargets()).filter((t) => t.name === 'postgres');
if (postgres.length === 0) console.warn('SKIP change notifications: LISTEN/NOTIFY is PostgreSQL’s, which is unreachable here (see above)');

describe.each(postgres)('routing changes announced by $name LISTEN/NOTIFY', (target) => {
  let a: TestApp;
  let b: TestApp;
  let drop: () => Promise<void>;
  let channel: string;

  beforeAll(async () => {
    const db = await target.create('');
    drop = db.drop;
    channel = `listen "sextant_change_${db.config.kind === 'postgres' ? db.config.schema : ''}"`;
    // A poll a minute apart: only a notification can bring a change to the other node in time.
    const env = { SEXTANT_REFRESH_MS: '60000' };
    a = await testApp({ database: db.config, env });
    const r = a.app.registry;
    await r.models.create({ name: 'bc', task: 'binary-classification' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-logreg.onnx'))), { format: 'onnx', signature, alias: 'champion' }, who);
    await r.versions.register('bc', bytes(fs.readFileSync(path.join(FIX, 'breast-cancer-linear.json'))), { format: 'sextant-linear' }, who);
    await a.app.serving.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' }, who);
    // The second node shares the database and the artifacts, as nodes on S3 do.
    b = await testApp({ database: db.config, env: { ...env, SEXTANT_ARTIFACTS: path.join(a.home, 'artifacts') } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  const servedByB = () => b.app.serving.live.get('bc')?.routes[0]?.version;

  it('brings an alias move on one node to the other without waiting for its poll', async () => {
    expect(servedByB()).toBe(1);
    await a.app.registry.aliases.set('bc', 'champion', { version: 2, reason: 'notify' }, who);
    expect(await waitFor('node b to serve version 2', async () => servedByB() === 2, 10_000, 5)).toBe(true);
  });

  it('listens again after its connection is cut, catching up on what changed meanwhile', async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const cut = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where query = $1', [channel]);
      expect(cut.rowCount).toBeGreaterThanOrEqual(2);
      await a.app.registry.aliases.set('bc', 'champion', { version: 1, reason: 'while cut' }, who);
      expect(await waitFor('node b to serve version 1', async () => servedByB() === 1, 10_000, 5)).toBe(true);
      // Listening again: both nodes' connections are back.
      const listening = async () => Number((await admin.query('select count(*) as n from pg_stat_activity where query = $1', [channel])).rows[0].n) >= 2;
      expect(await waitFor('the listeners to reconnect', listening, 10_000, 50)).toBe(true);
      await a.app.registry.aliases.set('bc', 'champion', { version: 2, reason: 'after' }, who);
      expect(await waitFor('node b to serve version 2 again', async () => servedByB() === 2, 10_000, 5)).toBe(true);
    } finally {
      await admin.end();
    }
  });
});
