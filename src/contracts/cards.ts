import { z } from 'zod';

/**
 * The human fields of a model card, set with `sextant card edit` (the rest of the card is filled
 * in from what Sextant knows, at every read). Lists replace what was there; null removes a field.
 */
export const CardFields = z
  .object({
    overview: z.string().max(10_000).nullable().optional(),
    documentation: z.string().max(100_000).nullable().optional(),
    owners: z.array(z.object({ name: z.string().min(1).max(256), contact: z.string().max(512).optional() }).strict()).max(100).nullable().optional(),
    licenses: z
      .array(
        z
          .object({ identifier: z.string().max(256).optional(), customText: z.string().max(100_000).optional() })
          .strict()
          .refine((l) => l.identifier !== undefined || l.customText !== undefined, 'give identifier (SPDX) or customText'),
      )
      .max(20)
      .nullable()
      .optional(),
    references: z.array(z.string().url().max(2048)).max(100).nullable().optional(),
    citations: z.array(z.object({ style: z.string().max(64).optional(), citation: z.string().min(1).max(10_000) }).strict()).max(50).nullable().optional(),
    intendedUse: z.array(z.string().min(1).max(10_000)).max(100).nullable().optional().describe('use cases the model is meant for'),
    users: z.array(z.string().min(1).max(10_000)).max(100).nullable().optional(),
    limitations: z.array(z.string().min(1).max(10_000)).max(100).nullable().optional(),
    tradeoffs: z.array(z.string().min(1).max(10_000)).max(100).nullable().optional(),
    ethicalConsiderations: z
      .array(z.object({ name: z.string().min(1).max(10_000), mitigation: z.string().max(10_000).optional() }).strict())
      .max(100)
      .nullable()
      .optional(),
  })
  .strict()
  .meta({ id: 'CardFields' });
export type CardFields = z.infer<typeof CardFields>;

export const CardFormat = z.enum(['json', 'md', 'html']);

/** `GET …/versions/{v}/card?format=`: JSON by default, or the rendered card. */
export const CardQuery = z.object({ format: CardFormat.default('json') }).strict();

const Section = z.record(z.string(), z.unknown());

/**
 * A model card in the Model Card Toolkit's schema v0.0.2 (`model_details`, `model_parameters`,
 * `quantitative_analysis`, `considerations`). Sextant's additions sit under a `sextant` key inside
 * each section (the schema allows extra keys there, not at the top level).
 */
export const ModelCard = z
  .object({
    schema_version: z.literal('0.0.2'),
    model_details: Section,
    model_parameters: Section,
    quantitative_analysis: Section,
    considerations: Section,
  })
  .meta({ id: 'ModelCard' });
export type ModelCard = z.infer<typeof ModelCard>;
