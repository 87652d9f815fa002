/**
 * Exact SHAP values of a linear score against a background mean (features taken as independent,
 * shap's LinearExplainer with `feature_perturbation="interventional"`): feature i contributes
 * wᵢ (xᵢ − μᵢ), and the base is w·μ + b, so base + Σ contributions = w·x + b for every row.
 */
export interface LinearShap {
  /** One base value per score (coefficient row). */
  base: Float64Array;
  /** rows × scores × features, row-major. */
  contributions: Float64Array;
}

/**
 * @param coefficients scores × features, row-major
 * @param intercepts one per score
 * @param mean background mean per feature
 * @param columns the rows to explain, one array per feature
 */
export function linearShap(coefficients: ArrayLike<number>, intercepts: ArrayLike<number>, mean: ArrayLike<number>, columns: readonly ArrayLike<number>[], rows: number): LinearShap {
  const k = intercepts.length;
  const f = mean.length;
  const base = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = intercepts[j]!;
    for (let i = 0; i < f; i++) s += coefficients[j * f + i]! * mean[i]!;
    base[j] = s;
  }
  const contributions = new Float64Array(rows * k * f);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < f; i++) contributions[(r * k + j) * f + i] = coefficients[j * f + i]! * (columns[i]![r]! - mean[i]!);
    }
  }
  return { base, contributions };
}

/** Column means, ignoring missing values (NaN); a column with none present has mean 0. */
export function columnMeans(columns: readonly ArrayLike<number>[], rows: number): Float64Array {
  const out = new Float64Array(columns.length);
  columns.forEach((col, i) => {
    let s = 0;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const v = col[r]!;
      if (!Number.isNaN(v)) {
        s += v;
        n++;
      }
    }
    out[i] = n > 0 ? s / n : 0;
  });
  return out;
}
