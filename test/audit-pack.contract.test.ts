import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPack } from '../src/contracts/audit-pack.js';
import { loadConfig } from '../src/config/index.js';
import { AuditSigner, itemDigest, packItems, SIGNING_KEY_FILE, verifyAuditPack } from '../src/governance/index.js';
import { canonicalJson } from '../src/shared/canonical-json.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { recordApproval } from './helpers/approval-records.js';
import { databaseTargets } from './helpers/databases.js';

const FIX = path.join(import.meta.dirname, 'fixtures', 'onnx');
const who = { actor: 'alice' };
const linear = (bias: number) => JSON.stringify({ type: 'sextant-linear', task: 'binary-classification', features: ['a', 'b'], weights: [0.5, -0.25], bias });

/** A copy of the pack, changed by `edit`. */
function tampered(pack: AuditPack, edit: (p: AuditPack) => void): AuditPack {
  const copy = structuredClone(pack);
  edit(copy);
  return copy;
}

/** The pack re-signed with another key after `edit`, digests recomputed: what a forger would make. */
function forged(pack: AuditPack, edit: (p: AuditPack) => void = () => {}): AuditPack {
  const copy = tampered(pack, edit);
  const { digests: _old, ...unsigned } = copy.body;
  copy.body.digests = Object.fromEntries(packItems(unsigned).map(([item, value]) => [item, itemDigest(value)]));
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const other = AuditSigner.fromConfig('/nonexistent', pem);
  copy.signature = { algorithm: 'Ed25519', keyId: other.keyId, publicKey: other.publicKeyPem, value: other.sign(canonicalJson(copy.body)) };
  return copy;
}

const targets = await databaseTargets();

