import { type Explainer, unexplainable } from './explanation.js';
import { linearExplainer } from './linear-explainer.js';
import { type AttributeValue, type OnnxNode, readOnnxGraph } from './onnx-attributes.js';
import { type EnsembleTree, modeIndex, type SplitMode, treeExplainer } from './tree-explainer.js';

const MODELS = new Set(['TreeEnsembleRegressor', 'TreeEnsembleClassifier', 'LinearClassifier', 'LinearRegressor']);
/** Nodes that may sit before (casts) or after (label and probability plumbing) the model node. */
const PLUMBING = new Set(['Cast', 'Identity', 'ZipMap', 'Normalizer']);
const MODES: Record<string, SplitMode> = { BRANCH_LEQ: 'leq', BRANCH_LT: 'lt', BRANCH_GTE: 'gte', BRANCH_GT: 'gt', BRANCH_EQ: 'eq', BRANCH_NEQ: 'neq' };
const ONNX_FLOAT = 1;
const SUPPORTED = 'explanations cover graphs whose model is one TreeEnsembleRegressor, TreeEnsembleClassifier, LinearClassifier or LinearRegressor node on a single 2-D input';

const nums = (n: OnnxNode, name: string): number[] => {
  const v = n.attributes.get(`${name}_as_tensor`) ?? n.attributes.get(name);
  return Array.isArray(v) ? (v as number[]) : [];
};
const strs = (n: OnnxNode, name: string): string[] => (n.attributes.get(name) as string[] | undefined) ?? [];
const str = (n: OnnxNode, name: string, fallback: string): string => {
  const v: AttributeValue | undefined = n.attributes.get(name);
  return typeof v === 'string' ? v : fallback;
};

/** Trees of a TreeEnsemble* node: one EnsembleTree per (tree, output) that has leaf weights. */
function ensembleTrees(n: OnnxNode, prefix: 'target' | 'class', outputOf: (id: number) => number, outputs: number): { trees: EnsembleTree[]; hasCovers: boolean; count: number } {
  const treeIds = nums(n, 'nodes_treeids');
  const nodeIds = nums(n, 'nodes_nodeids');
  const features = nums(n, 'nodes_featureids');
  const values = nums(n, 'nodes_values');
  const modes = strs(n, 'nodes_modes');
  const trueIds = nums(n, 'nodes_truenodeids');
  const falseIds = nums(n, 'nodes_falsenodeids');
  const missing = nums(n, 'nodes_missing_value_tracks_true');
  const hitrates = nums(n, 'nodes_hitrates');
  // Converters write 1.0 for every node: then the graph carries no covers.
  const hasCovers = hitrates.length === treeIds.length && hitrates.some((h) => h !== hitrates[0]);
  const local = new Map<string, number>();
  const sizes = new Map<number, number>();
  treeIds.forEach((t, i) => {
    const k = sizes.get(t) ?? 0;
    local.set(`${t}:${nodeIds[i]}`, k);
    sizes.set(t, k + 1);
  });
  type Shape = Omit<EnsembleTree, 'value' | 'output'>;
  const shapes = new Map<number, Shape>();
  for (const [t, size] of sizes) {
    shapes.set(t, {
      left: new Int32Array(size),
      right: new Int32Array(size),
      feature: new Int32Array(size),
      threshold: new Float64Array(size),
      mode: new Uint8Array(size),
      missingLeft: new Uint8Array(size),
      cover: new Float64Array(size),
    });
  }
  treeIds.forEach((t, i) => {
    const s = shapes.get(t)!;
    const at = local.get(`${t}:${nodeIds[i]}`)!;
    const mode = modes[i] ?? 'LEAF';
    const cover = s.cover as Float64Array;
    cover[at] = hasCovers ? hitrates[i]! : 0;
    if (mode === 'LEAF') {
      (s.left as Int32Array)[at] = -1;
      (s.right as Int32Array)[at] = -1;
      return;
    }
    const m = MODES[mode];
    if (!m) throw unexplainable('onnx', `tree ${t} uses split mode ${mode}`);
    const left = local.get(`${t}:${trueIds[i]}`);
    const right = local.get(`${t}:${falseIds[i]}`);
    if (left === undefined || right === undefined) throw unexplainable('onnx', `tree ${t} node ${nodeIds[i]} points to a node it does not have`);
    (s.left as Int32Array)[at] = left;
    (s.right as Int32Array)[at] = right;
    (s.feature as Int32Array)[at] = features[i]!;
    s.threshold[at] = values[i]!;
    s.mode[at] = modeIndex(m);
    s.missingLeft[at] = missing[i] ? 1 : 0;
  });
  const leafTrees = nums(n, `${prefix}_treeids`);
  const leafNodes = nums(n, `${prefix}_nodeids`);
  const leafIds = nums(n, `${prefix}_ids`);
  const weights = nums(n, `${prefix}_weights`);
  const values2 = new Map<string, Float64Array>();
  leafTrees.forEach((t, i) => {
    const out = outputOf(leafIds[i]!);
    if (out < 0 || out >= outputs) throw unexplainable('onnx', `a leaf adds to output ${leafIds[i]}, beyond the ${outputs} outputs`);
    const key = `${t}:${out}`;
    let v = values2.get(key);
    if (!v) values2.set(key, (v = new Float64Array(sizes.get(t) ?? 0)));
    v[local.get(`${t}:${leafNodes[i]}`)!]! += weights[i]!;
  });
  const trees: EnsembleTree[] = [];
  for (const [key, value] of values2) {
    const [t, out] = key.split(':').map(Number) as [number, number];
    trees.push({ ...shapes.get(t)!, value, output: out });
  }
  return { trees, hasCovers, count: sizes.size };
}

