import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Column } from '../runtime/index.js';
import type { PredictionRecord } from './prediction-log.js';

/** Logged form of a personal-data value: the prefix and 16 hex digits of its keyed hash. */
export const PII_PREFIX = 'pii:';

/**
 * Keyed hashes of personal data (HMAC-SHA256 under a key kept in Sextant's home, `pii.key`): the
 * same value always gives the same hash, so drift on categories still works, and nobody without
 * the key can test a guess against the log.
 */
export class PiiHasher {
  private constructor(private readonly key: Buffer) {}

  /** The home's key, created (32 random bytes, owner-only) by the first process that needs it. */
  static fromHome(home: string): PiiHasher {
    const file = path.join(home, 'pii.key');
    try {
      fs.mkdirSync(home, { recursive: true });
      fs.writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} does not hold a 32-byte hex key`);
    return new PiiHasher(Buffer.from(hex, 'hex'));
  }

  /** The logged form of a value; missing values stay missing. */
  hash(value: unknown): string | null {
    if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return null;
    return PII_PREFIX + createHmac('sha256', this.key).update(String(value)).digest('hex').slice(0, 16);
  }

  /**
   * The record as it may be logged: personal-data columns replaced by their hashes, and quoted
   * values taken out of an error message that names such a feature (refusals quote the value).
   */
  protect(r: PredictionRecord): PredictionRecord {
    const pii = r.pii ?? [];
    if (pii.length === 0) return r;
    let batch = r.batch;
    if (batch) {
      const columns: Column[] = batch.columns.map((col, f) =>
        pii.includes(r.features[f]!) ? Array.from(col as ArrayLike<number | string>, (v) => this.hash(v) ?? '') : col,
      );
      batch = { rows: batch.rows, columns };
    }
    const error = r.error !== null && pii.some((f) => r.error!.includes(f)) ? r.error.replace(/"[^"]*"/g, '"[personal data]"') : r.error;
    return { ...r, batch, error };
  }
}
