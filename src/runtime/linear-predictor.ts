import { z } from 'zod';
import { AppError } from '../shared/app-error.js';
import type { FeatureBatch, OutputSpec, OutputTensor, Predictor } from './predictor.js';
import { classLabels, labelDatatype, type Label } from './labels.js';
import { linearExplainer } from './linear-explainer.js';

/** The sextant-linear artifact (docs/formats.md). */
export const LinearModel = z
  .object({
    format: z.literal('sextant-linear'),
    formatVersion: z.literal(1).default(1),
    features: z.array(z.string().min(1)).min(1),
    link: z.enum(['identity', 'logistic', 'softmax']),
    classes: z.array(z.union([z.number(), z.string()])).optional(),
    coefficients: z.array(z.array(z.number())).min(1),
    intercept: z.array(z.number()),
  })
  .superRefine((m, ctx) => {
    const k = m.features.length;
    m.coefficients.forEach((row, i) => {
      if (row.length !== k) ctx.addIssue({ code: 'custom', path: ['coefficients', i], message: `has ${row.length} values for ${k} features` });
    });
    if (m.intercept.length !== m.coefficients.length) ctx.addIssue({ code: 'custom', path: ['intercept'], message: 'needs one value per coefficient row' });
    if (m.link === 'logistic' && m.coefficients.length !== 1) ctx.addIssue({ code: 'custom', path: ['coefficients'], message: 'logistic takes exactly one row' });
    if (m.link !== 'identity' && m.classes === undefined) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'classifiers need classes' });
    if (m.link === 'logistic' && m.classes && m.classes.length !== 2) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'logistic has two classes' });
    if (m.link === 'softmax' && m.classes && m.classes.length !== m.coefficients.length) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'softmax needs one class per row' });
  });
export type LinearModel = z.infer<typeof LinearModel>;

export function parseLinear(bytes: Uint8Array): LinearModel {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new AppError('invalid_argument', `sextant-linear artifact is not JSON: ${(err as Error).message}`);
  }
  const r = LinearModel.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new AppError('invalid_argument', `sextant-linear artifact: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return r.data;
}

/** Evaluates a linear model in plain TypeScript: w·x + b, then the link. */
export function linearPredictor(model: LinearModel): Predictor {
  const k = model.features.length;
  const m = model.coefficients.length;
  const w = Float64Array.from(model.coefficients.flat());
  const b = Float64Array.from(model.intercept);
  const labels: Label[] = model.link === 'identity' ? [] : classLabels(model.classes!);
  const outputs: OutputSpec[] =
    model.link === 'identity'
      ? [{ name: 'prediction', datatype: 'FP64', shape: m === 1 ? [-1] : [-1, m] }]
      : [
          { name: 'label', datatype: labelDatatype(labels), shape: [-1] },
          { name: 'probabilities', datatype: 'FP64', shape: [-1, labels.length] },
        ];
  return {
    format: 'sextant-linear',
    features: model.features.map((name) => ({ name, type: 'double' as const })),
    outputs,
    acceptsMissing: false,
    bytes: w.byteLength + 4096,
    async predict(batch: FeatureBatch): Promise<OutputTensor[]> {
      const n = batch.rows;
      const cols = batch.columns as Float64Array[];
      const z = new Float64Array(n * m);
      for (let j = 0; j < m; j++) {
        for (let r = 0; r < n; r++) {
          let s = b[j]!;
          for (let f = 0; f < k; f++) s += w[j * k + f]! * cols[f]![r]!;
          z[r * m + j] = s;
        }
      }
      if (model.link === 'identity') return [{ name: 'prediction', datatype: 'FP64', shape: m === 1 ? [n] : [n, m], data: Array.from(z) }];
      const probs = new Array<number>(n * labels.length);
      const label = new Array<Label>(n);
      for (let r = 0; r < n; r++) {
        if (model.link === 'logistic') {
          const p = 1 / (1 + Math.exp(-z[r]!));
          probs[r * 2] = 1 - p;
          probs[r * 2 + 1] = p;
          label[r] = labels[p > 0.5 ? 1 : 0]!;
        } else {
          let max = -Infinity;
          for (let j = 0; j < m; j++) max = Math.max(max, z[r * m + j]!);
          let sum = 0;
          for (let j = 0; j < m; j++) sum += Math.exp(z[r * m + j]! - max);
          let best = 0;
          for (let j = 0; j < m; j++) {
            probs[r * m + j] = Math.exp(z[r * m + j]! - max) / sum;
            if (probs[r * m + j]! > probs[r * m + best]!) best = j;
          }
          label[r] = labels[best]!;
        }
      }
      return [
        { name: 'label', datatype: labelDatatype(labels), shape: [n], data: label as number[] | string[] },
        { name: 'probabilities', datatype: 'FP64', shape: [n, labels.length], data: probs },
      ];
    },
    explainer: () => linearExplainer(model.features, w, b, model.link === 'identity' ? 'raw' : 'margin'),
    release: async () => {},
  };
}
