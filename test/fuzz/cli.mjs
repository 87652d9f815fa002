#!/usr/bin/env node
// `npm run fuzz -- --runs N --seed S`: the fuzz suite of `npm test`, longer or with another seed.
// Prints the seed; a failure prints the counterexample and the seed and path that replay it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string', default: String(Date.now() % 2 ** 31) } } });
if (!/^\d+$/.test(values.runs) || !/^-?\d+$/.test(values.seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S]');
  process.exit(2);
}
console.log(`fuzzing with --runs ${values.runs} --seed ${values.seed}`);
const root = path.resolve(import.meta.dirname, '..', '..');
const child = spawn(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SEXTANT_FUZZ_RUNS: values.runs, SEXTANT_FUZZ_SEED: values.seed },
});
child.on('exit', (code) => process.exit(code ?? 1));
