import { AppError } from '../shared/app-error.js';
import type { FeatureBatch, Predictor } from '../runtime/index.js';

/** A version's reference data: its digest (so a new upload is noticed) and a reader of its rows. */
export interface ReferenceRows {
  digest: string;
  rows(): Promise<Record<string, unknown>[]>;
}

/** Where explainers get background rows: the version's reference data, in the predictor's feature order. */
export type BackgroundSource = (model: string, version: number, predictor: Predictor) => Promise<FeatureBatch | null>;

/** Reference rows as numeric columns in the predictor's feature order; absent or non-numeric values are NaN. */
export function backgroundBatch(rows: readonly Record<string, unknown>[], predictor: Predictor): FeatureBatch {
  const absent = predictor.features.find((f) => rows.length > 0 && !(f.name in rows[0]!));
  if (absent) {
    throw new AppError('conflict', `the version's reference data has no column ${absent.name}; explanations need a column per feature (${predictor.features.map((f) => f.name).slice(0, 8).join(', ')}${predictor.features.length > 8 ? ', …' : ''})`, {
      feature: absent.name,
    });
  }
  const columns = predictor.features.map((f) =>
    Float64Array.from(rows, (row) => {
      const v = row[f.name];
      return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number.NaN;
    }),
  );
  return { rows: rows.length, columns };
}

/**
 * Background batches built from reference data, kept for the last few (version, reference digest,
 * predictor) triples: explainers cache what they derive (means, covers) per batch object.
 */
export function referenceBackgrounds(find: (model: string, version: number) => Promise<ReferenceRows | null>, keep = 4): BackgroundSource {
  const cache = new Map<string, { predictor: Predictor; batch: FeatureBatch }>();
  return async (model, version, predictor) => {
    const ref = await find(model, version);
    if (!ref) return null;
    const key = `${model}/${version}/${ref.digest}`;
    const hit = cache.get(key);
    if (hit && hit.predictor === predictor) return hit.batch;
    const batch = backgroundBatch(await ref.rows(), predictor);
    cache.delete(key);
    cache.set(key, { predictor, batch });
    if (cache.size > keep) cache.delete(cache.keys().next().value!);
    return batch;
  };
}
