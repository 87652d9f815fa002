import type { CardFields } from '../contracts/cards.js';
import type { StoredFairnessReport } from '../contracts/fairness.js';

/** The version a promotion rule is judged against. */
interface Target {
  model: string;
  version: number;
}

/** What a rule found (the promotion-rules service's outcome shape). */
interface Outcome {
  passed: boolean;
  measured: number | string | null;
  message: string;
}

/** Card sections a `requireCard` rule may name: the human fields, by their names or the Model Card Toolkit's. */
const SECTIONS: Record<string, keyof CardFields> = {
  overview: 'overview',
  documentation: 'documentation',
  owners: 'owners',
  licenses: 'licenses',
  references: 'references',
  citations: 'citations',
  intendedUse: 'intendedUse',
  use_cases: 'intendedUse',
  users: 'users',
  limitations: 'limitations',
  tradeoffs: 'tradeoffs',
  ethicalConsiderations: 'ethicalConsiderations',
  ethical_considerations: 'ethicalConsiderations',
};

const filled = (v: unknown) => (typeof v === 'string' ? v.trim() !== '' : Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

/**
 * `requireCard SECTIONS`: the version's card (the model's human fields with the version's over
 * them) fills every named section. Fails closed on an unknown section name.
 */
export function requireCardEvaluator(fields: (model: string, version: number) => Promise<CardFields>) {
  return {
    kind: 'requireCard' as const,
    async evaluate(rule: { sections: string[] }, target: Target): Promise<Outcome> {
      const unknown = rule.sections.filter((s) => !(s in SECTIONS));
      if (unknown.length > 0) {
        return { passed: false, measured: null, message: `unknown card section ${unknown.join(', ')} (known: ${Object.keys(SECTIONS).join(', ')})` };
      }
      const card = await fields(target.model, target.version);
      const missing = rule.sections.filter((s) => !filled(card[SECTIONS[s]!]));
      return missing.length === 0
        ? { passed: true, measured: 'complete', message: `the card of version ${target.version} fills ${rule.sections.join(', ')}` }
        : { passed: false, measured: `missing ${missing.join(', ')}`, message: `the card of version ${target.version} does not fill ${missing.join(', ')} (sextant card edit ${target.model} --file card.yaml)` };
    },
  };
}

/** Fairness metrics a `maxFairness` rule may bound from above (differences: 0 is parity). */
const BOUNDED = ['demographicParityDifference', 'equalizedOddsDifference'] as const;

/**
 * `maxFairness METRIC<=T`: the version's latest fairness report has METRIC at most T. Fails
 * closed without a report, or for a metric that is not a difference.
 */
export function maxFairnessEvaluator(latest: (model: string, version: number) => Promise<StoredFairnessReport | null>) {
  return {
    kind: 'maxFairness' as const,
    async evaluate(rule: { metric: string; threshold: number }, target: Target): Promise<Outcome> {
      if (!(BOUNDED as readonly string[]).includes(rule.metric)) {
        return { passed: false, measured: null, message: `maxFairness bounds ${BOUNDED.join(' or ')}, not ${rule.metric}` };
      }
      const report = await latest(target.model, target.version);
      if (!report) {
        return { passed: false, measured: null, message: `version ${target.version} has no fairness report (sextant fairness --version ${target.model}/${target.version} …), so maxFairness fails closed` };
      }
      const value = report[rule.metric as (typeof BOUNDED)[number]];
      const by = `by ${report.sensitive} over ${report.rows} rows (report ${report.createdAt})`;
      return value <= rule.threshold
        ? { passed: true, measured: value, message: `${rule.metric} ${value.toFixed(4)} <= ${rule.threshold} ${by}` }
        : { passed: false, measured: value, message: `${rule.metric} ${value.toFixed(4)} > ${rule.threshold} ${by}` };
    },
  };
}