function treeEnsemble(n: OnnxNode, features: string[], float32: boolean): Explainer {
  const post = str(n, 'post_transform', 'NONE');
  const classifier = n.op === 'TreeEnsembleClassifier';
  let outputs: number;
  let outputOf: (id: number) => number;
  let scalar: boolean;
  if (classifier) {
    const classes = Math.max(nums(n, 'classlabels_int64s').length, strs(n, 'classlabels_strings').length);
    const used = new Set(nums(n, 'class_ids'));
    // onnxruntime's binary case: two classes, weights for one; its score is the positive class's.
    scalar = classes === 2 && used.size === 1;
    outputs = scalar ? 1 : classes;
    outputOf = scalar ? () => 0 : (id) => id;
  } else {
    outputs = Math.max(1, Number(n.attributes.get('n_targets') ?? 1));
    outputOf = (id) => id;
    scalar = outputs === 1;
    const agg = str(n, 'aggregate_function', 'SUM');
    if (agg !== 'SUM' && agg !== 'AVERAGE') throw unexplainable('onnx', `aggregate_function ${agg} is not additive`);
  }
  const { trees, hasCovers, count } = ensembleTrees(n, classifier ? 'class' : 'target', outputOf, outputs);
  if (!classifier && str(n, 'aggregate_function', 'SUM') === 'AVERAGE') for (const t of trees) for (let i = 0; i < t.value.length; i++) (t.value as Float64Array)[i]! /= count;
  const base = nums(n, 'base_values');
  return treeExplainer({
    features,
    trees,
    base: Array.from({ length: outputs }, (_, j) => base[j] ?? 0),
    space: post !== 'NONE' ? 'margin' : classifier ? 'probability' : 'raw',
    scalar,
    float32,
    coversFromBackground: hasCovers ? null : "the graph's nodes_hitrates carry no node covers, so covers are counted from the reference rows",
  });
}

function linear(n: OnnxNode, features: string[], float32: boolean): Explainer {
  const coefficients = Float64Array.from(nums(n, 'coefficients'));
  const k = features.length;
  if (k === 0 || coefficients.length % k !== 0) throw unexplainable('onnx', `${n.op} has ${coefficients.length} coefficients for ${k} features`);
  const rows = coefficients.length / k;
  const given = nums(n, 'intercepts');
  const intercepts = Float64Array.from({ length: rows }, (_, j) => given[j] ?? 0);
  return linearExplainer(features, coefficients, intercepts, str(n, 'post_transform', 'NONE') === 'NONE' ? 'raw' : 'margin', float32);
}

/**
 * The explainer of an ONNX model whose graph is one tree ensemble or linear node on its single
 * 2-D input (what sklearn converters write, ZipMap and Normalizer after it allowed); any other
 * graph is `unimplemented`, naming the operator that is in the way.
 */
export function onnxExplainer(bytes: Uint8Array, features: string[]): Explainer {
  let graph: ReturnType<typeof readOnnxGraph>;
  try {
    graph = readOnnxGraph(bytes);
  } catch (err) {
    throw unexplainable('onnx', `the graph could not be read (${(err as Error).message})`);
  }
  const models = graph.nodes.filter((n) => MODELS.has(n.op));
  const other = graph.nodes.find((n) => !MODELS.has(n.op) && !PLUMBING.has(n.op));
  if (models.length !== 1 || other || graph.inputs.length !== 1) {
    const why = other ? `the graph has a ${other.op} node` : graph.inputs.length !== 1 ? `the graph has ${graph.inputs.length} inputs` : `the graph has ${models.length} model nodes`;
    throw unexplainable('onnx', `${why}; ${SUPPORTED}`);
  }
  const model = models[0]!;
  const float32 = graph.inputs[0]!.elemType === ONNX_FLOAT;
  return model.op.startsWith('TreeEnsemble') ? treeEnsemble(model, features, float32) : linear(model, features, float32);
}
