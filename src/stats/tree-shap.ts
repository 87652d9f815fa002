/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2): the Shapley values of one tree's prediction for
 * one row, where a feature outside a coalition splits the expectation by node cover. This is the
 * algorithm of XGBoost's `pred_contribs` and shap's TreeExplainer (`tree_path_dependent`).
 */

/** One binary tree as flat arrays, as tree libraries store them; node 0 is the root. */
export interface ShapTree {
  /** Left child, or a negative number at a leaf. */
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  /** Feature index an inner node splits on. */
  readonly feature: ArrayLike<number>;
  /** Leaf values (inner nodes are ignored). */
  readonly value: ArrayLike<number>;
  /** Training weight that reached each node (XGBoost's sum_hessian, sklearn's weighted_n_node_samples). */
  readonly cover: ArrayLike<number>;
}

/** The child a row takes at an inner node (the tree's decision rule applied to the row). */
export type Follow = (node: number) => number;

/** Share of a node's cover its child holds; an unreached node splits evenly (its weight is 0 anyway). */
function share(tree: ShapTree, child: number, node: number): number {
  const c = tree.cover[node]!;
  return c > 0 ? tree.cover[child]! / c : 0.5;
}

/** The tree's expected value: leaf values averaged by cover, the base its SHAP values add to. */
export function treeExpectation(tree: ShapTree, node = 0): number {
  const l = tree.left[node]!;
  if (l < 0) return tree.value[node]!;
  const r = tree.right[node]!;
  return share(tree, l, node) * treeExpectation(tree, l) + share(tree, r, node) * treeExpectation(tree, r);
}

/** Depth of the deepest leaf (the root alone has depth 0). */
export function treeDepth(tree: ShapTree, node = 0): number {
  const l = tree.left[node]!;
  return l < 0 ? 0 : 1 + Math.max(treeDepth(tree, l), treeDepth(tree, tree.right[node]!));
}

/**
 * Path storage for one tree: each recursion level copies its parent's path into the next slice,
 * so the total is (d + 1)(d + 2) / 2 elements for a tree of depth d - 1 (as in shap's C++ code).
 */
export class ShapWorkspace {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;

  constructor(depth = 8) {
    const size = ((depth + 2) * (depth + 3)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }

  /** Grows the buffers for a deeper tree. */
  fit(depth: number): this {
    const size = ((depth + 2) * (depth + 3)) / 2;
    if (this.feature.length < size) Object.assign(this, new ShapWorkspace(depth));
    return this;
  }
}

function extend(w: ShapWorkspace, at: number, depth: number, zero: number, one: number, feature: number): void {
  const p = w.weight;
  w.feature[at + depth] = feature;
  w.zero[at + depth] = zero;
  w.one[at + depth] = one;
  p[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p[at + i + 1] = p[at + i + 1]! + (one * p[at + i]! * (i + 1)) / (depth + 1);
    p[at + i] = (zero * p[at + i]! * (depth - i)) / (depth + 1);
  }
}

function unwind(w: ShapWorkspace, at: number, depth: number, index: number): void {
  const p = w.weight;
  const one = w.one[at + index]!;
  const zero = w.zero[at + index]!;
  let next = p[at + depth]!;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p[at + i]!;
      p[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (p[at + i]! * zero * (depth - i)) / (depth + 1);
    } else {
      p[at + i] = (p[at + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    w.feature[at + i] = w.feature[at + i + 1]!;
    w.zero[at + i] = w.zero[at + i + 1]!;
    w.one[at + i] = w.one[at + i + 1]!;
  }
}

/** The total weight of the path with element `index` removed, without changing the path. */
function unwoundSum(w: ShapWorkspace, at: number, depth: number, index: number): number {
  const p = w.weight;
  const one = w.one[at + index]!;
  const zero = w.zero[at + index]!;
  let next = p[at + depth]!;
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = p[at + i]! - (tmp * zero * (depth - i)) / (depth + 1);
    } else if (zero !== 0) {
      total += p[at + i]! / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

function recurse(
  tree: ShapTree,
  follow: Follow,
  phi: Float64Array,
  scale: number,
  w: ShapWorkspace,
  node: number,
  parentAt: number,
  depth: number,
  zero: number,
  one: number,
  feature: number,
): void {
  // This level's path starts right after the parent's (which held `depth` elements).
  const at = depth === 0 ? 0 : parentAt + depth;
  if (depth > 0) {
    w.feature.copyWithin(at, parentAt, parentAt + depth);
    w.zero.copyWithin(at, parentAt, parentAt + depth);
    w.one.copyWithin(at, parentAt, parentAt + depth);
    w.weight.copyWithin(at, parentAt, parentAt + depth);
  }
  extend(w, at, depth, zero, one, feature);
  const left = tree.left[node]!;
  if (left < 0) {
    const v = tree.value[node]! * scale;
    for (let i = 1; i <= depth; i++) {
      const s = unwoundSum(w, at, depth, i);
      phi[w.feature[at + i]!]! += s * (w.one[at + i]! - w.zero[at + i]!) * v;
    }
    return;
  }
  const hot = follow(node);
  const cold = hot === left ? tree.right[node]! : left;
  const split = tree.feature[node]!;
  let incomingZero = 1;
  let incomingOne = 1;
  let d = depth;
  // A feature split on again further down: undo its earlier entry and carry its fractions on.
  let k = 1;
  while (k <= d && w.feature[at + k] !== split) k++;
  if (k <= d) {
    incomingZero = w.zero[at + k]!;
    incomingOne = w.one[at + k]!;
    unwind(w, at, d, k);
    d--;
  }
  recurse(tree, follow, phi, scale, w, hot, at, d + 1, share(tree, hot, node) * incomingZero, incomingOne, split);
  recurse(tree, follow, phi, scale, w, cold, at, d + 1, share(tree, cold, node) * incomingZero, 0, split);
}

/**
 * Adds `scale` × the tree's SHAP values for one row to `phi` (one slot per feature). The row is
 * given by `follow`, the child it takes at each inner node. With `treeExpectation` as the base,
 * base + Σ phi equals the tree's prediction for the row.
 */
export function treeShap(tree: ShapTree, follow: Follow, phi: Float64Array, scale = 1, workspace?: ShapWorkspace): void {
  const w = workspace ?? new ShapWorkspace(treeDepth(tree) + 1);
  recurse(tree, follow, phi, scale, w, 0, 0, 0, 1, 1, -1);
}
