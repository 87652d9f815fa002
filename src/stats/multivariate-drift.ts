import type { Values } from './binning.js';
import { reconstructionDrift, type ReconstructionDrift, type ReconstructionOptions } from './data-reconstruction.js';
import { domainClassifierDrift, type DomainClassifierDrift, type DomainClassifierOptions, type FitScore } from './domain-classifier.js';

export interface MultivariateDrift {
  reconstruction: ReconstructionDrift | null;
  /** Null when no classifier was given. */
  domainClassifier: DomainClassifierDrift | null;
  /** Drifted by either method. */
  drifted: boolean;
  /** Methods that could not run on the data, and why. */
  skipped: { method: 'data_reconstruction' | 'domain_classifier'; reason: string }[];
}

export interface MultivariateOptions {
  features?: string[];
  reconstruction?: Omit<ReconstructionOptions, 'features'>;
  domainClassifier?: Omit<DomainClassifierOptions, 'features'>;
}

/**
 * Multivariate drift of the features both datasets share: NannyML's data reconstruction and, when a
 * classifier is given (the gbt trainer: `gbtFitScore` in pipelines/trainers), a domain classifier.
 * What `sextant drift --multivariate` reports and what a monitor rule evaluates per window.
 */
export async function multivariateDrift(reference: Record<string, Values>, current: Record<string, Values>, fitScore: FitScore | null, options: MultivariateOptions = {}): Promise<MultivariateDrift> {
  const features = options.features ?? Object.keys(reference).filter((f) => f in current);
  const skipped: MultivariateDrift['skipped'] = [];
  const attempt = async <T>(method: MultivariateDrift['skipped'][number]['method'], run: () => Promise<T> | T): Promise<T | null> => {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      skipped.push({ method, reason: err.message });
      return null;
    }
  };
  const reconstruction = await attempt('data_reconstruction', () => reconstructionDrift(reference, current, { ...options.reconstruction, features }));
  const domainClassifier = fitScore ? await attempt('domain_classifier', () => domainClassifierDrift(reference, current, fitScore, { ...options.domainClassifier, features })) : null;
  return { reconstruction, domainClassifier, drifted: Boolean(reconstruction?.drifted || domainClassifier?.drifted), skipped };
}
