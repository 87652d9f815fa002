export { MlflowRegistry } from './mlflow-registry.js';
export { mlflowError } from './mlflow-errors.js';
export { parseModelsUri, toMlflowModel, toMlflowVersion } from './entities.js';
export type { BucketReader, SourceAccess } from './model-source.js';
export { readMlmodel } from './mlmodel.js';
export { parseFilter, matches } from './search-filter.js';
