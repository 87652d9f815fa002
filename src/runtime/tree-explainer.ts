import { ShapWorkspace, treeDepth, treeExpectation, treeShap, type ShapTree } from '../stats/index.js';
import { backgroundMissing, type Explainer, type ExplanationSpace, packExplanation } from './explanation.js';
import type { FeatureBatch } from './predictor.js';

/** How an inner node compares a value with its threshold to go left (ONNX's modes; XGBoost uses `lt`). */
export type SplitMode = 'lt' | 'leq' | 'gt' | 'gte' | 'eq' | 'neq';
const MODES: SplitMode[] = ['lt', 'leq', 'gt', 'gte', 'eq', 'neq'];

/** One tree of an ensemble with the rule that routes rows, adding `value` × 1 to output `output`. */
export interface EnsembleTree extends ShapTree {
  threshold: Float64Array;
  /** Index into MODES per node. */
  mode: Uint8Array;
  /** A missing value (NaN) goes left. */
  missingLeft: Uint8Array;
  output: number;
}

export interface TreeEnsemble {
  features: string[];
  trees: EnsembleTree[];
  /** Per output, the score before any tree (base_score, base_values). */
  base: number[];
  space: ExplanationSpace;
  /** One output answered as a number (binary margin, regression). */
  scalar: boolean;
  /** The model compares float32 inputs: round values before comparing. */
  float32: boolean;
  /** Covers are not in the model, so they are counted from background rows; null when they are. */
  coversFromBackground: string | null;
}

export const modeIndex = (m: SplitMode): number => MODES.indexOf(m);

function goesLeft(t: EnsembleTree, node: number, x: number): boolean {
  if (Number.isNaN(x)) return t.missingLeft[node] === 1;
  const th = t.threshold[node]!;
  switch (t.mode[node]) {
    case 0:
      return x < th;
    case 1:
      return x <= th;
    case 2:
      return x > th;
    case 3:
      return x >= th;
    case 4:
      return x === th;
    default:
      return x !== th;
  }
}

function leafOf(t: EnsembleTree, row: Float64Array, visit?: (node: number) => void): void {
  let node = 0;
  for (;;) {
    visit?.(node);
    const l = t.left[node]!;
    if (l < 0) return;
    node = goesLeft(t, node, row[t.feature[node]!]!) ? l : t.right[node]!;
  }
}

function rowOf(batch: FeatureBatch, r: number, out: Float64Array, float32: boolean): Float64Array {
  for (let f = 0; f < out.length; f++) {
    const v = (batch.columns[f] as Float64Array)[r]!;
    out[f] = float32 ? Math.fround(v) : v;
  }
  return out;
}

/** The trees with covers counted from the background rows routed through them. */
function withBackgroundCovers(e: TreeEnsemble, background: FeatureBatch): EnsembleTree[] {
  const row = new Float64Array(e.features.length);
  // Trees that share one structure (a forest's per-class copies) are counted once.
  const counted = new Map<ArrayLike<number>, Float64Array>();
  return e.trees.map((t) => {
    let cover = counted.get(t.left);
    if (!cover) {
      const c = new Float64Array(t.left.length);
      for (let r = 0; r < background.rows; r++) leafOf(t, rowOf(background, r, row, e.float32), (n) => c[n]!++);
      counted.set(t.left, (cover = c));
    }
    return { ...t, cover };
  });
}

/** Path-dependent TreeSHAP over a tree ensemble, in its margin (or probability, or raw) space. */
export function treeExplainer(e: TreeEnsemble): Explainer {
  type Prepared = { trees: EnsembleTree[]; base: Float64Array };
  const prepared = new WeakMap<FeatureBatch, Prepared>();
  const prepare = (trees: EnsembleTree[]): Prepared => {
    const base = Float64Array.from(e.base);
    for (const t of trees) base[t.output]! += treeExpectation(t);
    return { trees, base };
  };
  const own: Prepared | null = e.coversFromBackground ? null : prepare(e.trees);
  const workspace = new ShapWorkspace(Math.max(1, ...e.trees.map((t) => treeDepth(t) + 1)));
  return {
    space: e.space,
    background: e.coversFromBackground,
    explain(batch, background) {
      let model = own ?? (background ? prepared.get(background) : undefined);
      if (!model) {
        if (!background) throw backgroundMissing(e.coversFromBackground!);
        prepared.set(background, (model = prepare(withBackgroundCovers(e, background))));
      }
      const k = e.base.length;
      const f = e.features.length;
      const flat = new Float64Array(batch.rows * k * f);
      const row = new Float64Array(f);
      for (let r = 0; r < batch.rows; r++) {
        rowOf(batch, r, row, e.float32);
        for (const t of model.trees) {
          const phi = flat.subarray((r * k + t.output) * f, (r * k + t.output + 1) * f);
          treeShap(t, (node) => (goesLeft(t, node, row[t.feature[node]!]!) ? t.left[node]! : t.right[node]!), phi, 1, workspace);
        }
      }
      return packExplanation(e.features, e.space, model.base, flat, batch.rows, e.scalar);
    },
  };
}
