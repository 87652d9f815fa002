import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPack } from '../src/contracts/audit-pack.js';
import { AuditSigner, itemDigest, packItems } from '../src/governance/index.js';
import { canonicalJson } from '../src/shared/canonical-json.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';
import { ROOT, runCli, startCliServer, type ServerProcess } from './helpers/processes.js';

const ONNX = path.join(ROOT, 'test', 'fixtures', 'onnx', 'linear-classifier.onnx');
const newKeyPem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const targets = await databaseTargets();

describe.each(targets)('sextant audit export and verify-pack through a server on $name', (target) => {
  let home: string;
  let server: ServerProcess;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  // SQLite's server takes its key from SEXTANT_SIGNING_KEY, PostgreSQL's makes one in its home.
  const configuredKey = target.name === 'sqlite' ? newKeyPem() : undefined;
  const cli = (...args: string[]) => runCli(args, env);
  const file = (name: string) => path.join(home, name);

  beforeAll(async () => {
    home = tempDir('sextant-audit-pack-');
    const created = await target.create(home);
    drop = created.drop;
    const serverEnv: Record<string, string> = configuredKey ? { SEXTANT_SIGNING_KEY: configuredKey } : {};
    if (created.config.kind === 'postgres') {
      const url = new URL(created.config.url);
      url.searchParams.set('options', `-c search_path=${created.config.schema}`);
      serverEnv.SEXTANT_DATABASE_URL = url.href;
    }
    server = await startCliServer(['server', '--port', '0', '--home', home], serverEnv);
    env = { SEXTANT_URL: server.url };
  }, 90_000);
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await drop?.();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('exports a pack that verifies offline, with and without the server key', async () => {
    expect((await cli('models', 'create', 'fraud', '--task', 'binary-classification')).code).toBe(0);
    expect(await cli('register', 'fraud', '--file', ONNX, '--format', 'onnx', '--alias', 'champion')).toMatchObject({ code: 0, stdout: '1\n' });
    expect(await cli('register', 'fraud', '--file', ONNX, '--format', 'onnx', '--parent', '1')).toMatchObject({ code: 0, stdout: '2\n' });
    expect((await cli('models', 'create', 'other', '--task', 'regression')).code).toBe(0);
    // A protected alias: the move waits for two approvers, neither the requester nor the author (e2e).
    expect((await cli('alias', 'protect', 'fraud', 'champion', '--approvals', '2')).code).toBe(0);
    const as = (actor: string, ...args: string[]) => runCli(args, { ...env, SEXTANT_ACTOR: actor });
    const requested = await as('dave', 'alias', 'set', 'fraud', 'champion', '2', '--reason', 'better auc');
    expect(requested).toMatchObject({ code: 0, stdout: expect.stringMatching(/^approval \S+ requested\n$/) });
    const id = /^approval (\S+) requested/.exec(requested.stdout)![1]!;
    expect((await as('erin', 'approvals', 'approve', id, '--reason', 'ok')).code).toBe(0);
    expect(await as('frank', 'approvals', 'approve', id)).toMatchObject({ code: 0, stdout: expect.stringMatching(/approved: fraud@champion -> 2/) });

    const exported = await cli('audit', 'export', 'fraud', '--output', file('pack.json'));
    expect(exported).toMatchObject({ code: 0, stdout: expect.stringMatching(/^wrote \S+pack\.json: 2 versions, 1 approval, 11 audit events \(\d+ bytes\)\n$/) });
    // The file holds the server's bytes as sent.
    const rest = await fetch(`${server.url}/api/v1/models/fraud/audit-pack`);
    expect(rest.status).toBe(200);
    const pack: AuditPack = JSON.parse(fs.readFileSync(file('pack.json'), 'utf8'));
    expect(pack.body.approvals[0]).toMatchObject({ id, status: 'approved', requestedBy: 'dave', versionAuthor: 'e2e', votes: [{ approver: 'erin', reason: 'ok' }, { approver: 'frank' }] });
    expect(pack.body.protections).toMatchObject([{ alias: 'champion', approvals: 2 }]);
    expect(pack.body.audit.events.map((e) => `${e.actor}:${e.action}`).slice(-5)).toEqual(['dave:approval.request', 'erin:approval.approve', 'frank:approval.approve', 'dave:alias.set', 'frank:approval.approved']);

    // No server is needed to verify: the CLI points at nothing.
    const offline = { SEXTANT_URL: 'http://127.0.0.1:9' };
    const alone = await runCli(['audit', 'verify-pack', file('pack.json')], offline);
    expect(alone).toMatchObject({
      code: 0,
      stdout: `audit pack intact: model fraud, 13 items match their signed digests, 11 audit events hashed and linked (10 of the model), signed by key ${pack.signature.keyId}, the one the pack carries (pass --public-key to check who signed)\n`,
    });
    expect(await cli('audit', 'public-key', '--output', file('server.pem'))).toMatchObject({ code: 0, stdout: `wrote ${file('server.pem')} (Ed25519 key ${pack.signature.keyId})\n` });
    expect(fs.readFileSync(file('server.pem'), 'utf8')).toBe(pack.signature.publicKey);
    const pinned = await runCli(['audit', 'verify-pack', file('pack.json'), '--public-key', file('server.pem')], offline);
    expect(pinned).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`signed by the given key ${pack.signature.keyId}\\n$`)) });
    // The route's JSON works as the key file too.
    fs.writeFileSync(file('server.json'), await (await fetch(`${server.url}/api/v1/audit/public-key`)).text());
    expect((await runCli(['audit', 'verify-pack', file('pack.json'), '--public-key', file('server.json'), '--json'], offline)).stdout).toMatch(/"ok": true/);
    expect(pack.signature.keyId).toBe(configuredKey ? AuditSigner.fromConfig(home, configuredKey).keyId : AuditSigner.fromHome(home).keyId);
  });

  it('fails naming what broke: one byte, one event, one approval, another key', async () => {
    const text = fs.readFileSync(file('pack.json'), 'utf8');
    const pack: AuditPack = JSON.parse(text);
    const verify = async (name: string, content: string, ...more: string[]) => {
      fs.writeFileSync(file(name), content);
      return runCli(['audit', 'verify-pack', file(name), ...more], { SEXTANT_URL: 'http://127.0.0.1:9' });
    };
    const setEvent = pack.body.audit.events.find((e) => e.reason === 'better auc')!;
    const at = text.indexOf('"reason":"better auc"', text.indexOf('"events":['));
    const oneByte = `${text.slice(0, at + 10)}B${text.slice(at + 11)}`;
    expect(await verify('byte.json', oneByte)).toEqual({ code: 1, stderr: '', stdout: `audit pack BROKEN at event ${setEvent.seq}: its hash does not match its contents (edited)\n` });

    const removed = structuredClone(pack);
    const gone = removed.body.audit.events.splice(2, 1)[0]!;
    expect(await verify('removed.json', JSON.stringify(removed))).toMatchObject({ code: 1, stdout: `audit pack BROKEN at event ${gone.seq}: is missing (the events go from ${gone.seq - 1} to ${gone.seq + 1})\n` });

    const edited = structuredClone(pack);
    edited.body.approvals[0]!.votes[0]!.approver = 'dave';
    expect(await verify('approval.json', JSON.stringify(edited))).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(new RegExp(`^audit pack BROKEN at approvals/${pack.body.approvals[0]!.id}: its contents changed after signing`)),
    });

    // Edited, re-digested and re-signed with another key: consistent alone, refused against the server's key.
    const other = AuditSigner.fromConfig(home, newKeyPem());
    const forged = structuredClone(pack);
    forged.body.model.description = 'nothing to see';
    const { digests: _old, ...unsigned } = forged.body;
    forged.body.digests = Object.fromEntries(packItems(unsigned).map(([item, value]) => [item, itemDigest(value)]));
    forged.signature = { algorithm: 'Ed25519', keyId: other.keyId, publicKey: other.publicKeyPem, value: other.sign(canonicalJson(forged.body)) };
    expect((await verify('forged.json', JSON.stringify(forged))).code).toBe(0);
    expect(await verify('forged.json', JSON.stringify(forged), '--public-key', file('server.pem'))).toMatchObject({
      code: 1,
      stdout: `audit pack BROKEN at signature: the pack is signed by key ${other.keyId}, not by the given key ${pack.signature.keyId}\n`,
    });
    // The genuine pack against another key fails the same way.
    fs.writeFileSync(file('other.pem'), other.publicKeyPem);
    expect(await verify('genuine.json', text, '--public-key', file('other.pem'))).toMatchObject({ code: 1, stdout: expect.stringMatching(/^audit pack BROKEN at signature: the pack is signed by key/) });
  });

  it('exports one version, and refuses bad input with the field named', async () => {
    expect(await cli('audit', 'export', 'fraud', '--version', '1', '--output', file('v1.json'))).toMatchObject({ code: 0, stdout: expect.stringMatching(/: 1 version, 0 approvals, /) });
    expect((await cli('audit', 'verify-pack', file('v1.json'))).code).toBe(0);
    expect(await cli('audit', 'export', 'fraud', '--version', 'x', '--output', file('x.json'))).toMatchObject({ code: 2, stderr: expect.stringMatching(/--version: expected a positive integer/) });
    expect(await cli('audit', 'export', 'ghost', '--output', file('x.json'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/model ghost not found/) });
    expect(fs.existsSync(file('x.json'))).toBe(false);
    expect(await cli('audit', 'verify-pack', file('nothing.json'))).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read \(ENOENT\)/) });
    fs.writeFileSync(file('garbage.json'), '{not json');
    expect(await cli('audit', 'verify-pack', file('garbage.json'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/not valid JSON/) });
    expect(await cli('audit', 'verify-pack', file('pack.json'), '--public-key', file('garbage.json'))).toMatchObject({ code: 2, stderr: expect.stringMatching(/--public-key/) });
  });
});
