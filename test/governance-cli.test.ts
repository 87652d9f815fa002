import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { ROOT, runCli, startCliServer, type ServerProcess } from './helpers/processes.js';

const LINEAR = path.join(ROOT, 'assets', 'quickstart', 'breast-cancer-linear.json');

describe('grants, protected aliases and approvals through the CLI against the built server', () => {
  let home: string;
  let server: ServerProcess;
  const secrets: Record<string, string> = {};
  const as = (who: string, ...args: string[]) => runCli(args, { SEXTANT_URL: server.url, SEXTANT_TOKEN: secrets[who]! });

  beforeAll(async () => {
    home = tempDir('sextant-governance-cli-');
    const root = await runCli(['tokens', 'create', '--local', '--home', home, '--name', 'root', '--role', 'admin']);
    expect(root.code, root.stderr).toBe(0);
    secrets.root = root.stdout.trim();
    server = await startCliServer(['server', '--port', '0', '--home', home, '--auth']);
    for (const [name, role] of [['alice', 'viewer'], ['bob', 'approver'], ['carol', 'approver'], ['dave', 'deployer']]) {
      const made = await as('root', 'tokens', 'create', '--name', name!, '--role', role!);
      expect(made.code, made.stderr).toBe(0);
      expect(made.stderr).toMatch(new RegExp(`token ${name} \\(role ${role}\\) created`));
      secrets[name!] = made.stdout.trim();
    }
    expect((await as('root', 'models', 'create', 'bc', '--task', 'binary-classification')).code).toBe(0);
    for (let i = 0; i < 3; i++) expect((await as('root', 'register', 'bc', '--file', LINEAR, '--format', 'sextant-linear')).code).toBe(0);
    expect((await as('root', 'alias', 'set', 'bc', 'champion', '1')).code).toBe(0);
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('grant, grants list, revoke: a viewer with a deployer grant moves an alias, and not after the revoke', async () => {
    const denied = await as('alice', 'alias', 'set', 'bc', 'staging', '2');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: token:alice has role viewer on model bc; this operation needs deployer on model bc \[permission_denied/);
    const granted = await as('root', 'grant', 'bc', 'token:alice', 'deployer');
    expect(granted, granted.stderr).toMatchObject({ code: 0, stdout: 'token:alice has role deployer on model bc\n' });
    expect((await as('alice', 'alias', 'set', 'bc', 'staging', '2')).stdout).toBe('bc@staging -> 2\n');
    const list = await as('alice', 'grants', 'list', 'bc');
    expect(list.stdout).toMatch(/^MODEL\s+PRINCIPAL\s+ROLE\s+BY\s+AT\nbc\s+token:alice\s+deployer\s+token:root\s+\S+\n$/);
    const all = JSON.parse((await as('alice', 'grants', 'list', '--json')).stdout);
    expect(all.grants).toHaveLength(1);
    expect((await as('alice', 'grant', 'bc', 'token:alice', 'admin')).stderr).toMatch(/needs admin on model bc/);
    expect((await as('root', 'grant', 'bc', 'token:alice', 'boss')).stderr).toMatch(/ROLE must be one of viewer, editor, deployer, approver, admin/);
    expect((await as('root', 'revoke', 'bc', 'token:alice')).stdout).toBe('revoked the grant of token:alice on model bc\n');
    expect((await as('alice', 'alias', 'set', 'bc', 'staging', '3')).code).toBe(1);
  });

  it('alias protect, a move that becomes `approval <id> requested`, approvals list/show/approve/reject', async () => {
    expect((await as('dave', 'alias', 'protect', 'bc', 'champion')).stderr).toMatch(/needs admin on model bc/);
    const protect = await as('root', 'alias', 'protect', 'bc', 'champion', '--approvals', '2', '--ttl', '48h');
    expect(protect, protect.stderr).toMatchObject({ code: 0, stdout: 'bc@champion is protected: a move needs 2 approval(s); requests expire after 48 h\n' });
    const moved = await as('dave', 'alias', 'set', 'bc', 'champion', '2', '--reason', 'v2 is better');
    expect(moved.code, moved.stderr).toBe(0);
    const id = /^approval (\S+) requested\n$/.exec(moved.stdout)![1]!;
    expect(moved.stderr).toMatch(/bc@champion is protected: it moves to version 2 after 2 approval\(s\)/);
    const list = await as('bob', 'approvals', 'list', '--model', 'bc', '--status', 'pending');
    expect(list.stdout).toMatch(new RegExp(`^ID\\s+STATUS\\s+MODEL\\s+ALIAS\\s+MOVE\\s+APPROVALS\\s+REQUESTEDBY\\s+EXPIRES\\n${id}\\s+pending\\s+bc\\s+champion\\s+1 -> 2\\s+0/2\\s+token:dave\\s+\\S+\\n$`));
    const own = await as('dave', 'approvals', 'approve', id);
    expect(own.code).toBe(1);
    const first = await as('bob', 'approvals', 'approve', id, '--reason', 'checked');
    expect(first.stdout).toBe(`approval ${id}: 1 of 2 approvals\n`);
    const shown = await as('alice', 'approvals', 'show', id);
    expect(shown.stdout).toMatch(/status:\s+pending/);
    expect(shown.stdout).toMatch(/move:\s+bc@champion: 1 -> 2/);
    expect(shown.stdout).toMatch(/approvals:\s+1 of 2: token:bob/);
    const last = await as('carol', 'approvals', 'approve', id);
    expect(last.stdout).toBe(`approval ${id} approved: bc@champion -> 2\n`);
    expect(JSON.parse((await as('alice', 'models', 'show', 'bc', '--json')).stdout).aliases.champion).toBe(2);

    const rollback = await as('dave', 'rollback', 'bc', '--alias', 'champion');
    const second = /^approval (\S+) requested\n$/.exec(rollback.stdout)![1]!;
    expect((await as('bob', 'approvals', 'reject', second, '--reason', 'keep v2')).stdout).toBe(`approval ${second} rejected\n`);
    expect(JSON.parse((await as('alice', 'approvals', 'list', '--status', 'rejected', '--json')).stdout).approvals[0]).toMatchObject({ id: second, rejectedBy: { approver: 'token:bob', reason: 'keep v2' } });
    expect((await as('root', 'deploy', 'create', 'bc-web', '--model', 'bc', '--alias', 'champion')).code).toBe(0);
    expect((await as('dave', 'deploy', 'canary', 'bc-web', '--version', '3', '--weight', '10')).code).toBe(0);
    const promoted = await as('dave', 'deploy', 'promote', 'bc-web', '--reason', 'canary healthy');
    expect(promoted, promoted.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^approval \S+ requested\n$/) });
    expect(JSON.parse((await as('alice', 'deploy', 'show', 'bc-web', '--json')).stdout).canary).toEqual({ version: 3, weight: 10 });
    expect((await as('root', 'alias', 'unprotect', 'bc', 'champion')).stdout).toBe('bc@champion is no longer protected\n');
    expect((await as('dave', 'alias', 'set', 'bc', 'champion', '3')).stdout).toBe('bc@champion -> 3 (was 2)\n');
  });

  it('rules set and show; a failing rule refuses the move naming what it measured', async () => {
    const set = await as('root', 'rules', 'set', 'bc', '--alias', 'champion', '--min-metric', 'accuracy>=0.9', '--require-card', 'intendedUse,limitations', '--require-validation', '--max-drift-share', '0.3', '--max-fairness', 'demographicParityDifference<=0.1');
    expect(set, set.stderr).toMatchObject({
      code: 0,
      stdout: 'rules of bc@champion set: accuracy>=0.9; card fills intendedUse, limitations; validation gate passed; drifted share <= 0.3; demographicParityDifference<=0.1\n',
    });
    expect((await as('alice', 'rules', 'show', 'bc')).stdout).toMatch(/^bc@champion \(set by token:root at \S+\):\n {2}accuracy>=0\.9\n {2}card fills intendedUse, limitations\n/);
    const refused = await as('dave', 'alias', 'set', 'bc', 'champion', '1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: bc@champion cannot move to version 1: accuracy>=0\.9 failed \(version 1 records no accuracy .*\[failed_precondition/);
    expect((await as('root', 'rules', 'set', 'bc', '--alias', 'champion', '--min-metric', 'accuracy=0.9')).stderr).toMatch(/--min-metric must look like METRIC>=NUMBER/);
  });
});
