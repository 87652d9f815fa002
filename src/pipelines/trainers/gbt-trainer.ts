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
  const o = { ...DEFAULTS, ...p };
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
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  const logistic = task === 'binary-classification';
  const baseScore = logistic ? Math.min(1 - 1e-6, Math.max(1e-6, mean)) : mean;
  const margin = new Float64Array(n).fill(logistic ? f32(Math.log(baseScore / (1 - baseScore))) : f32(baseScore));
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const trees: Tree[] = [];
  const maxBinsAll = Math.max(...cuts.map((c) => c.length + 2));
  const histG = new Float64Array(maxBinsAll);
  const histH = new Float64Array(maxBinsAll);
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
    const grow = (node: number, rows: Uint32Array, depth: number) => {
      let G = 0;
      let H = 0;
      for (const i of rows) {
        G += g[i]!;
        H += h[i]!;
      }
      const weight = -G / (H + o.lambda);
      tree.hess[node] = H;
      tree.weight[node] = weight;
      const leaf = () => {
        const v = f32(weight * o.learningRate);
        tree.value[node] = v;
        for (const i of rows) margin[i] = f32(margin[i]! + v);
      };
      if (depth >= o.maxDepth || rows.length < 2 || H < 2 * o.minChildWeight) return leaf();
      const parentScore = (G * G) / (H + o.lambda);
      let best = { gain: 1e-9, feature: -1, cut: -1, missingLeft: false };
      for (let j = 0; j < d; j++) {
        const nb = cuts[j]!.length + 2;
        histG.fill(0, 0, nb);
        histH.fill(0, 0, nb);
        const b = bins[j]!;
        for (const i of rows) {
          histG[b[i]!] = histG[b[i]!]! + g[i]!;
          histH[b[i]!] = histH[b[i]!]! + h[i]!;
        }
        const gm = histG[nb - 1]!;
        const hm = histH[nb - 1]!;
        let gl = 0;
        let hl = 0;
        for (let c = 0; c < nb - 2; c++) {
          gl += histG[c]!;
          hl += histH[c]!;
          for (const missingLeft of hm > 0 ? [false, true] : [false]) {
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
      const goesLeft = (i: number) => (b[i] === missBin ? best.missingLeft : b[i]! <= best.cut);
      const leftRows = rows.filter(goesLeft);
      const rightRows = rows.filter((i) => !goesLeft(i));
      tree.feature[node] = best.feature;
      tree.value[node] = cuts[best.feature]![best.cut]!;
      tree.defaultLeft[node] = best.missingLeft ? 1 : 0;
      tree.gain[node] = best.gain;
      const l = newNode(node);
      const r = newNode(node);
      tree.left[node] = l;
      tree.right[node] = r;
      grow(l, leftRows, depth + 1);
      grow(r, rightRows, depth + 1);
    };
    grow(newNode(-1), Uint32Array.from({ length: n }, (_, i) => i), 0);
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
