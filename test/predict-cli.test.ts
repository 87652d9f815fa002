import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/sdk/index.js';
import { tempDir } from './helpers/app.js';
import { ROOT, runCli, startCliServer, type ServerProcess } from './helpers/processes.js';

const FIX = path.join(ROOT, 'test', 'fixtures', 'serving');
const bc = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')).cases['breast-cancer-logistic'] as {
  features: string[];
  rows: number[][];
  label: number[];
  probabilities: number[][];
};

describe('sextant predict (batch scoring)', () => {
  let home: string;
  let server: ServerProcess;

  beforeAll(async () => {
    home = tempDir('sextant-predict-');
    server = await startCliServer(['server', '--port', '0', '--home', home]);
    const api = createClient({ baseUrl: server.url });
    await api.models.create({ name: 'bc', task: 'binary-classification' });
    await api.versions.register('bc', { format: 'sextant-linear', alias: 'champion' }, { file: fs.createReadStream(path.join(FIX, 'breast-cancer-linear.json')) });
    await api.deployments.create({ name: 'bc', model: 'bc', alias: 'champion' });
  });
  afterAll(() => {
    server?.child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  });

  function check(outFile: string) {
    const lines = fs.readFileSync(outFile, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,label,probabilities_0,probabilities_1,version');
    expect(lines).toHaveLength(bc.rows.length + 1);
    lines.slice(1).forEach((line, i) => {
      const [row, label, , p1, version] = line.split(',');
      expect(Number(row)).toBe(i);
      expect(Number(label)).toBe(bc.label[i]);
      expect(Math.abs(Number(p1) - bc.probabilities[i]![1]!)).toBeLessThan(1e-9);
      expect(version).toBe('1');
    });
  }

  it.each(['csv', 'jsonl', 'parquet'])('scores a %s file in order, in small batches', async (ext) => {
    const input = path.join(home, `rows.${ext}`);
    if (ext === 'csv') fs.writeFileSync(input, [bc.features.join(','), ...bc.rows.map((r) => r.join(','))].join('\n'));
    if (ext === 'jsonl') fs.writeFileSync(input, bc.rows.map((r) => JSON.stringify(Object.fromEntries(bc.features.map((f, i) => [f, r[i]])))).join('\n'));
    if (ext === 'parquet') {
      const buf = parquetWriteBuffer({ columnData: bc.features.map((name, i) => ({ name, data: bc.rows.map((r) => r[i]!), type: 'DOUBLE' as const })), rowGroupSize: 16 });
      fs.writeFileSync(input, Buffer.from(buf));
    }
    const output = path.join(home, `out-${ext}.csv`);
    const r = await runCli(['predict', 'bc', '--input', input, '--output', output, '--batch-size', '7'], { SEXTANT_URL: server.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`scored ${bc.rows.length} rows with bc`));
    check(output);
  });

  it('names the problem with the input file', async () => {
    const r = await runCli(['predict', 'bc', '--input', path.join(home, 'nope.csv'), '--output', path.join(home, 'x.csv')], { SEXTANT_URL: server.url });
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/--input .*nope.csv: cannot read \(ENOENT\)/) });
    const bad = path.join(home, 'bad.csv');
    fs.writeFileSync(bad, 'mean_radius,oops\nabc,1\n');
    const r2 = await runCli(['predict', 'bc', '--input', bad, '--output', path.join(home, 'y.csv')], { SEXTANT_URL: server.url });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/missing required feature mean_texture|feature mean_radius/);
  });
});
