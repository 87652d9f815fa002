import fs from 'node:fs';
import { CliError } from './cli-error.js';

export type CsvCell = number | string | null;

/** csv-parse's `cast: true`: a field that reads as a float becomes one (so "Infinity" stays text). */
const cast = (field: string): CsvCell => {
  if (field === '') return null;
  const f = parseFloat(field);
  return (field as unknown as number) - f + 1 >= 0 ? f : field;
};

/** Splits one CSV record (RFC 4180 quoting, fields trimmed as `trim: true` does). */
function fields(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((f) => f.trim());
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new RangeError('unclosed quote');
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(',', i);
      out.push(v);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      out.push((comma < 0 ? line.slice(i) : line.slice(i, comma)).trim());
      if (comma < 0) break;
      i = comma + 1;
    }
  }
  return out;
}

/** An odd number of quotes so far: the record goes on past this line break. */
const openQuote = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n % 2 === 1;
};

/**
 * Streams a CSV file with a header row as records of cast cells, in the header's order, without
 * building an object per row: the read path of `sextant drift`, where parsing is most of the cost.
 * Same reading as the row readers' csv-parse settings (header, trimmed fields, empty lines skipped,
 * numbers cast as csv-parse casts them, empty cells missing).
 */
export async function* csvRecords(file: string): AsyncGenerator<{ header: string[]; records: CsvCell[][] }> {
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let header: string[] | null = null;
  let rest = '';
  let pending = '';
  let line = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop()!;
    const records: CsvCell[][] = [];
    for (let raw of lines) {
      line++;
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      if (pending) {
        raw = `${pending}\n${raw}`;
        pending = '';
      }
      if (raw.includes('"') && openQuote(raw)) {
        pending = raw;
        continue;
      }
      if (raw.trim() === '') continue;
      let f: string[];
      try {
        f = fields(raw);
      } catch (err) {
        throw new CliError(`${file}: line ${line}: ${(err as Error).message}`);
      }
      if (!header) {
        header = f.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h));
        continue;
      }
      if (f.length !== header.length) throw new CliError(`${file}: line ${line} has ${f.length} fields, the header ${header.length}`);
      records.push(f.map(cast));
    }
    if (header && records.length) yield { header, records };
  }
  let last = pending ? `${pending}\n${rest}` : rest;
  if (last.endsWith('\r')) last = last.slice(0, -1);
  if (last.trim() !== '') {
    if (pending && openQuote(last)) throw new CliError(`${file}: line ${line + 1}: unclosed quote`);
    const f = fields(last);
    if (!header) return;
    if (f.length !== header.length) throw new CliError(`${file}: line ${line + 1} has ${f.length} fields, the header ${header.length}`);
    yield { header, records: [f.map(cast)] };
  }
}
