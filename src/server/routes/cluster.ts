import { ClusterStatus } from '../../contracts/cluster.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

export function clusterRoutes(app: App) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/cluster',
      summary: 'The nodes sharing this database, when each was last heard from, and which holds which singleton lease',
      tag: 'cluster',
      role: 'viewer',
      response: ClusterStatus,
      handler: () => app.cluster.status(),
    }),
  ];
}
