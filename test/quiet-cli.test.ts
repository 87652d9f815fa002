import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, ROOT } from './helpers/processes.js';

function npx(args: string[]) {
  // Offline: the check is about the project's configuration, not about reaching a registry.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', npm_config_offline: 'true' };
  return collect(spawn('npx', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('a quiet CLI', () => {
  it('runs `npx sextant` without npm warnings about the project configuration', async () => {
    const r = await npx(['--no-install', 'sextant', '--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.stderr).not.toMatch(/Unknown (project|user|global|env) config/i);
    expect(r.stderr, r.stderr).not.toMatch(/npm warn/i);
  }, 120_000);

  it('still keeps onnxruntime-node’s CUDA download out of installs, through package.json rather than .npmrc', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    const npmrc = path.join(ROOT, '.npmrc');
    const lines = fs.existsSync(npmrc) ? fs.readFileSync(npmrc, 'utf8').split('\n') : [];
    expect(lines.filter((l) => /onnxruntime/.test(l))).toEqual([]);
  });
});
