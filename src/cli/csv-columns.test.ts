import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvRecords } from './csv-columns.js';

describe('csvRecords reads CSV as the row readers (csv-parse, cast and trimmed) do', () => {
  it('on quotes, escaped quotes, commas and line breaks inside quotes, CRLF, empty cells, number forms and blank lines', async () => {
    const text = [
      'a, b ,"c, d",e',
      '1,x, "quoted, comma",2.5',
      '"3","say ""hi""",plain,-1e3',
      '',
      ' 4 ,,"line',
      'break",Infinity',
      '5,0x10,NaN, 7 \r',
      '6,"",12abc,.5',
    ].join('\n');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-csv-')), 'x.csv');
    fs.writeFileSync(file, text);
    const mine: Record<string, unknown>[] = [];
    for await (const { header, records } of csvRecords(file)) for (const r of records) mine.push(Object.fromEntries(header.map((h, i) => [h, r[i]])));
    const theirs = (parse(text, { columns: true, cast: true, skip_empty_lines: true, trim: true }) as Record<string, unknown>[]).map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? null : v])),
    );
    expect(mine).toEqual(theirs);
    expect(mine[1]).toMatchObject({ a: 3, b: 'say "hi"', e: -1000 });
    expect(mine[2]).toMatchObject({ 'c, d': 'line\nbreak', e: 'Infinity' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
