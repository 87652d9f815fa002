export { runExperiment, SETUPS } from './run-experiment.js';
export type { ExperimentOptions, ExperimentResult, SetupResult } from './run-experiment.js';
export { accuracyChart, resultTable } from './accuracy-chart.js';
export { makeStream, STREAMS } from './streams.js';
