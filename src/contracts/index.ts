export * from './common.js';
export * from './errors.js';
export * from './models.js';
export * from './versions.js';
export * from './aliases.js';
export * from './audit.js';
export * from './tokens.js';
export * from './health.js';
