import { isMissing, type Values } from './binning.js';

export type DataQualityRule = 'missing_share' | 'out_of_range' | 'new_categories' | 'type_errors' | 'schema_violations';

export interface DataQualityThresholds {
  /** Missing values: the current share may exceed the reference's by at most this much. */
  maxMissingShare: number;
  /** Numbers outside the reference's [min, max]: at most this share of a feature's values. */
  maxOutOfRangeShare: number;
  /** Categories the reference never had: at most this share of a feature's values. */
  maxNewCategoryShare: number;
  /** Requests refused for wrong types, or for missing or extra columns: at most this share of requests. */
  maxErrorShare: number;
}

export const DEFAULT_DATA_QUALITY: DataQualityThresholds = { maxMissingShare: 0.05, maxOutOfRangeShare: 0.05, maxNewCategoryShare: 0.05, maxErrorShare: 0.01 };

export interface DataQualityCheck {
  rule: DataQualityRule;
  feature: string | null;
  /** The share measured in the current data. */
  value: number;
  /** The same share in the reference, where it has one. */
  reference: number | null;
  threshold: number;
  passed: boolean;
}

export interface DataQualityReport {
  checks: DataQualityCheck[];
  failed: DataQualityCheck[];
}

/**
 * Which rule a refused request broke, from the message the serving layer gave it: a value of the
 * wrong type, or a request whose columns or shape do not match the signature.
 */
export function classifyInputError(message: string): 'type_errors' | 'schema_violations' | null {
  if (/: expected [^,]+, got |not valid for datatype|is not an integer for datatype/.test(message)) return 'type_errors';
  if (/missing required feature|features per row in signature order|values but data has|must be one feature of shape|has \d+ rows but|is missing in row|the request has no rows/.test(message)) return 'schema_violations';
  return null;
}

const share = (n: number, d: number) => (d === 0 ? 0 : n / d);

/**
 * Data-quality checks of a window against the reference, as Evidently's data-quality tests:
 * missing-value share per feature, share of numbers outside the reference range, share of unseen
 * categories, and the share of requests refused for type errors or schema violations.
 */
export function dataQuality(
  reference: Record<string, Values>,
  current: Record<string, Values>,
  refusals: string[],
  requests: number,
  t: DataQualityThresholds = DEFAULT_DATA_QUALITY,
): DataQualityReport {
  const checks: DataQualityCheck[] = [];
  for (const [feature, ref] of Object.entries(reference)) {
    const cur = current[feature];
    if (!cur || cur.length === 0) continue;
    const refMissing = share(ref.filter(isMissing).length, ref.length);
    const curMissing = share(cur.filter(isMissing).length, cur.length);
    checks.push({ rule: 'missing_share', feature, value: curMissing, reference: refMissing, threshold: t.maxMissingShare, passed: curMissing - refMissing <= t.maxMissingShare });
    const refPresent = ref.filter((v) => !isMissing(v));
    const curPresent = cur.filter((v) => !isMissing(v));
    if (refPresent.length === 0 || curPresent.length === 0) continue;
    if (refPresent.every((v) => typeof v === 'number')) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of refPresent as number[]) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const out = (curPresent as unknown[]).filter((v) => typeof v === 'number' && (v < lo || v > hi)).length;
      const s = share(out, curPresent.length);
      checks.push({ rule: 'out_of_range', feature, value: s, reference: 0, threshold: t.maxOutOfRangeShare, passed: s <= t.maxOutOfRangeShare });
    } else {
      const seen = new Set(refPresent.map(String));
      const unseen = curPresent.filter((v) => !seen.has(String(v))).length;
      const s = share(unseen, curPresent.length);
      checks.push({ rule: 'new_categories', feature, value: s, reference: 0, threshold: t.maxNewCategoryShare, passed: s <= t.maxNewCategoryShare });
    }
  }
  for (const rule of ['type_errors', 'schema_violations'] as const) {
    const s = share(refusals.filter((m) => classifyInputError(m) === rule).length, requests);
    checks.push({ rule, feature: null, value: s, reference: null, threshold: t.maxErrorShare, passed: s <= t.maxErrorShare });
  }
  return { checks, failed: checks.filter((c) => !c.passed) };
}
