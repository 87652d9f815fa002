import { AppError } from '../../shared/app-error.js';
import { classesOf, numericTargets, type TrainedModel, type TrainingData } from './training-data.js';

export interface GbtParams {
  nEstimators: number;
  learningRate: number;
  maxDepth: number;
  /** L2 penalty on leaf weights (XGBoost's `lambda`). */
  lambda: number;
  minChildWeight: number;
  maxBins: number;
}

const DEFAULTS: GbtParams = { nEstimators: 100, learningRate: 0.1, maxDepth: 3, lambda: 1, minChildWeight: 1, maxBins: 256 };

const f32 = Math.fround;

/** Cut points per feature: midpoints of distinct values, or quantiles when there are more than `maxBins`. */
function cutsOf(col: Float64Array, maxBins: number): Float32Array {
  const values = Float64Array.from(col.filter((v) => !Number.isNaN(v))).sort();
  const distinct: number[] = [];
  for (let i = 0; i < values.length; i++) if (i === 0 || f32(values[i]!) !== f32(values[i - 1]!)) distinct.push(values[i]!);
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) cuts.push(f32((distinct[i - 1]! + distinct[i]!) / 2));
  } else {
    for (let q = 1; q < maxBins; q++) cuts.push(f32(values[Math.floor((q * values.length) / maxBins)]!));
  }
  // Cuts are float32, as the runtime compares them, and strictly increasing.
  return Float32Array.from(cuts.filter((c, i) => i === 0 || c > cuts[i - 1]!));
}

