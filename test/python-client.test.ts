import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { ROOT, runCli, startCliServer, type CliResult, type ServerProcess } from './helpers/processes.js';

// Debian's interpreter on purpose: the client is tested with what `apt-get install python3` gives,
// plus python3-pandas and python3-numpy for the DataFrame paths, python3-pip to install the package and
// mypy to check its types.
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(ROOT, 'clients', 'python');

function python(args: string[], env: Record<string, string>, cwd = CLIENT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the Python client (clients/python) against a real server', () => {
  let home: string;
  let server: ServerProcess;
  let token: string;

  beforeAll(async () => {
    if (!fs.existsSync(PYTHON)) {
      throw new Error(`${PYTHON} is missing: install Debian's python3 (apt-get install python3 python3-pip python3-setuptools python3-numpy python3-pandas mypy) to test the Python client`);
    }
    home = tempDir('sextant-python-');
    const created = await runCli(['tokens', 'create', '--local', '--home', home, '--name', 'root', '--role', 'admin', '--json']);
    expect(created.code, created.stderr).toBe(0);
    token = JSON.parse(created.stdout).token;
    server = await startCliServer(['server', '--port', '0', '--home', home], { SEXTANT_AUTH: 'on' });
  });
  afterAll(() => {
    server?.child.kill('SIGKILL');
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('passes its unittest suite with Debian python3, pandas included, nothing skipped', async () => {
    const r = await python(['-m', 'unittest', 'discover', '-s', 'tests', '-v'], { SEXTANT_URL: server.url, SEXTANT_TOKEN: token });
    const report = `${r.stderr}\n${r.stdout}`;
    expect(r.code, report).toBe(0);
    expect(report).toMatch(/^Ran \d+ tests? in /m);
    expect(report).toMatch(/^OK$/m);
    expect(report, 'a skipped test names its reason here').not.toMatch(/skipped/);
  }, 300_000);

  it('type-checks with mypy --strict for Python 3.9, the oldest pyproject.toml accepts (the package ships py.typed, so its hints are its users\' too)', async () => {
    const cache = tempDir('sextant-mypy-');
    try {
      const r = await python(['-m', 'mypy', '--strict', '--python-version', '3.9', '--cache-dir', cache, 'sextant_client'], {});
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Success: no issues found/m);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('installs from its pyproject.toml with no dependency, typed (py.typed), and imports as sextant_client without pandas', async () => {
    const target = tempDir('sextant-python-install-');
    try {
      const install = await python(['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-deps', '--no-index', '--target', target, CLIENT], {});
      expect(install.code, install.stderr).toBe(0);
      expect(fs.existsSync(path.join(target, 'sextant_client', 'py.typed'))).toBe(true);
      const r = await python(['-c', 'import sextant_client, sys; print(sextant_client.__file__); print("pandas" in sys.modules)'], { PYTHONPATH: target }, target);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([path.join(target, 'sextant_client', '__init__.py'), 'False']);
      expect(fs.readFileSync(path.join(CLIENT, 'pyproject.toml'), 'utf8')).toMatch(/^dependencies = \[\]$/m);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
      // setuptools builds in the source tree
      fs.rmSync(path.join(CLIENT, 'build'), { recursive: true, force: true });
      fs.rmSync(path.join(CLIENT, 'sextant_client.egg-info'), { recursive: true, force: true });
    }
  });
});
