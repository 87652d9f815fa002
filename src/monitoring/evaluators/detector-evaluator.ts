import type { DetectorRule } from '../../contracts/monitoring.js';
import { positiveScores } from '../../runtime/index.js';
import { DETECTOR_LABELS, detectorState, restoreDetector } from '../../stats/index.js';
import type { LoggedRecord } from '../prediction-segment.js';
import type { PredictionStore } from '../prediction-store.js';
import type { Breach, Evaluation, WindowEvaluator, WindowInput } from './window-evaluator.js';

/** Most requests one window's detectors read. */
const MAX_REQUESTS = 100_000;

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

/** Where a detector fired: its row in the stream (1-based, counted since the monitor began), and the request that row came from. */
export interface Detection {
  row: number;
  requestId: string;
  time: string;
}

/** One detector's part of a window's section. */
export interface DetectorReport {
  detector: DetectorRule['detector'];
  stream: DetectorRule['stream'];
  feature?: string;
  /** Values this window fed it. */
  values: number;
  /** Values it has seen since the monitor began. */
  rows: number;
  detections: Detection[];
  /** The detector's warning zone (DDM, EDDM) after the window's last value. */
  warning: boolean;
  error?: string;
}

/** What each detector carries to the next window: its state and its row count. */
type CarriedState = Record<string, { rows: number; state: unknown }>;

const key = (d: DetectorRule) => `${d.detector}:${d.stream}${d.feature ? `:${d.feature}` : ''}`;
const streamName = (d: DetectorRule) => (d.stream === 'feature' ? `feature ${d.feature}` : d.stream === 'error' ? 'the error stream' : 'the prediction score');

/** A logged row's label from the stored JSON: an array holds one per row, a single-row request may hold the value itself. */
function labelAt(labels: unknown, i: number, rows: number): unknown {
  return Array.isArray(labels) ? labels[i] : rows === 1 ? labels : undefined;
}

/**
 * The values one stream takes on a logged request's rows, in row order (null where a row has none):
 * the score is the class-1 probability of a binary classifier, else the numeric prediction; the
 * error is 0/1 misclassification, or the absolute error of a regression.
 */
function streamValues(d: DetectorRule, r: LoggedRecord, label: string | undefined, regression: boolean): (number | null)[] {
  const outputs = (r.outputs ?? []) as Tensor[];
  const none = () => new Array<number | null>(r.rows).fill(null);
  if (d.stream === 'score') {
    const p1 = positiveScores(outputs);
    if (p1) return p1;
    const first = outputs[0];
    return Array.from({ length: r.rows }, (_, i) => (typeof first?.data[i] === 'number' ? (first.data[i] as number) : null));
  }
  if (d.stream === 'feature') {
    const inputs = r.inputs();
    const at = inputs?.features.indexOf(d.feature!) ?? -1;
    if (at < 0) return none();
    return inputs!.rows.map((row) => {
      const v = row[at];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    });
  }
  if (label === undefined) return none();
  const labels = JSON.parse(label) as unknown;
  const predicted = outputs.find((o) => o.name === 'label') ?? outputs[0];
  return Array.from({ length: r.rows }, (_, i) => {
    const truth = labelAt(labels, i, r.rows);
    const p = predicted?.data[i];
    if ((typeof truth !== 'number' && typeof truth !== 'string' && typeof truth !== 'boolean') || p === undefined || p === null) return null;
    if (regression) {
      const e = Math.abs(Number(truth) - Number(p));
      return Number.isFinite(e) ? e : null;
    }
    return String(truth) === String(p) || (typeof truth === 'boolean' && Number(truth) === Number(p)) ? 0 : 1;
  });
}

/**
 * Streaming change detectors across a monitor's windows (`thresholds.detectors`): each runs with
 * river's defaults on its stream, row by row in the order the predictions were logged, and carries
 * its state from one window to the next, so the stream is one stream however it is cut into
 * windows. A detection breaches rule `detector`, naming the detector, the stream and the row (and
 * its request) where it fired. The error stream reads the window's labelled rows as known when the
 * window is judged; when labels arrive later the newest window is judged again from the state
 * before it, so those rows are fed then.
 */
export function detectorEvaluator(log: PredictionStore): WindowEvaluator {
  return {
    name: 'detectors',
    rules: ['detector'],
    async evaluate({ monitor, window, quality, previous }: WindowInput): Promise<Evaluation> {
      const rules = monitor.thresholds.detectors ?? [];
      if (rules.length === 0) return { section: null, breaches: [] };
      const before = ((await previous()) ?? {}) as CarriedState;
      const wantsLabels = rules.some((d) => d.stream === 'error');
      const read = await log.newestLabelled({ deployment: monitor.deployment, since: window.since, until: window.until, role: 'primary' }, MAX_REQUESTS, {
        accept: (r) => r.error === null,
      });
      // Oldest first: the order the rows were served in.
      read.reverse();
      const task = wantsLabels ? (await quality()).task : null;
      const state: CarriedState = {};
      const reports: DetectorReport[] = [];
      const fired: string[] = [];
      for (const d of rules) {
        const k = key(d);
        const carried = before[k];
        const report: DetectorReport = { detector: d.detector, stream: d.stream, ...(d.feature ? { feature: d.feature } : {}), values: 0, rows: carried?.rows ?? 0, detections: [], warning: false };
        if (d.stream === 'error' && task === 'regression' && (d.detector === 'ddm' || d.detector === 'eddm')) {
          report.error = `${DETECTOR_LABELS[d.detector]} watches a 0/1 error stream; a regression's errors are not 0/1 (use adwin, page_hinkley or kswin)`;
          reports.push(report);
          if (carried) state[k] = carried;
          continue;
        }
        const detector = restoreDetector(d.detector, carried?.state);
        for (const { record, label } of read) {
          const values = streamValues(d, record, label, task === 'regression');
          for (const v of values) {
            if (v === null) continue;
            report.values++;
            report.rows++;
            const out = detector.update(v);
            report.warning = out.warning;
            if (out.drift) report.detections.push({ row: report.rows, requestId: record.requestId, time: new Date(record.time).toISOString() });
          }
        }
        state[k] = { rows: report.rows, state: detectorState(detector) };
        reports.push(report);
        const [first] = report.detections;
        if (first) {
          const more = report.detections.length > 1 ? ` (and ${report.detections.length - 1} more in this window)` : '';
          fired.push(`${DETECTOR_LABELS[d.detector]} on ${streamName(d)} detected a change at row ${first.row} (request ${first.requestId}, ${first.time})${more}`);
        }
      }
      // One alert rule for every detector: one breach naming each that fired.
      const breaches: Breach[] = fired.length ? [{ rule: 'detector', message: fired.join('; ') }] : [];
      return { section: reports, state, breaches };
    },
  };
}
