import type { DataQualityResult, DriftResult, Monitor, QualityReport } from '../../contracts/monitoring.js';
import type { AlertRule } from '../alert-service.js';

/** Something that breached its threshold in a window: one alert rule and its evidence. */
export interface Breach {
  rule: AlertRule;
  message: string;
  /** The path of a page showing the evidence (drift: the window's HTML drift report). */
  report?: string;
}

/** The path of the HTML drift report of a window (`GET /api/v1/deployments/{name}/drift/report.html`). */
export function driftReportPath(deployment: string, window: { since: string; until: string }): string {
  const q = new URLSearchParams({ since: window.since, until: window.until });
  return `/api/v1/deployments/${encodeURIComponent(deployment)}/drift/report.html?${q.toString()}`;
}

/** What a window's evaluators share: the window, and the reads several of them need, each done at most once. */
export interface WindowInput {
  monitor: Monitor;
  start: Date;
  end: Date;
  /** The window as a drift or quality query. */
  window: { since: string; until: string };
  /** True when the window is judged again (its labels arrived late). */
  reassess: boolean;
  /** Drift and data quality of the window's inputs against the reference (rejects when there is no reference or traffic). */
  inspection(): Promise<{ drift: DriftResult; dataQuality: DataQualityResult }>;
  /** Measured quality (labelled rows) and the estimates of the window. */
  quality(): Promise<QualityReport>;
  /** The section another evaluator of this window produced before this one (null when it has none). */
  section(name: string): unknown;
  /** The state this evaluator stored with the window before this one (to carry across windows), or null. */
  previous(): Promise<unknown>;
}

/** One evaluator's part of a window's result: a section stored with the window, and its breaches. */
export interface Evaluation {
  /** Stored under the evaluator's name; null when the evaluator has nothing to say about this window. */
  section: unknown;
  breaches: Breach[];
  /** What the evaluator carries to the next window (a detector's state), handed back by `previous()`. */
  state?: unknown;
}

/**
 * One kind of check a monitor makes on every window (drift, data quality, quality, …). Evaluators
 * run in order; each returns its section of the window's result and what breached. Which rules an
 * evaluator owns matters for alerts: a rule it owns and did not breach resolves its open alert.
 */
export interface WindowEvaluator {
  /** The key of this evaluator's section in the window's result. */
  readonly name: string;
  /** The alert rules this evaluator may breach. */
  readonly rules: readonly AlertRule[];
  evaluate(input: WindowInput): Promise<Evaluation>;
}

/** Runs `f` once, on first call, and hands every caller the same promise. */
export function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}
