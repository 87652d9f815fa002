import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { BIN, ROOT, runCli } from './helpers/processes.js';

const cases = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'stats', 'drift-cases.json'), 'utf8')).cases as {
  name: string;
  reference: number[];
  current: number[];
  ks: [number, number];
}[];

describe('sextant drift (no server)', () => {
  it('reports per-feature tests, the drifted share and dataset drift as JSON, matching scipy', async () => {
    const dir = tempDir('sextant-drift-');
    const c = cases.find((x) => x.name === 'normal unequal')!;
    const write = (file: string, xs: number[]) =>
      fs.writeFileSync(path.join(dir, file), ['x,colour', ...xs.map((v, i) => `${v},${i % 3 ? 'red' : 'blue'}`)].join('\n'));
    write('ref.csv', c.reference);
    write('cur.csv', c.current);
    const r = await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const x = report.features.find((f: { feature: string }) => f.feature === 'x');
    expect(x).toMatchObject({ feature: 'x', kind: 'num', test: 'ks', threshold: 0.05 });
    expect(Math.abs(x.statistic - c.ks[0])).toBeLessThan(1e-12);
    expect(Math.abs(x.pValue - c.ks[1])).toBeLessThan(1e-6);
    expect(report.features.find((f: { feature: string }) => f.feature === 'colour')).toMatchObject({ kind: 'cat', test: 'z', drifted: false });
    expect(report).toMatchObject({ driftedShare: expect.any(Number), drifted: expect.any(Boolean) });
    const html = path.join(dir, 'report.html');
    expect((await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--html', html])).code).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).toMatch(/<td>x<\/td><td>num<\/td><td>ks<\/td>/);
    expect(page).not.toMatch(/<script|https?:\/\//);
    const table = await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--test', 'x=psi']);
    expect(table.stdout).toMatch(/x\s+num\s+psi/);
    // Every Evidently test by name, with its own default threshold.
    const more = JSON.parse((await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--test', 'x=mannw', '--test', 'colour=g_test', '--json'])).stdout);
    expect(more.features.map((f: { feature: string; test: string; threshold: number }) => [f.feature, f.test, f.threshold])).toEqual([
      ['x', 'mannw', 0.05],
      ['colour', 'g_test', 0.1],
    ]);
    const bad = await runCli(['drift', '--reference', path.join(dir, 'nope.csv'), '--current', path.join(dir, 'cur.csv')]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/nope.csv: cannot read/) });
    const badTest = await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--test', 'x=magic']);
    expect(badTest.code).not.toBe(0);
    expect(badTest.stderr).toMatch(/--test x=magic/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends quietly and still writes its report when the reader of its output goes away, as in `sextant drift … | head`', async () => {
    const dir = tempDir('sextant-drift-pipe-');
    const write = (file: string, shift: number) =>
      fs.writeFileSync(path.join(dir, file), ['a,b', ...Array.from({ length: 200 }, (_, i) => `${i + shift},${(i * 7) % 13}`)].join('\n'));
    write('ref.csv', 0);
    write('cur.csv', 50);
    const html = path.join(dir, 'report.html');
    const child = spawn(process.execPath, [BIN, 'drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--html', html], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader closes its end before the table is written: every write then fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe(`wrote ${html}\n`);
    expect(code).toBe(0);
    // The rest of the command's work is still done.
    expect(fs.readFileSync(html, 'utf8')).toMatch(/<td>a<\/td><td>num<\/td>/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('sextant drift --multivariate', () => {
  const mv = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'stats', 'multivariate-cases.json'), 'utf8')).cases[0] as {
    reference: Record<string, number[]>;
    current: Record<string, number[]>;
    expected: { components: number; upper: number; currentChunks: [number, number, number, boolean][] };
  };
  const csv = (file: string, data: Record<string, (number | string)[]>) => {
    const cols = Object.keys(data);
    fs.writeFileSync(file, [cols.join(','), ...data[cols[0]!]!.map((_, i) => cols.map((c) => data[c]![i]).join(','))].join('\n'));
  };

  it('finds a broken correlation no per-feature test sees (data reconstruction, as scikit-learn) and runs the gbt domain classifier, in JSON, the table and the HTML', async () => {
    const dir = tempDir('sextant-drift-mv-');
    csv(path.join(dir, 'ref.csv'), mv.reference);
    csv(path.join(dir, 'cur.csv'), mv.current);
    const args = ['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--multivariate', '--chunk-size', '100'];
    const r = await runCli([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { multivariate } = JSON.parse(r.stdout);
    expect(multivariate.reconstruction).toMatchObject({ method: 'data_reconstruction', components: mv.expected.components, chunkSize: 100 });
    expect(Math.abs(multivariate.reconstruction.reference.upper - mv.expected.upper)).toBeLessThan(1e-9);
    expect(multivariate.reconstruction.current.chunks.map((c: { alert: boolean }) => c.alert)).toEqual(mv.expected.currentChunks.map((c) => c[3]));
    expect(multivariate.domainClassifier).toMatchObject({ method: 'domain_classifier', folds: 5, threshold: 0.65, rows: { reference: 1000, current: 900 } });
    expect(multivariate.domainClassifier.auc).toBeGreaterThanOrEqual(0);
    expect(multivariate.domainClassifier.auc).toBeLessThanOrEqual(1);
    expect(multivariate.drifted).toBe(true);
    const table = await runCli([...args, '--html', path.join(dir, 'r.html')]);
    expect(table.stdout).toMatch(/data reconstruction: PCA keeps 2 of 6 dimensions.*3 of 9 current chunks outside the band \(rows 300–399, 400–499, 500–599\)/);
    expect(table.stdout).toMatch(/domain classifier: 5-fold ROC AUC [0-9.]+ \(threshold 0.65\) on 1000 \+ 900 rows/);
    expect(table.stdout).toMatch(/multivariate drift: YES/);
    const page = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
    expect(page).toMatch(/Data reconstruction <small>PCA 2 components of 6 features · 3 of 9 current chunks outside/);
    expect(page).toMatch(/Domain classifier <small>5-fold ROC AUC/);
    expect(page).not.toMatch(/<script|https?:\/\//);
    const bad = await runCli([...args.slice(0, 5), '--multivariate', '--auc-threshold', '2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--auc-threshold 2: expected a number between 0 and 1/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the domain classifier (the gbt trainer, cross-validated) calls drift on a shifted feature', async () => {
    const dir = tempDir('sextant-drift-dc-');
    const wave = (n: number, shift: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2 + Math.cos(i * 0.31) + shift);
    csv(path.join(dir, 'ref.csv'), { a: wave(400, 0), b: wave(400, 0).reverse() });
    csv(path.join(dir, 'cur.csv'), { a: wave(300, 1.5), b: wave(300, 0).reverse() });
    const r = await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--multivariate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout).multivariate.domainClassifier;
    expect(d.auc).toBeGreaterThan(0.65);
    expect(d.drifted).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('sextant drift on any size: streamed, exact up to the row bound, sketches beyond it', () => {
  let seed = 5;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const N = 30_000;
  const side = (shift: number) => ({
    steady: Array.from({ length: N }, () => gauss() * 2 + 10),
    shifted: Array.from({ length: N }, () => gauss() + shift),
    wide: Array.from({ length: N }, () => Math.exp(gauss() + 1.5 * shift)),
    few: Array.from({ length: N }, () => Math.floor(rand() * (shift ? 3 : 4))),
    colour: Array.from({ length: N }, () => ['red', 'green', 'blue', shift ? 'red' : 'violet'][Math.floor(rand() * 4)]!),
  });

  it('gives the verdicts of the exact mode from sketches, each statistic within its stated error bound, on CSV, JSON lines and Parquet', async () => {
    const dir = tempDir('sextant-drift-big-');
    const ref = side(0);
    const cur = side(0.4);
    const cols = Object.keys(ref) as (keyof typeof ref)[];
    const write = (name: string, data: typeof ref) => {
      fs.writeFileSync(path.join(dir, `${name}.csv`), [cols.join(','), ...data.steady.map((_, i) => cols.map((c) => data[c][i]).join(','))].join('\n'));
      fs.writeFileSync(path.join(dir, `${name}.jsonl`), data.steady.map((_, i) => JSON.stringify(Object.fromEntries(cols.map((c) => [c, data[c][i]])))).join('\n'));
      const columnData = cols.map((c) => (c === 'colour' ? { name: c, data: data[c], type: 'STRING' as const } : { name: c, data: data[c] as number[], type: 'DOUBLE' as const }));
      fs.writeFileSync(path.join(dir, `${name}.parquet`), Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: 4096 })));
    };
    write('ref', ref);
    write('cur', cur);
    const run = async (ext: string, extra: string[]) => {
      const r = await runCli(['drift', '--reference', path.join(dir, `ref.${ext}`), '--current', path.join(dir, `cur.${ext}`), '--json', '--test', 'shifted=ks', '--test', 'steady=t_test', '--test', 'wide=psi', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      return { report: JSON.parse(r.stdout), stderr: r.stderr };
    };
    const exact = await run('csv', []);
    expect(exact.report).toMatchObject({ mode: 'exact', rows: { reference: N, current: N }, rowBound: 1_000_000 });
    const byName = (rep: { features: { feature: string }[] }) => Object.fromEntries(rep.features.map((f) => [f.feature, f])) as unknown as Record<string, { test: string; statistic: number; pValue: number | null; drifted: boolean; errorBound: number }>;
    const e = byName(exact.report);
    expect(Object.values(e).map((f) => [f.test, f.drifted])).toEqual([
      ['t_test', false],
      ['ks', true],
      ['psi', true],
      ['jensenshannon', true],
      ['jensenshannon', true],
    ]);
    for (const ext of ['csv', 'jsonl', 'parquet']) {
      const sketched = await run(ext, ['--row-bound', '5000']);
      expect(sketched.report).toMatchObject({ mode: 'sketch', rows: { reference: N, current: N }, rowBound: 5000, rankError: 0.0133 });
      expect(sketched.stderr).toMatch(/more than 5000 rows on a side .* switched to KLL sketches \(rank error ±1.33 % per sketched side\)/);
      const s = byName(sketched.report);
      for (const [name, f] of Object.entries(s)) {
        expect([name, f.test, f.drifted]).toEqual([name, e[name]!.test, e[name]!.drifted]);
        // Statistics within the stated bound (counts and moments are exact: bound 0, up to rounding).
        // PSI's bound is on each bin share (±2ε per sketched side), not on the sum: here 0.134 exact.
        const bound = name === 'wide' ? 0.025 : f.errorBound;
        expect(Math.abs(f.statistic - e[name]!.statistic)).toBeLessThanOrEqual(bound + 1e-9);
      }
      expect(s.few!.errorBound).toBe(0);
      expect(s.colour!.errorBound).toBe(0);
      expect(s.shifted!.errorBound).toBeCloseTo(2 * 0.0133, 10);
    }
    // What cannot run on sketches says so and how to run it.
    const cvm = await runCli(['drift', '--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--row-bound', '5000', '--test', 'steady=cramer_von_mises']);
    expect(cvm.stderr).toMatch(/skipped steady: cramer_von_mises needs every value in order: raise --row-bound above 30000 rows to run it exactly/);
    expect(cvm.stdout).toMatch(/errorBound/i);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
