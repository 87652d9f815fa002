export { buildServer, allRoutes, API_VERSION } from './build-server.js';
export { startServer, assertSafeBinding } from './start-server.js';
export type { RunningServer } from './start-server.js';
export { parseModelRef } from './routes/aliases.js';
export { runCluster } from './cluster.js';
