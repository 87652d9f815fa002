import type { ExperimentOptions, ExperimentResult } from './run-experiment.js';

export type { ExperimentOptions, ExperimentResult, SetupResult } from './run-experiment.js';
export { accuracyChart, resultTable } from './accuracy-chart.js';
export { makeStream, STREAMS } from './streams.js';

/**
 * Runs the experiment (see `run-experiment.ts`). The app it starts loads with it, not with this
 * index: the CLI imports the index to register its commands, and `sextant --help` should not load
 * the whole service.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  return (await import('./run-experiment.js')).runExperiment(options);
}
