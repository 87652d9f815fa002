import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { AppError } from '../src/shared/app-error.js';
import { silentLogger } from '../src/shared/logger.js';
import { bytes, tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

const targets = await databaseTargets();
const who = { actor: 'alice', requestId: 'req-1' };

async function expectCode(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe.each(targets)('registry store contract on $name', (target) => {
  let app: App;
  let home: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    home = tempDir();
    const db = await target.create(home);
    drop = db.drop;
    const config = { ...loadConfig({ env: { SEXTANT_HOME: home } }), database: db.config };
    app = await buildApp(config, { logger: silentLogger });
  });

  afterAll(async () => {
    await app?.close();
    await drop?.();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const register = (model: string, content: string, meta: Record<string, unknown> = {}) =>
    app.registry.versions.register(model, bytes(content), { format: 'sextant-linear', ...meta }, who);

  it('creates, reads, updates and refuses duplicate models', async () => {
    const m = await app.registry.models.create({ name: 'fraud', task: 'binary-classification', tags: { team: 'risk' } }, who);
    expect(m).toMatchObject({ name: 'fraud', owner: 'alice', latestVersion: null, tags: { team: 'risk' } });
    await expectCode(app.registry.models.create({ name: 'fraud', task: 'regression' }, who), 'already_exists');
    const u = await app.registry.models.update('fraud', { description: 'catches fraud', tags: { team: null, tier: 'gold' } }, who);
    expect(u.tags).toEqual({ tier: 'gold' });
    expect(u.description).toBe('catches fraud');
    expect((await app.registry.models.get('fraud')).tags).toEqual({ tier: 'gold' });
    await expectCode(app.registry.models.get('nope'), 'not_found');
    await expectCode(app.registry.models.create({ name: '../etc', task: 'regression' }, who), 'invalid_argument');
  });

  it('searches by name, tag, owner and task with stable pagination', async () => {
    for (let i = 0; i < 25; i++) {
      await app.registry.models.create(
        { name: `search-${String(i).padStart(2, '0')}`, task: i % 2 ? 'regression' : 'multiclass-classification', owner: i % 3 ? 'bob' : 'carol', tags: { parity: i % 2 ? 'odd' : 'even', ...(i % 5 === 0 ? { five: 'yes' } : {}) } },
        who,
      );
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await app.registry.models.list({ q: 'search-', pageSize: 7, pageToken: token });
      seen.push(...page.models.map((m) => m.name));
      token = page.nextPageToken ?? undefined;
    } while (token);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toHaveLength(25);
    const odd = await app.registry.models.list({ tag: ['parity=odd'], pageSize: 100 });
    expect(odd.models.map((m) => m.name).every((n) => Number(n.slice(-2)) % 2 === 1)).toBe(true);
    expect(odd.models).toHaveLength(12);
    const both = await app.registry.models.list({ tag: ['five', 'parity=even'] });
    expect(both.models.map((m) => m.name)).toEqual(['search-00', 'search-10', 'search-20']);
    const carolRegression = await app.registry.models.list({ owner: 'carol', task: 'regression', q: 'search' });
    expect(carolRegression.models.map((m) => m.name)).toEqual(['search-03', 'search-09', 'search-15', 'search-21']);
    const desc = await app.registry.models.list({ q: 'search', orderBy: 'createdAt', order: 'desc', pageSize: 3 });
    expect(desc.models.map((m) => m.name)).toEqual(['search-24', 'search-23', 'search-22']);
    const like = await app.registry.models.list({ q: '_' });
    expect(like.models).toHaveLength(0);
    await expectCode(app.registry.models.list({ pageToken: 'garbage!' }), 'invalid_argument');
  });

  it('registers versions with lineage, numbering 1, 2, … and reporting duplicate digests', async () => {
    await app.registry.models.create({ name: 'lineage', task: 'regression' }, who);
    const v1 = await register('lineage', 'model-a', { params: { alpha: 0.1 }, metrics: { rmse: 1.5 }, lineage: { dataDigest: 'sha256:abc', dataUri: 's3://d/1', codeRef: 'git:1234' } });
    expect(v1).toMatchObject({ version: 1, format: 'sextant-linear', size: 7, status: 'active', author: 'alice', warnings: [] });
    expect(v1.lineage).toEqual({ dataDigest: 'sha256:abc', dataUri: 's3://d/1', codeRef: 'git:1234' });
    const v2 = await register('lineage', 'model-b', { lineage: { parentVersion: 1, jobId: 'job-9' } });
    expect(v2.version).toBe(2);
    const v3 = await register('lineage', 'model-a');
    expect(v3.version).toBe(3);
    expect(v3.warnings[0]).toMatch(/already registered as version\(s\) 1/);
    await expectCode(register('lineage', 'x', { lineage: { parentVersion: 9 } }), 'invalid_argument');
    // The failed registration rolled back its number: numbering stays gapless.
    expect((await register('lineage', 'model-c')).version).toBe(4);
    const got = await app.registry.versions.get('lineage', 2);
    expect(got.lineage).toEqual({ parentVersion: 1, jobId: 'job-9' });
    const page = await app.registry.versions.list('lineage', { pageSize: 3 });
    expect(page.versions.map((v) => v.version)).toEqual([4, 3, 2]);
    const rest = await app.registry.versions.list('lineage', { pageSize: 3, pageToken: page.nextPageToken! });
    expect(rest.versions.map((v) => v.version)).toEqual([1]);
    const chunks: Buffer[] = [];
    for await (const c of (await app.registry.versions.artifact('lineage', 2)).stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('model-b');
  });

  it('keeps versions immutable except description, tags and status', async () => {
    await app.registry.models.create({ name: 'immutable', task: 'regression' }, who);
    await register('immutable', 'one', { tags: { a: '1' } });
    const u = await app.registry.versions.update('immutable', 1, { description: 'd', tags: { b: '2' }, status: 'deprecated' }, who);
    expect(u).toMatchObject({ description: 'd', tags: { a: '1', b: '2' }, status: 'deprecated' });
    await expectCode(app.registry.versions.update('immutable', 1, { format: 'onnx' }, who), 'invalid_argument');
    await expectCode(app.registry.versions.update('immutable', 1, { metrics: { x: 1 } }, who), 'invalid_argument');
    await expectCode(app.registry.versions.update('immutable', 7, { description: 'x' }, who), 'not_found');
  });

  it('gives 20 concurrent registrations the numbers 1..20 exactly', async () => {
    await app.registry.models.create({ name: 'race', task: 'regression' }, who);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => register('race', `artifact-${i}`)));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await app.registry.models.get('race')).latestVersion).toBe(20);
  });

  it('moves aliases, resolves name@alias, latest and numbers, and rolls back like an undo stack', async () => {
    await app.registry.models.create({ name: 'alias', task: 'regression' }, who);
    for (const c of ['a', 'b', 'c']) await register('alias', c);
    await expectCode(app.registry.aliases.set('alias', 'champion', { version: 9 }, who), 'not_found');
    await expectCode(app.registry.aliases.set('alias', 'latest', { version: 1 }, who), 'invalid_argument');
    await expectCode(app.registry.aliases.set('alias', '7up', { version: 1 }, who), 'invalid_argument');
    await app.registry.aliases.set('alias', 'champion', { version: 1, reason: 'first' }, who);
    await app.registry.aliases.set('alias', 'champion', { version: 2 }, who);
    const a = await app.registry.aliases.set('alias', 'champion', { version: 3, reason: 'better' }, { actor: 'bob' });
    expect(a).toMatchObject({ version: 3, previousVersion: 2, updatedBy: 'bob' });
    expect((await app.registry.versions.get('alias', 'champion')).version).toBe(3);
    expect((await app.registry.versions.get('alias', 'latest')).version).toBe(3);
    await app.registry.versions.update('alias', 3, { status: 'deprecated' }, who);
    expect((await app.registry.versions.get('alias', 'latest')).version).toBe(2);
    await expectCode(app.registry.versions.update('alias', 3, { status: 'archived' }, who), 'conflict');
    expect(await app.registry.aliases.rollback('alias', { alias: 'champion' }, who)).toMatchObject({ version: 2 });
    expect(await app.registry.aliases.rollback('alias', { alias: 'champion' }, who)).toMatchObject({ version: 1 });
    await expectCode(app.registry.aliases.rollback('alias', { alias: 'champion' }, who), 'conflict');
    await expectCode(app.registry.aliases.rollback('alias', { alias: 'ghost' }, who), 'not_found');
    const history = await app.registry.aliases.history('alias', 'champion');
    expect(history.periods.map((p) => [p.version, p.action])).toEqual([
      [1, 'set'],
      [2, 'set'],
      [3, 'set'],
      [2, 'rollback'],
      [1, 'rollback'],
    ]);
    expect(history.periods.slice(0, -1).every((p) => p.to !== null)).toBe(true);
    expect(history.periods.at(-1)!.to).toBeNull();
    expect(history.periods[2]).toMatchObject({ actor: 'bob', reason: 'better' });
    await expectCode(app.registry.models.delete('alias', who), 'conflict');
    await app.registry.aliases.delete('alias', 'champion', who);
    await expectCode(app.registry.versions.get('alias', 'champion'), 'not_found');
    await app.registry.models.delete('alias', who);
    await expectCode(app.registry.models.get('alias'), 'not_found');
  });

  it('sets an alias in the same transaction as the registration', async () => {
    await app.registry.models.create({ name: 'reg-alias', task: 'regression' }, who);
    const v = await register('reg-alias', 'z', { alias: 'champion' });
    expect(v.aliases).toEqual(['champion']);
    expect((await app.registry.models.get('reg-alias')).aliases).toEqual({ champion: 1 });
  });

  it('leaves no version and no blob when the upload digest does not match', async () => {
    await app.registry.models.create({ name: 'digest', task: 'regression' }, who);
    const before = await app.audit.list({ target: 'model:digest*' });
    await expectCode(register('digest', 'payload', { digest: 'a'.repeat(64) }), 'invalid_argument');
    expect((await app.registry.versions.list('digest', {})).versions).toHaveLength(0);
    expect((await app.registry.models.get('digest')).latestVersion).toBeNull();
    const { createHash } = await import('node:crypto');
    expect(await app.blobs.stat(createHash('sha256').update('payload').digest('hex'))).toBeNull();
    expect((await app.audit.list({ target: 'model:digest*' })).events).toHaveLength(before.events.length);
  });

  it('removes the blobs of a deleted model unless another version shares them', async () => {
    await app.registry.models.create({ name: 'gc-a', task: 'regression' }, who);
    await app.registry.models.create({ name: 'gc-b', task: 'regression' }, who);
    const shared = await register('gc-a', 'shared-bytes');
    const own = await register('gc-a', 'own-bytes');
    await register('gc-b', 'shared-bytes');
    await app.registry.models.delete('gc-a', who);
    expect(await app.blobs.stat(shared.digest)).not.toBeNull();
    expect(await app.blobs.stat(own.digest)).toBeNull();
  });

  it('audits every change in a hash chain that detects edits and deletions', async () => {
    const events = await app.audit.list({ target: 'model:fraud', pageSize: 1000 });
    expect(events.events.map((e) => e.action)).toEqual(['model.create', 'model.update']);
    expect(events.events[1]).toMatchObject({ actor: 'alice', requestId: 'req-1', before: { tags: { team: 'risk' } }, after: { tags: { tier: 'gold' } } });
    const byBob = await app.audit.list({ actor: 'bob' });
    expect(byBob.events.map((e) => e.action)).toEqual(['alias.set']);
    const since = await app.audit.list({ since: new Date(Date.now() + 60_000).toISOString() });
    expect(since.events).toHaveLength(0);
    const ok = await app.audit.verify();
    expect(ok).toMatchObject({ ok: true, firstBroken: null });
    expect(ok.checked).toBeGreaterThan(50);

    const db = app.database.db;
    const victim = await db.selectFrom('audit_events').selectAll().where('seq', '=', 5).executeTakeFirstOrThrow();
    await db.updateTable('audit_events').set({ actor: 'mallory' }).where('seq', '=', 5).execute();
    expect((await app.audit.verify()).firstBroken).toEqual({ seq: 5, reason: expect.stringMatching(/edited/) });
    await db.updateTable('audit_events').set({ actor: victim.actor }).where('seq', '=', 5).execute();
    expect((await app.audit.verify()).ok).toBe(true);

    const seventh = await db.selectFrom('audit_events').selectAll().where('seq', '=', 7).executeTakeFirstOrThrow();
    await db.deleteFrom('audit_events').where('seq', '=', 7).execute();
    expect((await app.audit.verify()).firstBroken).toEqual({ seq: 7, reason: expect.stringMatching(/missing/) });
    await db.insertInto('audit_events').values(seventh).execute();
    expect((await app.audit.verify()).ok).toBe(true);
  });

  it('detects a deleted tail event', async () => {
    const head = await app.database.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    await app.database.db.deleteFrom('audit_events').where('seq', '=', Number(head.seq)).execute();
    const r = await app.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.firstBroken).toEqual({ seq: Number(head.seq), reason: expect.stringMatching(/deleted from the end/) });
  });

  it('stores only token hashes and authenticates, expires and revokes', async () => {
    const t = await app.tokens.create({ name: 'ci', role: 'viewer' }, who);
    expect(t.token).toMatch(/^sxt_/);
    const rows = await app.database.db.selectFrom('tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(t.token);
    expect(await app.tokens.authenticate(t.token)).toMatchObject({ name: 'ci', role: 'viewer' });
    expect(await app.tokens.authenticate(`${t.token}x`)).toBeNull();
    await app.tokens.revoke('ci', who);
    expect(await app.tokens.authenticate(t.token)).toBeNull();
    await expectCode(app.tokens.revoke('ci', who), 'not_found');
    await expectCode(app.tokens.create({ name: 'bad name' }, who), 'invalid_argument');
  });
});
