export * from './app-error.js';
export * from './parse.js';
export * from './canonical-json.js';
export * from './page-token.js';
export * from './clock.js';
export * from './ids.js';
export * from './logger.js';
export { readAll } from './read-all.js';
