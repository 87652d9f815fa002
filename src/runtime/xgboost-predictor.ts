import { AppError } from '../shared/app-error.js';
import { type Explainer, unexplainable } from './explanation.js';
import { treeExplainer, modeIndex, type TreeEnsemble } from './tree-explainer.js';
import type { FeatureSpec, FeatureBatch, OutputSpec, OutputTensor, Predictor } from './predictor.js';

/** One tree as flat arrays, as XGBoost writes it; a node is a leaf when its left child is -1. */
interface Tree {
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  /** Split threshold for inner nodes, leaf value for leaves (float32, as XGBoost stores them). */
  value: Float32Array;
  defaultLeft: Uint8Array;
  /** Sum of hessians that reached each node: the cover TreeSHAP weighs expectations by. */
  cover: Float64Array;
  group: number;
  weight: number;
}

const OBJECTIVES = ['binary:logistic', 'reg:logistic', 'binary:logitraw', 'reg:squarederror', 'reg:linear', 'reg:absoluteerror', 'multi:softprob', 'multi:softmax'] as const;
type Objective = (typeof OBJECTIVES)[number];

interface XgbModel {
  objective: Objective;
  baseScore: number;
  numClass: number;
  numFeature: number;
  featureNames: string[] | null;
  trees: Tree[];
}

const fail = (message: string) => new AppError('invalid_argument', `xgboost-json artifact: ${message}`);

/** Reads "5E-1", "[5E-1]" (2.1+ multi-target layout) or a number. */
function parseScalar(v: unknown, what: string): number {
  const s = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.replace(/^\[|\]$/g, '').split(',')[0] : v;
  const n = Number(s);
  if (!Number.isFinite(n)) throw fail(`${what} is not a number (${JSON.stringify(v)})`);
  return n;
}

const toInts = (a: unknown, what: string): Int32Array => {
  if (!Array.isArray(a)) throw fail(`${what} missing`);
  return Int32Array.from(a as number[]);
};

/** Parses the JSON of `Booster.save_model("m.json")` (XGBoost 1.7 and 2.x layouts, gbtree and dart). */
export function parseXgboost(bytes: Uint8Array): XgbModel {
  let doc: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw fail(`not JSON (${(err as Error).message}); save with Booster.save_model("model.json")`);
  }
  const learner = doc?.learner;
  if (!learner) throw fail('no "learner" object; save with Booster.save_model("model.json")');
  const objective = learner.objective?.name as Objective;
  if (!OBJECTIVES.includes(objective)) throw fail(`objective ${String(objective)} is not supported (supported: ${OBJECTIVES.join(', ')})`);
  const booster = learner.gradient_booster;
  const gbtree = booster?.name === 'dart' ? booster.gbtree : booster;
  if (!gbtree || (gbtree.name !== 'gbtree' && booster?.name !== 'dart')) throw fail(`booster ${String(booster?.name)} is not supported (gbtree, dart)`);
  const model = gbtree.model;
  const weights: number[] | undefined = booster.name === 'dart' ? booster.weight_drop?.map(Number) : undefined;
  const treeInfo: number[] = model.tree_info ?? [];
  const params = learner.learner_model_param ?? {};
  const trees: Tree[] = (model.trees as Record<string, unknown>[]).map((t, i) => {
    const splitType = t.split_type as number[] | undefined;
    if (splitType?.some((s) => s !== 0)) throw fail(`tree ${i} uses categorical splits, which are not supported`);
    const left = toInts(t.left_children, `tree ${i} left_children`);
    const dl = t.default_left as (number | boolean)[];
    return {
      left,
      right: toInts(t.right_children, `tree ${i} right_children`),
      feature: toInts(t.split_indices, `tree ${i} split_indices`),
      value: Float32Array.from(t.split_conditions as number[]),
      defaultLeft: Uint8Array.from(dl.map((x) => (x === true || x === 1 ? 1 : 0))),
      cover: Float64Array.from((t.sum_hessian as number[] | undefined) ?? []),
      group: treeInfo[i] ?? 0,
      weight: weights?.[i] ?? 1,
    };
  });
  const numClass = Math.max(1, parseScalar(params.num_class ?? 0, 'num_class'));
  return {
    objective,
    baseScore: parseScalar(params.base_score ?? 0.5, 'base_score'),
    numClass: objective.startsWith('multi:') ? numClass : 1,
    numFeature: parseScalar(params.num_feature ?? 0, 'num_feature'),
    featureNames: Array.isArray(learner.feature_names) && learner.feature_names.length ? learner.feature_names : null,
    trees,
  };
}

const f32 = Math.fround;

/** Walks one tree for one row; NaN follows default_left, as XGBoost does. */
function leaf(t: Tree, row: Float32Array): number {
  let node = 0;
  while (t.left[node] !== -1) {
    const x = row[t.feature[node]!]!;
    node = Number.isNaN(x) ? (t.defaultLeft[node] ? t.left[node]! : t.right[node]!) : x < t.value[node]! ? t.left[node]! : t.right[node]!;
  }
  return t.value[node]!;
}

