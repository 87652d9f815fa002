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
});
