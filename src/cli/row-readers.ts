import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { CliError } from './cli-error.js';

export interface RowChunk {
  rows: Record<string, unknown>[];
  /** Progress so far, in the reader's unit (bytes for text files, rows for Parquet). */
  done: number;
}

export interface RowSource {
  total: number;
  unit: 'bytes' | 'rows';
  chunks: AsyncGenerator<RowChunk>;
}

const cell = (v: unknown): unknown => (v === '' ? null : typeof v === 'bigint' ? Number(v) : v);

async function* textChunks(file: string, size: number, chunkRows: number, rowsOf: (stream: fs.ReadStream) => AsyncIterable<Record<string, unknown>>): AsyncGenerator<RowChunk> {
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  let rows: Record<string, unknown>[] = [];
  for await (const row of rowsOf(stream)) {
    rows.push(row);
    if (rows.length >= chunkRows) {
      yield { rows, done: Math.min(stream.bytesRead, size) };
      rows = [];
    }
  }
  if (rows.length) yield { rows, done: size };
}

/**
 * Streams rows from CSV (header row), JSON lines, or Parquet, a chunk at a time, so scoring a file
 * of any size uses constant memory.
 */
export async function openRows(file: string, chunkRows: number): Promise<RowSource> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new CliError(`--input ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') {
    return {
      total: size,
      unit: 'bytes',
      chunks: textChunks(file, size, chunkRows, (s) =>
        (async function* () {
          for await (const rec of s.pipe(parse({ columns: true, cast: true, skip_empty_lines: true, trim: true }))) {
            yield Object.fromEntries(Object.entries(rec as Record<string, unknown>).map(([k, v]) => [k, cell(v)]));
          }
        })(),
      ),
    };
  }
  if (ext === '.jsonl' || ext === '.ndjson') {
    return {
      total: size,
      unit: 'bytes',
      chunks: textChunks(file, size, chunkRows, (s) =>
        (async function* () {
          let line = 0;
          for await (const text of readline.createInterface({ input: s, crlfDelay: Infinity })) {
            line++;
            if (!text.trim()) continue;
            try {
              yield JSON.parse(text) as Record<string, unknown>;
            } catch {
              throw new CliError(`--input ${file}: line ${line} is not valid JSON`);
            }
          }
        })(),
      ),
    };
  }
  if (ext === '.parquet') {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const total = Number(metadata.num_rows);
    return {
      total,
      unit: 'rows',
      chunks: (async function* () {
        for (let start = 0; start < total; start += chunkRows) {
          const end = Math.min(total, start + chunkRows);
          const rows = (await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end })) as Record<string, unknown>[];
          yield { rows: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cell(v)]))), done: end };
        }
      })(),
    };
  }
  throw new CliError(`--input ${file}: use a .csv, .jsonl or .parquet file`);
}
