import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCard } from '../src/contracts/index.js';
import { bytes, tempDir, testApp, type TestApp } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { runCli } from './helpers/processes.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CSV = fs.readFileSync(path.join(ROOT, 'assets/datasets/breast-cancer.csv'), 'utf8');
const FEATURES = CSV.split('\n')[0]!.split(',').slice(0, -1);
const CARD_YAML = path.join(ROOT, 'test', 'fixtures', 'cards', 'card.yaml');
const who = { actor: 'alice' };
/** A champion that always answers 0: any sensible retrain beats it. */
const badModel = JSON.stringify({ format: 'sextant-linear', features: FEATURES, link: 'logistic', classes: [0, 1], coefficients: [FEATURES.map(() => 0)], intercept: [-5] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Obj = Record<string, unknown>;

/** The constraints of the Model Card Toolkit's v0.0.2 JSON schema that a card can break. */
function checkSchema(card: ModelCard): void {
  expect(Object.keys(card).sort()).toEqual(['considerations', 'model_details', 'model_parameters', 'quantitative_analysis', 'schema_version']);
  const d = card.model_details as Obj;
  expect(typeof d.name).toBe('string');
  for (const o of d.owners as Obj[]) expect(Object.keys(o).every((k) => ['name', 'contact'].includes(k) && typeof o[k] === 'string')).toBe(true);
  const v = d.version as Obj;
  expect(v.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  for (const l of d.licenses as Obj[]) expect(('identifier' in l) !== ('custom_text' in l)).toBe(true);
  for (const r of d.references as Obj[]) expect(() => new URL(String(r.reference))).not.toThrow();
  for (const m of (card.quantitative_analysis as Obj).performance_metrics as Obj[]) {
    expect(typeof m.type).toBe('string');
    expect(typeof m.value).toBe('number');
    expect(typeof m.slice).toBe('string');
  }
  const c = card.considerations as Obj;
  for (const k of ['users', 'use_cases', 'limitations', 'tradeoffs']) for (const x of c[k] as Obj[]) expect(Object.keys(x)).toEqual(['description']);
  for (const r of c.ethical_considerations as Obj[]) expect(Object.keys(r).every((k) => ['name', 'mitigation_strategy'].includes(k))).toBe(true);
  for (const ds of (card.model_parameters as Obj).data as Obj[]) expect(typeof ds.name).toBe('string');
}

describe.each(await databaseTargets())('model cards on $name', (target) => {
  let t: TestApp;
  let url: string;
  let drop: () => Promise<void>;
  const api = (method: 'GET' | 'POST' | 'PUT', u: string, payload?: unknown) => t.server.inject({ method, url: u, payload: payload as object });

  beforeAll(async () => {
    const dir = tempDir('sextant-cards-');
    const db = await target.create(dir);
    drop = db.drop;
    t = await testApp({ database: db.config, home: dir });
    await t.app.registry.models.create({ name: 'bc', task: 'binary-classification', owner: 'imaging' }, who);
    await t.app.registry.versions.register('bc', bytes(badModel), { format: 'sextant-linear', alias: 'champion', metrics: { accuracy: 0.37 } }, who);
    await t.app.monitoring.references.upload('bc', 1, CSV, 'csv');
    expect((await api('PUT', '/api/v1/models/bc/policy', { trainer: { type: 'logistic' }, promotion: { strategy: 'manual' } })).statusCode).toBe(200);
    url = await t.server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('a card for a retrained version shows its parent, its gate result and its approval', async () => {
    const res = await api('POST', '/api/v1/models/bc/retrain', { reason: 'card test' });
    expect(res.statusCode, res.body).toBe(202);
    for (let i = 0; i < 300; i++) {
      const j = await t.app.pipelines.jobs.get(res.json().id);
      if (j.status === 'succeeded') break;
      if (['failed', 'cancelled'].includes(j.status)) throw new Error(j.error ?? j.status);
      await sleep(100);
    }
    const card = (await api('GET', '/api/v1/models/bc/versions/2/card')).json() as ModelCard;
    checkSchema(card);
    const details = card.model_details as Obj;
    const x = details.sextant as Obj;
    expect(x.lineage).toMatchObject({ parentVersion: 1, codeRef: 'sextant:trainer/logistic' });
    expect(details.version).toMatchObject({ name: '2', diff: 'retrained from version 1' });
    const gate = (card.quantitative_analysis as Obj).sextant as Obj;
    expect(gate.validation).toMatchObject({ version: 2, champion: 1, passed: true });
    expect(((gate.validation as Obj).checks as Obj[])[0]).toMatchObject({ metric: 'accuracy', passed: true });
    // Registration metrics and the global importance over the reference data are in the card.
    const v1 = (await api('GET', '/api/v1/models/bc/versions/1/card')).json() as ModelCard;
    expect((v1.quantitative_analysis as Obj).performance_metrics).toContainEqual({ type: 'accuracy', value: 0.37, slice: 'registration' });
    expect((((card.quantitative_analysis as Obj).sextant as Obj).importance as Obj).features).toEqual(expect.any(Array));
    expect(((v1.model_details as Obj).sextant as Obj).aliasHistory).toContainEqual(expect.objectContaining({ alias: 'champion', version: 1, actor: 'alice' }));
    // The champion is protected: moving it to the retrained version takes an approval, which the card shows.
    await t.app.governance.protections.protect('bc', 'champion', {}, who);
    const moved = await t.app.registry.aliases.set('bc', 'champion', { version: 2, reason: 'the retrain beats it' }, who);
    const id = 'approval' in moved ? moved.approval.id : '';
    await t.app.governance.approvals.approve(id, { reason: 'gate passed, card read' }, { actor: 'bob' });
    const approved = (await api('GET', '/api/v1/models/bc/versions/2/card')).json() as ModelCard;
    expect(((approved.model_details as Obj).sextant as Obj).approvals).toEqual([
      expect.objectContaining({ id, status: 'approved', requestedBy: 'alice', decidedBy: 'bob', alias: 'champion', fromVersion: 1, approvers: ['bob'], reason: 'gate passed, card read' }),
    ]);
    expect(await t.app.transparency.cards.card('bc', 2).then((c) => ((c.model_details as Obj).version as Obj).name)).toBe('2');
    expect((await api('GET', '/api/v1/models/bc/versions/2/card?format=md')).body).toMatch(/\| approved \| alice \| bob \|/);
  });

  it('sextant card edit sets the human fields from YAML; card show renders JSON, Markdown and printable HTML', async () => {
    const env = { SEXTANT_URL: url };
    const edit = await runCli(['card', 'edit', 'bc', '--file', CARD_YAML], env);
    expect(edit.code, edit.stderr).toBe(0);
    const only2 = path.join(t.home, 'v2.json');
    fs.writeFileSync(only2, JSON.stringify({ limitations: ['Retrained on 2026 data only.'] }));
    expect((await runCli(['card', 'edit', 'bc', '--version', '2', '--file', only2], env)).code).toBe(0);
    const json = await runCli(['card', 'show', 'bc@latest'], env);
    expect(json.code, json.stderr).toBe(0);
    const card = JSON.parse(json.stdout) as ModelCard;
    checkSchema(card);
    expect(card.model_details).toMatchObject({ overview: 'Flags breast-cancer biopsies for a second reading.', licenses: [{ identifier: 'Apache-2.0' }], owners: [{ name: 'Imaging ML team', contact: 'imaging-ml@example.org' }] });
    expect(card.considerations).toMatchObject({
      limitations: [{ description: 'Retrained on 2026 data only.' }],
      ethical_considerations: [{ name: 'Unequal error rates across patient groups', mitigation_strategy: 'Fairness is measured per release and monitored live.' }],
    });
    // Version 1 keeps the model's limitation.
    const v1 = JSON.parse((await runCli(['card', 'show', 'bc/1'], env)).stdout) as ModelCard;
    expect((v1.considerations as Obj).limitations).toEqual([{ description: "Trained on one hospital's instruments; recalibrated instruments shift its inputs." }]);
    const md = await runCli(['card', 'show', 'bc/2', '--format', 'md'], env);
    expect(md.stdout).toMatch(/^# Model card: bc version 2/);
    expect(md.stdout).toMatch(/## Validation gate[\s\S]*\| accuracy \|/);
    const html = path.join(t.home, 'card.html');
    const out = await runCli(['card', 'show', 'bc/2', '--format', 'html', '--output', html], env);
    expect(out.code, out.stderr).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toMatch(/@media print/);
    expect(page).not.toMatch(/<script|<link|src=/);
    expect(page).toContain('Retrained on 2026 data only.');
    const audit = await t.app.audit.list({ target: 'model:bc*' });
    expect(audit.events.filter((e) => e.action === 'card.edit')).toHaveLength(2);
  });

  it('bad card files and fields are refused naming the field', async () => {
    const bad = await api('PUT', '/api/v1/models/bc/card', { licenses: [{}] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/licenses/);
    const unknown = await api('PUT', '/api/v1/models/bc/card', { overveiw: 'typo' });
    expect(unknown.statusCode).toBe(400);
    const yaml = path.join(t.home, 'bad.yaml');
    fs.writeFileSync(yaml, 'owners: [unclosed');
    const r = await runCli(['card', 'edit', 'bc', '--file', yaml], { SEXTANT_URL: url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad.yaml: not valid YAML/);
    expect((await api('GET', '/api/v1/models/bc/versions/9/card')).statusCode).toBe(404);
    expect((await api('GET', '/api/v1/models/bc/versions/1/card?format=pdf')).statusCode).toBe(400);
  });
});