/** Index of the bin of v: the number of cuts ≤ v, so `v < cuts[j]` ⇔ bin ≤ j; missing gets the last bin. */
function binOf(cuts: Float32Array, v: number): number {
  if (Number.isNaN(v)) return cuts.length + 1;
  const x = f32(v);
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Tree {
  left: number[];
  right: number[];
  parent: number[];
  feature: number[];
  value: number[];
  defaultLeft: number[];
  gain: number[];
  hess: number[];
  weight: number[];
}

/**
 * Gradient-boosted trees for binary classification (log loss) and regression (squared error),
 * grown depth-wise on histograms of at most `maxBins` cuts per feature with XGBoost's split gain
 * and leaf weights (second-order, L2 `lambda`), missing values sent the better way at each split.
 * Deterministic: no sampling. The artifact is XGBoost's own JSON model layout, so the runtime
 * (and XGBoost itself) serve it.
 */
export function trainGbt(data: TrainingData, task: 'binary-classification' | 'regression', p: Partial<GbtParams> = {}): TrainedModel {
  // Parameters the caller leaves undefined keep their defaults.
  const o: GbtParams = { ...DEFAULTS, ...Object.fromEntries(Object.entries(p).filter((e) => e[1] !== undefined)) };
  if (!(o.nEstimators >= 1 && o.nEstimators <= 5000)) throw new AppError('invalid_argument', 'trainer.params.nEstimators must be between 1 and 5000');
  if (!(o.maxDepth >= 1 && o.maxDepth <= 12)) throw new AppError('invalid_argument', 'trainer.params.maxDepth must be between 1 and 12');
  if (!(o.learningRate > 0 && o.learningRate <= 1)) throw new AppError('invalid_argument', 'trainer.params.learningRate must be in (0, 1]');
  const n = data.rows;
  const d = data.features.length;
  let y: Float64Array;
  if (task === 'binary-classification') {
    const classes = classesOf(data.labels);
    if (classes.length !== 2 || classes[0] !== 0 || classes[1] !== 1) {
      throw new AppError('invalid_argument', `the gbt trainer needs binary labels 0 and 1 (found ${classes.slice(0, 5).map(String).join(', ')})`);
    }
    y = Float64Array.from(data.labels as number[]);
  } else y = numericTargets(data.labels);
  const cuts = data.columns.map((c) => cutsOf(c, o.maxBins));
  const bins = data.columns.map((c, j) => Uint16Array.from(c, (v) => binOf(cuts[j]!, v)));
  // Histograms of all features of a node live in one flat array (feature j at off[j]); the bins are
  // also kept row-major so one pass over a node's rows fills every feature's histogram.
  const off = new Int32Array(d + 1);
  for (let j = 0; j < d; j++) off[j + 1] = off[j]! + cuts[j]!.length + 2;
  const binsByRow = new Uint16Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) binsByRow[i * d + j] = bins[j]![i]!;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  const logistic = task === 'binary-classification';
  const baseScore = logistic ? Math.min(1 - 1e-6, Math.max(1e-6, mean)) : mean;
  const margin = new Float64Array(n).fill(logistic ? f32(Math.log(baseScore / (1 - baseScore))) : f32(baseScore));
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const trees: Tree[] = [];
  const histogram = (rows: Uint32Array) => {
    const G = new Float64Array(off[d]!);
    const H = new Float64Array(off[d]!);
    for (let q = 0; q < rows.length; q++) {
      const i = rows[q]!;
      const gi = g[i]!;
      const hi = h[i]!;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const k = off[j]! + binsByRow[base + j]!;
        G[k] = G[k]! + gi;
        H[k] = H[k]! + hi;
      }
    }
    return { G, H };
  };
  for (let t = 0; t < o.nEstimators; t++) {
    for (let i = 0; i < n; i++) {
      if (logistic) {
        const pr = 1 / (1 + Math.exp(-margin[i]!));
        g[i] = pr - y[i]!;
        h[i] = Math.max(pr * (1 - pr), 1e-16);
      } else {
        g[i] = margin[i]! - y[i]!;
        h[i] = 1;
      }
    }
    const tree: Tree = { left: [], right: [], parent: [], feature: [], value: [], defaultLeft: [], gain: [], hess: [], weight: [] };
    const newNode = (parent: number) => {
      tree.left.push(-1);
      tree.right.push(-1);
      tree.parent.push(parent);
      tree.feature.push(0);
      tree.value.push(0);
      tree.defaultLeft.push(0);
      tree.gain.push(0);
      tree.hess.push(0);
      tree.weight.push(0);
      return tree.left.length - 1;
    };
    const grow = (node: number, rows: Uint32Array, depth: number, hist: { G: Float64Array; H: Float64Array } | null) => {
      let G = 0;
      let H = 0;
      const m = rows.length;
      for (let q = 0; q < m; q++) {
        const i = rows[q]!;
        G += g[i]!;
        H += h[i]!;
      }
      const weight = -G / (H + o.lambda);
      tree.hess[node] = H;
      tree.weight[node] = weight;
      const leaf = () => {
        const v = f32(weight * o.learningRate);
        tree.value[node] = v;
        for (let q = 0; q < m; q++) margin[rows[q]!] = f32(margin[rows[q]!]! + v);
      };
      if (depth >= o.maxDepth || rows.length < 2 || H < 2 * o.minChildWeight) return leaf();
      const parentScore = (G * G) / (H + o.lambda);
      let best = { gain: 1e-9, feature: -1, cut: -1, missingLeft: false };
      const { G: histG, H: histH } = hist ?? histogram(rows);
      for (let j = 0; j < d; j++) {
        const o0 = off[j]!;
        const nb = off[j + 1]! - o0;
        const gm = histG[o0 + nb - 1]!;
        const hm = histH[o0 + nb - 1]!;
        let gl = 0;
        let hl = 0;
        for (let c = 0; c < nb - 2; c++) {
          gl += histG[o0 + c]!;
          hl += histH[o0 + c]!;
          for (let mode = hm > 0 ? 1 : 0; mode >= 0; mode--) {
            const missingLeft = mode === 1;
            const GL = missingLeft ? gl + gm : gl;
            const HL = missingLeft ? hl + hm : hl;
            const GR = G - GL;
            const HR = H - HL;
            if (HL < o.minChildWeight || HR < o.minChildWeight) continue;
            const gain = (GL * GL) / (HL + o.lambda) + (GR * GR) / (HR + o.lambda) - parentScore;
            if (gain > best.gain) best = { gain, feature: j, cut: c, missingLeft };
          }
        }
      }
      if (best.feature < 0) return leaf();
      const b = bins[best.feature]!;
      const missBin = cuts[best.feature]!.length + 1;
      const left = new Uint32Array(m);
      const right = new Uint32Array(m);
      let nl = 0;
      let nr = 0;
      for (let q = 0; q < m; q++) {
        const i = rows[q]!;
        const k = b[i]!;
        if (k === missBin ? best.missingLeft : k <= best.cut) left[nl++] = i;
        else right[nr++] = i;
      }
      const leftRows = left.subarray(0, nl);
      const rightRows = right.subarray(0, nr);
      tree.feature[node] = best.feature;
      tree.value[node] = cuts[best.feature]![best.cut]!;
      tree.defaultLeft[node] = best.missingLeft ? 1 : 0;
      tree.gain[node] = best.gain;
      const l = newNode(node);
      const r = newNode(node);
      tree.left[node] = l;
      tree.right[node] = r;
      // Children that may split get histograms: the smaller by a pass, the larger by subtraction.
      let lh: { G: Float64Array; H: Float64Array } | null = null;
      let rh: { G: Float64Array; H: Float64Array } | null = null;
      if (depth + 1 < o.maxDepth) {
        const small = histogram(nl <= nr ? leftRows : rightRows);
        const large = { G: histG.map((v, k) => v - small.G[k]!), H: histH.map((v, k) => v - small.H[k]!) };
        [lh, rh] = nl <= nr ? [small, large] : [large, small];
      }
      grow(l, leftRows, depth + 1, lh);
      grow(r, rightRows, depth + 1, rh);
    };
    grow(newNode(-1), Uint32Array.from({ length: n }, (_, i) => i), 0, null);
    trees.push(tree);
  }
  const objective = logistic ? 'binary:logistic' : 'reg:squarederror';
  const doc = {
    learner: {
      attributes: {},
      feature_names: data.features,
      feature_types: data.features.map(() => 'float'),
      gradient_booster: {
        name: 'gbtree',
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length) },
          tree_info: trees.map(() => 0),
          trees: trees.map((t, id) => ({
            id,
            base_weights: t.weight.map(f32),
            categories: [],
            categories_nodes: [],
            categories_segments: [],
            categories_sizes: [],
            default_left: t.defaultLeft,
            left_children: t.left,
            right_children: t.right,
            parents: t.parent.map((x) => (x < 0 ? 2147483647 : x)),
            loss_changes: t.gain.map(f32),
            split_conditions: t.value,
            split_indices: t.feature,
            split_type: t.left.map(() => 0),
            sum_hessian: t.hess.map(f32),
            tree_param: { num_deleted: '0', num_feature: String(d), num_nodes: String(t.left.length), size_leaf_vector: '0' },
          })),
        },
      },
      learner_model_param: { base_score: String(baseScore), num_class: '0', num_feature: String(d), num_target: '1' },
      objective: logistic ? { name: objective, reg_loss_param: { scale_pos_weight: '1' } } : { name: objective, reg_loss_param: {} },
    },
    version: [1, 7, 4],
  };
  return {
    format: 'xgboost-json',
    artifact: new TextEncoder().encode(JSON.stringify(doc)),
    params: { ...o, objective },
    metrics: {},
  };
}
