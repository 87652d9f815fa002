import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Writes a 1-row MLflow `dataframe_split` body of the quick start's model into `dir`; returns its path. */
export function oneRowBody(dir) {
  const sample = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'quickstart', 'sample.json'), 'utf8'));
  const file = path.join(dir, 'body.json');
  fs.writeFileSync(file, JSON.stringify({ dataframe_split: { columns: sample.features, data: sample.rows.slice(0, 1) } }));
  return file;
}

/**
 * Waits for a benchmark target's server, registers the quick start's `sextant-linear` model as
 * `bc@champion`, deploys it and waits until `target.url` answers `bodyFile`. `target.cli(...args)`
 * runs the target's CLI against its server.
 */
export async function deployQuickstart(target, bodyFile, label) {
  const model = path.join(ROOT, 'assets', 'quickstart', 'breast-cancer-linear.json');
  for (let i = 0; i < 300 && target.cli('models', 'list').status !== 0; i++) await sleep(100);
  for (const step of [
    ['models', 'create', 'bc', '--task', 'binary-classification'],
    ['register', 'bc', '--file', model, '--format', 'sextant-linear', '--alias', 'champion'],
    ['deploy', 'create', 'bc', '--model', 'bc', '--alias', 'champion'],
  ]) {
    const r = target.cli(...step);
    if (r.status !== 0) throw new Error(`${label}: ${step.join(' ')}: ${r.stderr}`);
  }
  for (let i = 0; i < 100; i++) {
    const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fs.readFileSync(bodyFile) }).catch(() => null);
    if (res?.ok) break;
    await sleep(100);
  }
}
