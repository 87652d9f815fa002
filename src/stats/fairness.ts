/**
 * Group fairness of a binary classifier's decisions, by Fairlearn's definitions (selection rate,
 * true and false positive rates per group; demographic parity difference and ratio between
 * groups; equalized odds difference as the worse of the tpr and fpr differences) and AIF360's
 * disparate impact against a privileged group, with the four-fifths rule.
 */

export interface GroupFairness {
  count: number;
  /** Share of the group's rows predicted positive. */
  selectionRate: number;
  /** Share of the group's positives predicted positive; 0 when it has none (Fairlearn, via sklearn). */
  tpr: number;
  /** Share of the group's negatives predicted positive; 0 when it has none. */
  fpr: number;
  accuracy: number;
}

export interface FairnessMetrics {
  /** The group disparate impact compares with. */
  privileged: string;
  groups: Record<string, GroupFairness>;
  demographicParityDifference: number;
  /** Smallest ÷ largest selection rate; null when no group is ever selected. */
  demographicParityRatio: number | null;
  equalizedOddsDifference: number;
  /** Each group's selection rate ÷ the privileged group's; null when the privileged group is never selected. */
  disparateImpact: Record<string, number | null>;
  /** Whether each group's disparate impact lies within [0.8, 1.25]. */
  fourFifthsRule: Record<string, boolean | null>;
}

const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);

/**
 * @param labels true labels, 0 or 1 per row
 * @param predictions decisions, 0 or 1 per row
 * @param groups the sensitive attribute's value per row
 * @param privileged the reference group; by default the group selected most often (ties: the
 *   larger group, then the name), so every other group's ratio is at most 1
 */
export function fairnessMetrics(labels: ArrayLike<number>, predictions: ArrayLike<number>, groups: readonly string[], privileged?: string): FairnessMetrics {
  const tally = new Map<string, { n: number; selected: number; pos: number; tp: number; neg: number; fp: number; correct: number }>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    let t = tally.get(g);
    if (!t) tally.set(g, (t = { n: 0, selected: 0, pos: 0, tp: 0, neg: 0, fp: 0, correct: 0 }));
    const y = labels[i]!;
    const p = predictions[i]!;
    t.n++;
    t.selected += p;
    if (y === 1) {
      t.pos++;
      t.tp += p;
    } else {
      t.neg++;
      t.fp += p;
    }
    if (y === p) t.correct++;
  }
  const names = [...tally.keys()].sort();
  if (names.length === 0) throw new RangeError('no rows');
  const out: Record<string, GroupFairness> = {};
  for (const g of names) {
    const t = tally.get(g)!;
    out[g] = { count: t.n, selectionRate: t.selected / t.n, tpr: t.pos ? t.tp / t.pos : 0, fpr: t.neg ? t.fp / t.neg : 0, accuracy: t.correct / t.n };
  }
  const ref =
    privileged ??
    [...names].sort((a, b) => out[b]!.selectionRate - out[a]!.selectionRate || out[b]!.count - out[a]!.count || (a < b ? -1 : a > b ? 1 : 0))[0]!;
  if (!out[ref]) throw new RangeError(`privileged group ${ref} has no rows`);
  const sel = names.map((g) => out[g]!.selectionRate);
  const max = Math.max(...sel);
  const base = out[ref]!.selectionRate;
  const disparateImpact: Record<string, number | null> = {};
  const fourFifthsRule: Record<string, boolean | null> = {};
  for (const g of names) {
    const di = base > 0 ? out[g]!.selectionRate / base : null;
    disparateImpact[g] = di;
    fourFifthsRule[g] = di === null ? null : di >= 0.8 && di <= 1.25;
  }
  return {
    privileged: ref,
    groups: out,
    demographicParityDifference: spread(sel),
    demographicParityRatio: max > 0 ? Math.min(...sel) / max : null,
    equalizedOddsDifference: Math.max(spread(names.map((g) => out[g]!.tpr)), spread(names.map((g) => out[g]!.fpr))),
    disparateImpact,
    fourFifthsRule,
  };
}
