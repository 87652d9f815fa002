export { PredictionLog } from './prediction-log.js';
export type { PredictionRecord, PredictionLogOptions } from './prediction-log.js';
export { FeedbackService } from './feedback-service.js';
export { kyselyLogWriter } from './log-writers.js';
export type { LogWriter } from './log-writers.js';
export { QualityService } from './quality-service.js';
export { MAX_ATTEMPTS, NotificationService, signWebhook } from './notification-service.js';
export { ReferenceService } from './reference-service.js';
export { MonitorService } from './monitor-service.js';
