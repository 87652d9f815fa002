import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '..');
const BUILTINS = new Set(builtinModules);

/** Every module reachable from `entry` by static or dynamic imports: relative files and packages. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...seen].map((f) => path.relative(SRC, f)), packages };
}

describe('the SDK browser entry', () => {
  it('reaches no Node module: only contracts, the client and zod', () => {
    const { files, packages } = importGraph(path.join(SRC, 'sdk', 'browser.ts'));
    expect(files).toContain('sdk/client.ts');
    expect(files).toContain('contracts/index.ts');
    const node = [...packages].filter((p) => p.startsWith('node:') || BUILTINS.has(p.split('/')[0]!));
    expect(node).toEqual([]);
    expect([...packages].sort()).toEqual(['zod']);
    // Nothing outside the SDK and the contracts.
    expect(files.filter((f) => !f.startsWith('sdk/') && !f.startsWith('contracts/'))).toEqual([]);
  });

  it('the Node entry still hands out artifacts as Node streams', () => {
    const { packages } = importGraph(path.join(SRC, 'sdk', 'index.ts'));
    expect(packages.has('node:stream')).toBe(true);
  });
});
