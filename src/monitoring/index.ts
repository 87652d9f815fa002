export { PredictionLog } from './prediction-log.js';
export type { PredictionRecord, PredictionLogOptions } from './prediction-log.js';
export { FeedbackService } from './feedback-service.js';
