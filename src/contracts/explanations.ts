import { z } from 'zod';
import { ModelName, VersionNumber } from './common.js';

export const ExplanationSpace = z.enum(['margin', 'probability', 'raw']).describe('margin: log-odds or softmax scores; probability: averaged class probabilities (forests); raw: the prediction itself');

/**
 * SHAP values of the request's rows: for every row (and class), baseValue + Σ contributions
 * equals the model's output in `space`.
 */
export const Explanations = z
  .object({
    features: z.array(z.string()),
    baseValue: z.union([z.number(), z.array(z.number())]).describe('one number, or one per class'),
    contributions: z.union([z.array(z.array(z.number())), z.array(z.array(z.array(z.number())))]).describe('rows × features, or rows × classes × features'),
    space: ExplanationSpace,
  })
  .meta({ id: 'Explanations' });
export type Explanations = z.infer<typeof Explanations>;

/** `POST /v1/deployments/{name}/explain`: the MLflow answer plus explanations. */
export const MlflowExplainResponse = z.object({ predictions: z.array(z.unknown()), explanations: Explanations }).meta({ id: 'MlflowExplainResponse' });
export type MlflowExplainResponse = z.infer<typeof MlflowExplainResponse>;

/** `POST /v2/models/{name}/explain`: the OIP answer plus explanations. */
export const OipExplainResponse = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    id: z.string(),
    outputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()), data: z.array(z.unknown()) })),
    explanations: Explanations,
  })
  .meta({ id: 'OipExplainResponse' });
export type OipExplainResponse = z.infer<typeof OipExplainResponse>;

/** Global importance: mean |contribution| per feature over the version's reference rows, largest first. */
export const FeatureImportance = z
  .object({
    model: ModelName,
    version: VersionNumber,
    space: ExplanationSpace,
    rows: z.number().int().describe('reference rows explained (at most 1,000, evenly spaced)'),
    features: z.array(
      z.object({
        feature: z.string(),
        meanAbsContribution: z.number(),
        byClass: z.array(z.number()).optional().describe('per class, for multiclass models (the headline value is their mean)'),
      }),
    ),
  })
  .meta({ id: 'FeatureImportance' });
export type FeatureImportance = z.infer<typeof FeatureImportance>;
