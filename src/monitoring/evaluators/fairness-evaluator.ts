import { positiveScores } from '../../runtime/index.js';
import { fairnessOfRows, type FairnessOfRows } from '../../stats/index.js';
import type { PredictionStore } from '../prediction-store.js';
import type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';

/** Most labelled requests one window's fairness reads. */
const MAX_REQUESTS = 100_000;

/** The fairness section of a window: the report of its labelled rows, or why there is none. */
export type FairnessSection = FairnessOfRows | { error: string };

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

/** A logged request's decision per row: class-1 probability at or above 0.5, else its 0/1 label output. */
function decisions(outputs: Tensor[], rows: number): (number | null)[] {
  const p1 = positiveScores(outputs);
  if (p1) return p1.map((p) => (p >= 0.5 ? 1 : 0));
  const label = outputs.find((o) => o.name === 'label') ?? outputs[0];
  return Array.from({ length: rows }, (_, i) => {
    const v = label?.data[i];
    return v === 1 || v === true ? 1 : v === 0 || v === false ? 0 : null;
  });
}

/**
 * Group fairness of each window's labelled predictions (monitors with `thresholds.sensitive`): the
 * same report as `sextant fairness`, kept with the window as a time series, breaching `fairness`
 * when the demographic parity difference exceeds `maxDpDifference` or a group's disparate impact
 * falls below `minDisparateImpact`. The sensitive column must be logged, so it is one of the
 * model's features (a personal-data feature logs its keyed hash, which groups the same way).
 */
export function fairnessEvaluator(log: PredictionStore): WindowEvaluator {
  return {
    name: 'fairness',
    rules: ['fairness'],
    async evaluate({ monitor, window }: WindowInput): Promise<Evaluation> {
      const t = monitor.thresholds;
      if (!t.sensitive) return { section: null, breaches: [] };
      const labelled = await log.newestLabelled({ deployment: monitor.deployment, since: window.since, until: window.until, role: 'primary' }, MAX_REQUESTS, { accept: (r) => r.error === null });
      const rows: Record<string, unknown>[] = [];
      const decided: (number | null)[] = [];
      for (const { record, label } of labelled) {
        if (label === undefined) continue;
        const inputs = record.inputs();
        const at = inputs?.features.indexOf(t.sensitive) ?? -1;
        const labels = JSON.parse(label) as unknown;
        const d = decisions((record.outputs ?? []) as Tensor[], record.rows);
        for (let i = 0; i < record.rows; i++) {
          rows.push({ label: Array.isArray(labels) ? labels[i] : record.rows === 1 ? labels : null, group: at >= 0 ? inputs!.rows[i]?.[at] : null });
          decided.push(d[i] ?? null);
        }
      }
      let section: FairnessSection;
      try {
        section = fairnessOfRows(rows, { label: 'label', sensitive: 'group', privileged: t.privileged, decisions: { kind: 'given', values: decided, what: 'the served decisions', cutoff: 0.5 } });
        section = { ...section, sensitive: t.sensitive };
      } catch (err) {
        return { section: { error: rows.length === 0 ? 'no labelled predictions in this window' : (err as Error).message } satisfies FairnessSection, breaches: [] };
      }
      const breaches: Breach[] = [];
      if (t.maxDpDifference !== undefined && section.demographicParityDifference > t.maxDpDifference) {
        breaches.push({ rule: 'fairness', message: `demographic parity difference ${section.demographicParityDifference.toFixed(3)} > ${t.maxDpDifference} by ${t.sensitive} over ${section.rows} labelled rows` });
      }
      const low = Object.entries(section.disparateImpact).filter(([, v]) => v !== null && t.minDisparateImpact !== undefined && v < t.minDisparateImpact);
      if (low.length > 0) {
        const list = low.map(([g, v]) => `${g} ${v!.toFixed(3)}`).join(', ');
        breaches.push({ rule: 'fairness', message: `disparate impact below ${t.minDisparateImpact} against ${section.privileged}: ${list}` });
      }
      return { section, breaches };
    },
  };
}