/**
 * Pure TypeScript inference for XGBoost JSON models. Inputs are rounded to float32 and margins
 * are accumulated in float32, as XGBoost does, so predictions match its own to about 1e-7.
 */
export function xgboostPredictor(model: XgbModel, signature: FeatureSpec[] | null): Predictor {
  const names = signature?.map((s) => s.name) ?? model.featureNames ?? Array.from({ length: model.numFeature }, (_, i) => `f${i}`);
  const maxFeature = Math.max(-1, ...model.trees.flatMap((t) => Array.from(t.feature)));
  if (names.length <= maxFeature) throw fail(`trees use feature index ${maxFeature} but the signature names only ${names.length} features`);
  const c = model.numClass;
  const logistic = model.objective === 'binary:logistic' || model.objective === 'reg:logistic';
  // XGBoost keeps base_score in probability space for logistic objectives and adds its logit.
  const base = logistic ? Math.log(model.baseScore / (1 - model.baseScore)) : model.baseScore;
  const classifier = logistic && model.objective === 'binary:logistic' ? 2 : model.objective.startsWith('multi:') ? c : 0;
  const outputs: OutputSpec[] = classifier
    ? [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP64', shape: [-1, classifier] },
      ]
    : [{ name: 'prediction', datatype: 'FP64', shape: [-1] }];
  let explainer: Explainer | undefined;
  const bytes = model.trees.reduce((s, t) => s + t.left.length * 21, 0) + 4096;
  return {
    format: 'xgboost-json',
    features: names.map((name) => ({ name, type: 'float' as const })),
    outputs,
    acceptsMissing: true,
    bytes,
    async predict(batch: FeatureBatch): Promise<OutputTensor[]> {
      const n = batch.rows;
      const k = names.length;
      const cols = batch.columns as Float64Array[];
      const row = new Float32Array(k);
      const margins = new Float64Array(n * c);
      for (let r = 0; r < n; r++) {
        for (let f = 0; f < k; f++) row[f] = cols[f]![r]!;
        const acc = new Array<number>(c).fill(f32(base));
        for (const t of model.trees) acc[t.group] = f32(acc[t.group]! + f32(t.weight * leaf(t, row)));
        for (let j = 0; j < c; j++) margins[r * c + j] = acc[j]!;
      }
      if (!classifier) {
        const data = Array.from(margins, (m) => (logistic ? f32(1 / (1 + Math.exp(-m))) : m));
        return [{ name: 'prediction', datatype: 'FP64', shape: [n], data }];
      }
      const probs = new Array<number>(n * classifier);
      const label = new Array<number>(n);
      for (let r = 0; r < n; r++) {
        if (classifier === 2 && c === 1) {
          const p = f32(1 / (1 + Math.exp(-margins[r]!)));
          probs[r * 2] = 1 - p;
          probs[r * 2 + 1] = p;
          label[r] = p > 0.5 ? 1 : 0;
          continue;
        }
        let max = -Infinity;
        for (let j = 0; j < c; j++) max = Math.max(max, margins[r * c + j]!);
        let sum = 0;
        for (let j = 0; j < c; j++) sum += Math.exp(margins[r * c + j]! - max);
        let best = 0;
        for (let j = 0; j < c; j++) {
          probs[r * c + j] = f32(Math.exp(margins[r * c + j]! - max) / sum);
          if (margins[r * c + j]! > margins[r * c + best]!) best = j;
        }
        label[r] = best;
      }
      return [
        { name: 'label', datatype: 'INT64', shape: [n], data: label },
        { name: 'probabilities', datatype: 'FP64', shape: [n, classifier], data: probs },
      ];
    },
    explainer: () => (explainer ??= xgboostExplainer(model, names, base)),
    release: async () => {},
  };
}

/** TreeSHAP over the booster's trees, in margin space (raw for identity-link regression). */
function xgboostExplainer(model: XgbModel, names: string[], base: number) {
  if (model.trees.some((t) => t.cover.length !== t.left.length)) throw unexplainable('xgboost-json', 'the trees carry no sum_hessian (save the model with XGBoost 1.0 or later)');
  const lt = modeIndex('lt');
  const ensemble: TreeEnsemble = {
    features: names,
    trees: model.trees.map((t) => ({
      left: t.left,
      right: t.right,
      feature: t.feature,
      value: Float64Array.from(t.value, (v) => t.weight * v),
      cover: t.cover,
      threshold: Float64Array.from(t.value),
      mode: new Uint8Array(t.left.length).fill(lt),
      missingLeft: t.defaultLeft,
      output: t.group,
    })),
    base: new Array<number>(model.numClass).fill(base),
    space: model.objective.startsWith('reg:') && model.objective !== 'reg:logistic' ? 'raw' : 'margin',
    scalar: model.numClass === 1,
    float32: true,
    coversFromBackground: null,
  };
  return treeExplainer(ensemble);
}
