/** An output tensor as served or as logged (JSON). */
interface TensorLike {
  name: string;
  shape: readonly number[];
  data: readonly unknown[];
}

/**
 * The positive-class (second column) probabilities of a binary classifier's `probabilities`
 * output, one per row; null when the outputs hold no two-column probabilities.
 */
export function positiveScores(outputs: readonly TensorLike[]): number[] | null {
  const probs = outputs.find((o) => o.name === 'probabilities');
  if (!probs || probs.shape.length !== 2 || probs.shape[1] !== 2) return null;
  const out = new Array<number>(probs.data.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number(probs.data[i * 2 + 1]);
  return out;
}