describe.each(targets)('audit packs on $name', (target) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let pack: AuditPack;
  let text: string;
  const approvalId = '01900000-0000-7000-8000-00000000a001';

  beforeAll(async () => {
    const created = await target.create(tempDir());
    drop = created.drop;
    t = await testApp({ database: created.config });
    const r = t.app.registry;
    await r.models.create({ name: 'fraud', task: 'binary-classification' }, who);
    await r.versions.register('fraud', bytes(linear(0.1)), { format: 'sextant-linear', alias: 'champion' }, who);
    await r.versions.register('fraud', bytes(linear(0.2)), { format: 'sextant-linear', lineage: { parentVersion: 1, dataDigest: 'sha256:feed' } }, { actor: 'bob' });
    // Another model's events fall between the subject's: they must travel as links.
    await r.models.create({ name: 'fraud-2', task: 'regression' }, who);
    await r.versions.register('fraud', bytes(fs.readFileSync(path.join(FIX, 'linear-classifier.onnx'))), { format: 'onnx', lineage: { parentVersion: 2, codeRef: 'abc123' } }, who);
    await r.aliases.set('fraud', 'champion', { version: 2, reason: 'better auc' }, { actor: 'carol' });
    await t.app.serving.deployments.create({ name: 'fraud-live', model: 'fraud', alias: 'champion' }, who);
    await r.models.update('fraud', { description: 'card fraud' }, who);
    // Approvals and gate results are written by their own services; the pack reads their tables.
    await recordApproval(t.app, {
      id: approvalId,
      model: 'fraud',
      alias: 'champion',
      version: 3,
      fromVersion: 2,
      requestedBy: 'token:dave',
      versionAuthor: 'alice',
      rules: [{ rule: 'accuracy>=0.9', passed: true, value: 0.93 }],
      votes: [
        { approver: 'token:erin', decision: 'approve', reason: 'looked at the card' },
        { approver: 'token:frank', decision: 'approve', reason: null },
      ],
      status: 'approved',
    });
    const db = t.app.database.db;
    const validation = { model: 'fraud', version: 3, champion: 2, holdoutRows: 100, passed: true, checks: [], dataChecks: [], jobId: null, createdAt: '2030-01-01T00:00:00.000Z' };
    await db.insertInto('version_validations').values({ model: 'fraud', version: 3, job_id: null, result: JSON.stringify(validation), created_at: validation.createdAt }).execute();
    // Protections and rules as their services store them (the pack reads their tables).
    await db.insertInto('protected_aliases').values({ model: 'fraud', alias: 'champion', approvals: 2, ttl_seconds: 259_200, protected_by: 'token:root', protected_at: '2030-01-01T00:00:00.000Z' }).execute();
    await db
      .insertInto('promotion_rules')
      .values({ model: 'fraud', alias: 'champion', rules: JSON.stringify({ minMetric: [{ metric: 'accuracy', op: '>=', value: 0.9 }] }), updated_by: 'token:root', updated_at: '2030-01-01T00:00:00.000Z' })
      .execute();
    await t.app.governance.grants.set('fraud', 'token:ann', { role: 'deployer' }, who);
    await t.app.governance.grants.set('*', 'token:gus', { role: 'approver' }, who);
    await t.app.governance.grants.set('fraud-2', 'token:hal', { role: 'admin' }, who);
    await r.models.update('fraud-2', { description: 'after the subject' }, who);
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack', headers: { 'x-sextant-actor': 'auditor' } });
    expect(res.statusCode).toBe(200);
    text = res.body;
    pack = JSON.parse(text);
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('holds the model, versions, lineage, validations, alias history, approvals and a linked stretch of the chain, and verifies', async () => {
    const b = pack.body;
    expect(b.export).toMatchObject({ model: 'fraud', version: null, by: 'auditor' });
    expect(b.model).toMatchObject({ name: 'fraud', description: 'card fraud', aliases: { champion: 2 } });
    expect(b.versions.map((v) => [v.version, v.author])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
      [3, 'alice'],
    ]);
    expect(b.lineage.find((l) => l.version === 3)).toEqual({ version: 3, lineage: { parentVersion: 2, codeRef: 'abc123' }, ancestors: [2, 1] });
    expect(b.validations).toEqual([expect.objectContaining({ version: 3, passed: true, champion: 2 })]);
    expect(b.aliasHistory.map((p) => [p.alias, p.version, p.actor, p.to === null])).toEqual([
      ['champion', 1, 'alice', false],
      ['champion', 2, 'carol', true],
    ]);
    expect(b.approvals).toEqual([
      expect.objectContaining({
        id: approvalId,
        status: 'approved',
        requestedBy: 'token:dave',
        versionAuthor: 'alice',
        rules: [{ rule: 'accuracy>=0.9', passed: true, value: 0.93 }],
        votes: [
          { approver: 'token:erin', decision: 'approve', reason: 'looked at the card', at: expect.any(String) },
          { approver: 'token:frank', decision: 'approve', reason: null, at: expect.any(String) },
        ],
      }),
    ]);
    expect(b.grants.map((g) => [g.model, g.principal, g.role])).toEqual([
      ['fraud', 'token:ann', 'deployer'],
      ['*', 'token:gus', 'approver'],
    ]);
    expect(b.protections).toEqual([{ alias: 'champion', approvals: 2, ttlSeconds: 259_200, protectedBy: 'token:root', protectedAt: '2030-01-01T00:00:00.000Z' }]);
    expect(b.rules).toEqual([{ alias: 'champion', rules: { minMetric: [{ metric: 'accuracy', op: '>=', value: 0.9 }] }, updatedBy: 'token:root', updatedAt: '2030-01-01T00:00:00.000Z' }]);
    const events = b.audit.events;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => events[0]!.seq + i));
    expect(events.map((e) => e.target)).toContain('model:fraud-2');
    expect(events.map((e) => e.target)).toContain('deployment:fraud-live');
    // The chain goes on past the subject's last event (grants elsewhere, fraud-2's update); the pack ends at the subject's last.
    expect(events[events.length - 1]).toMatchObject({ action: 'grant.set', target: 'model:fraud' });
    expect(b.audit.head.seq).toBe(events[events.length - 1]!.seq + 3);
    expect(b.audit.range).toMatchObject({ first: { seq: events[0]!.seq }, last: { seq: events[events.length - 1]!.seq } });

    const v = verifyAuditPack(JSON.parse(text));
    expect(v).toMatchObject({ ok: true, model: 'fraud', keyPinned: false, events: events.length, firstBroken: null });
    expect(v.subjectEvents).toBe(events.length - 1);
    expect(v.items).toBe(Object.keys(b.digests).length);
  });

  it('is signed with the key the public-key route gives, which pins the signer', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/audit/public-key' });
    expect(res.statusCode).toBe(200);
    const key = res.json();
    expect(key).toEqual({ algorithm: 'Ed25519', keyId: pack.signature.keyId, publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/) });
    expect(verifyAuditPack(pack, { publicKeyPem: key.publicKey })).toMatchObject({ ok: true, keyPinned: true, keyId: key.keyId });
  });

  it('names the event when one byte of it changes', () => {
    const event = pack.body.audit.events.find((e) => e.action === 'alias.set' && e.actor === 'carol')!;
    const at = text.indexOf('"actor":"carol"', text.indexOf('"events":['));
    expect(at).toBeGreaterThan(0);
    const changed = `${text.slice(0, at + 10)}k${text.slice(at + 11)}`;
    expect(changed.length).toBe(text.length);
    expect(verifyAuditPack(JSON.parse(changed)).firstBroken).toEqual({ item: `event ${event.seq}`, reason: 'its hash does not match its contents (edited)' });
  });

  it('names the item when one byte elsewhere changes', () => {
    const at = text.indexOf('"description":"card fraud"');
    const changed = `${text.slice(0, at + 15)}C${text.slice(at + 16)}`;
    expect(verifyAuditPack(JSON.parse(changed)).firstBroken).toEqual({ item: 'model', reason: expect.stringMatching(/^its contents changed after signing/) });
  });

  it('names the missing event when one is removed, first, in the middle or last', () => {
    const events = pack.body.audit.events;
    const first = events[0]!.seq;
    const last = events[events.length - 1]!.seq;
    const without = (i: number) => verifyAuditPack(tampered(pack, (p) => p.body.audit.events.splice(i, 1))).firstBroken;
    expect(without(3)).toEqual({ item: `event ${first + 3}`, reason: `is missing (the events go from ${first + 2} to ${first + 4})` });
    expect(without(0)).toEqual({ item: `event ${first}`, reason: `is missing (the events go from ${first - 1} to ${first + 1})` });
    expect(without(events.length - 1)).toEqual({ item: `event ${last}`, reason: `is missing: the range ends at event ${last} but the events end at ${last - 1}` });
    // Hiding the removal by moving the range's end changes a signed item.
    const hidden = tampered(pack, (p) => {
      p.body.audit.events.pop();
      const end = p.body.audit.events[p.body.audit.events.length - 1]!;
      p.body.audit.range!.last = { seq: end.seq, hash: end.hash };
    });
    expect(verifyAuditPack(hidden).firstBroken).toMatchObject({ item: 'audit.range' });
  });

  it('names the approval when one is edited, removed or added, and a grant, a protection or rules when edited', () => {
    const item = `approvals/${approvalId}`;
    const edited = tampered(pack, (p) => (p.body.approvals[0]!.votes[1]!.approver = 'token:dave'));
    expect(verifyAuditPack(edited).firstBroken).toEqual({ item, reason: expect.stringMatching(/^its contents changed after signing/) });
    const status = tampered(pack, (p) => (p.body.approvals[0]!.status = 'rejected'));
    expect(verifyAuditPack(status).firstBroken).toMatchObject({ item });
    // A key the contract does not know still breaks the digest: the verifier reads the pack as written.
    const extraKey = tampered(pack, (p) => Object.assign(p.body.approvals[0]!, { note: 'x' }));
    expect(verifyAuditPack(extraKey).firstBroken).toMatchObject({ item });
    const raised = tampered(pack, (p) => (p.body.grants[0]!.role = 'admin'));
    expect(verifyAuditPack(raised).firstBroken).toMatchObject({ item: 'grants/fraud/token:ann' });
    const unguarded = tampered(pack, (p) => (p.body.protections[0]!.approvals = 1));
    expect(verifyAuditPack(unguarded).firstBroken).toMatchObject({ item: 'protections/champion' });
    const loosened = tampered(pack, (p) => p.body.rules.splice(0, 1));
    expect(verifyAuditPack(loosened).firstBroken).toEqual({ item: 'rules/champion', reason: 'was signed but is missing from the pack (removed)' });
    const removed = tampered(pack, (p) => p.body.approvals.splice(0, 1));
    expect(verifyAuditPack(removed).firstBroken).toEqual({ item, reason: 'was signed but is missing from the pack (removed)' });
    const added = tampered(pack, (p) => p.body.approvals.push({ ...p.body.approvals[0]!, id: 'made-up' }));
    expect(verifyAuditPack(added).firstBroken).toEqual({ item: 'approvals/made-up', reason: 'is not among the signed digests (added after signing)' });
  });

  it('fails the signature when the digests were recomputed, and a pack signed by another key fails against the server key', () => {
    const redigested = tampered(pack, (p) => {
      p.body.approvals[0]!.status = 'rejected';
      p.body.digests[`approvals/${approvalId}`] = itemDigest(p.body.approvals[0]);
    });
    expect(verifyAuditPack(redigested).firstBroken).toEqual({ item: 'signature', reason: `does not verify with key ${pack.signature.keyId}: the signed body or the signature changed` });
    // A forged approval contradicts the chain's approval events, even with no key given.
    const forgedApproval = forged(pack, (p) => (p.body.approvals[0]!.status = 'rejected'));
    expect(verifyAuditPack(forgedApproval).firstBroken).toEqual({ item: `approvals/${approvalId}`, reason: expect.stringMatching(/^is rejected but event \d+ records it approved$/) });
    const other = forged(pack, (p) => (p.body.model.description = 'nothing to see'));
    // Alone, a forged pack is consistent with the key it carries: only the server's key exposes it.
    expect(verifyAuditPack(other)).toMatchObject({ ok: true, keyPinned: false, keyId: other.signature.keyId });
    expect(verifyAuditPack(other, { publicKeyPem: pack.signature.publicKey }).firstBroken).toEqual({
      item: 'signature',
      reason: `the pack is signed by key ${other.signature.keyId}, not by the given key ${pack.signature.keyId}`,
    });
    // The carried key swapped for the server's leaves a signature that the server's key refuses.
    const swapped = tampered(other, (p) => (p.signature.publicKey = pack.signature.publicKey));
    expect(verifyAuditPack(swapped, { publicKeyPem: pack.signature.publicKey }).firstBroken).toMatchObject({ item: 'signature', reason: expect.stringMatching(/^does not verify/) });
  });

  it('refuses what is not a pack, naming the field', () => {
    expect(verifyAuditPack({ format: 'other' }).firstBroken).toEqual({ item: 'format', reason: 'expected "sextant-audit-pack/1", got "other"' });
    const noEvents = tampered(pack, (p) => delete (p.body.audit as Partial<AuditPack['body']['audit']>).events);
    expect(verifyAuditPack(noEvents).firstBroken).toMatchObject({ item: 'body.audit.events' });
  });

  it('exports one version with its ancestors, its validation and its approvals', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack?version=2' });
    expect(res.statusCode).toBe(200);
    const one: AuditPack = res.json();
    expect(one.body.export).toMatchObject({ model: 'fraud', version: 2 });
    expect(one.body.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(one.body.approvals).toEqual([]);
    expect(one.body.validations).toEqual([]);
    expect(one.body.audit.targets).toEqual(['model:fraud', 'model:fraud@*', 'model:fraud/1', 'model:fraud/2', 'deployment:fraud-live']);
    expect(one.body.audit.events.map((e) => e.target)).toContain('model:fraud/3');
    expect(verifyAuditPack(one)).toMatchObject({ ok: true });
    const three: AuditPack = (await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack?version=3' })).json();
    expect(three.body.approvals.map((a) => a.id)).toEqual([approvalId]);
    expect(three.body.audit.targets).toContain(`approval:${approvalId}`);
    expect(verifyAuditPack(three)).toMatchObject({ ok: true });
  });

  it('answers 404 for an unknown model or version and 400 naming a bad query', async () => {
    const ask = async (url: string) => {
      const res = await t.server.inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json() };
    };
    expect(await ask('/api/v1/models/ghost/audit-pack')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await ask('/api/v1/models/fraud/audit-pack?version=9')).toMatchObject({ status: 404, body: { error: { message: 'version 9 of model fraud not found' } } });
    expect(await ask('/api/v1/models/fraud/audit-pack?version=abc')).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('query.version') } } });
    expect(await ask('/api/v1/models/fraud/audit-pack?versions=1')).toMatchObject({ status: 400, body: { error: { code: 'invalid_argument' } } });
    expect(await ask('/api/v1/models/Bad Name/audit-pack')).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('name') } } });
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.server.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/api/v1/models/{name}/audit-pack'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['name', 'version']));
    expect(doc.paths['/api/v1/audit/public-key'].get.responses['200']).toBeTruthy();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['AuditPack', 'AuditPublicKey']));
  });

  it('exports packs that verify while approvals are being decided', async () => {
    const writing = (async () => {
      for (let i = 0; i < 8; i++) {
        await recordApproval(t.app, {
          id: `01900000-0000-7000-8000-0000000c${String(i).padStart(4, '0')}`,
          model: 'fraud',
          alias: 'canary',
          version: 3,
          fromVersion: null,
          requestedBy: 'token:dave',
          versionAuthor: 'alice',
          votes: [
            { approver: 'token:erin', decision: 'approve', reason: null },
            { approver: 'token:frank', decision: i % 2 === 0 ? 'approve' : 'reject', reason: null },
          ],
          status: i % 2 === 0 ? 'approved' : 'rejected',
        });
      }
    })();
    const verdicts: Array<boolean | string> = [];
    let done = false;
    void writing.finally(() => (done = true));
    while (!done || verdicts.length === 0) {
      const res = await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack' });
      // A pack is refused (503) only when approvals changed on every read; any pack given verifies.
      verdicts.push(res.statusCode === 200 ? verifyAuditPack(res.json()).ok : res.json().error.code);
    }
    await writing;
    expect(verdicts.filter((v) => v !== true && v !== 'unavailable')).toEqual([]);
    expect(verdicts).toContain(true);
    const last: AuditPack = (await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack' })).json();
    expect(last.body.approvals).toHaveLength(9);
    expect(verifyAuditPack(last)).toMatchObject({ ok: true });
  });

  it('names an approval the database holds differently from its audit events', async () => {
    const db = t.app.database.db;
    const exportNow = async () => verifyAuditPack((await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack?version=3' })).json()).firstBroken;
    const item = `approvals/${approvalId}`;
    await db.insertInto('approval_votes').values({ approval_id: approvalId, approver: 'token:zed', decision: 'approve', reason: null, at: '2030-01-01T03:00:00.000Z' }).execute();
    expect(await exportNow()).toEqual({ item, reason: 'the approve vote of token:zed has no approval.approve event by token:zed in the audit chain' });
    await db.deleteFrom('approval_votes').where('approval_id', '=', approvalId).where('approver', '=', 'token:zed').execute();
    await db.deleteFrom('approval_votes').where('approval_id', '=', approvalId).where('approver', '=', 'token:erin').execute();
    expect(await exportNow()).toEqual({ item, reason: expect.stringMatching(/^event \d+ records a approve vote of token:erin that the approval does not show$/) });
    await db.insertInto('approval_votes').values({ approval_id: approvalId, approver: 'token:erin', decision: 'approve', reason: 'looked at the card', at: '2030-01-01T01:00:00.000Z' }).execute();
    await db.updateTable('approvals').set({ requested_by: 'token:ivy' }).where('id', '=', approvalId).execute();
    expect(await exportNow()).toEqual({ item, reason: 'the audit chain has no approval.request event by token:ivy for it' });
    await db.updateTable('approvals').set({ requested_by: 'token:dave' }).where('id', '=', approvalId).execute();
    await db.deleteFrom('approval_votes').where('approval_id', '=', approvalId).execute();
    await db.deleteFrom('approvals').where('id', '=', approvalId).execute();
    expect(await exportNow()).toEqual({ item, reason: expect.stringMatching(/^was requested \(event \d+\) but is missing from the pack$/) });
  });

  it('carries an event edited or deleted in the database, and the verifier names it', async () => {
    const db = t.app.database.db;
    const events = pack.body.audit.events;
    const edited = events[2]!.seq;
    const deleted = events[4]!.seq;
    await db.updateTable('audit_events').set({ actor: 'mallory' }).where('seq', '=', edited).execute();
    const first: AuditPack = (await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack' })).json();
    expect(verifyAuditPack(first).firstBroken).toEqual({ item: `event ${edited}`, reason: 'its hash does not match its contents (edited)' });
    await db.updateTable('audit_events').set({ actor: events[2]!.actor }).where('seq', '=', edited).execute();
    await db.deleteFrom('audit_events').where('seq', '=', deleted).execute();
    const second: AuditPack = (await t.server.inject({ method: 'GET', url: '/api/v1/models/fraud/audit-pack' })).json();
    expect(verifyAuditPack(second).firstBroken).toEqual({ item: `event ${deleted}`, reason: `is missing (the events go from ${deleted - 1} to ${deleted + 1})` });
  });

  it('reports a file it cannot check as a broken pack rather than failing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const nested = tampered(pack, (p) => Object.assign(p.body.model, { deep }));
    expect(verifyAuditPack(nested).firstBroken).toMatchObject({ item: 'pack', reason: expect.stringMatching(/^cannot be checked: /) });
  });

  it('a model without events of its own in range still verifies', async () => {
    await t.app.registry.models.create({ name: 'quiet', task: 'regression' }, who);
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/models/quiet/audit-pack' });
    const quiet: AuditPack = res.json();
    expect(quiet.body.audit.events.map((e) => e.action)).toEqual(['model.create']);
    expect(verifyAuditPack(quiet)).toMatchObject({ ok: true, events: 1, subjectEvents: 1 });
  });
});

describe('the signing key', () => {
  it('is made in the home on first start and kept; SEXTANT_SIGNING_KEY (PEM or base64 DER) replaces it', async () => {
    const home = tempDir();
    const first = await testApp({ home });
    const keyId = first.app.signer.keyId;
    await first.close();
    const file = path.join(home, SIGNING_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = await testApp({ home });
    expect(again.app.signer.keyId).toBe(keyId);
    await again.close();

    const pem = fs.readFileSync(file, 'utf8');
    const der = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const fromPem = loadConfig({ env: { SEXTANT_HOME: tempDir(), SEXTANT_SIGNING_KEY: pem } });
    const fromDer = loadConfig({ env: { SEXTANT_HOME: tempDir(), SEXTANT_SIGNING_KEY: der } });
    const escaped = loadConfig({ env: { SEXTANT_HOME: tempDir(), SEXTANT_SIGNING_KEY: pem.trim().replace(/\n/g, '\\n') } });
    for (const c of [fromPem, fromDer, escaped]) expect(AuditSigner.fromConfig(c.home, c.audit.signingKey).keyId).toBe(keyId);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('refuses a key that is not Ed25519 PKCS#8, naming the variable and never echoing the key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const refusal = (key: string): string => {
      try {
        loadConfig({ env: { SEXTANT_SIGNING_KEY: key } });
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refusal('not a key')).toMatch(/^invalid configuration: SEXTANT_SIGNING_KEY: not a PKCS#8 private key in PEM or base64 DER/);
    const rsaRefusal = refusal(rsa);
    expect(rsaRefusal).toMatch(/^invalid configuration: SEXTANT_SIGNING_KEY: an Ed25519 key is needed, this one is rsa/);
    expect(rsaRefusal).not.toContain(rsa.slice(40, 80));
  });
});
