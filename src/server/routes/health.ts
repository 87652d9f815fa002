import { Health, Readiness } from '../../contracts/health.js';
import type { App } from '../../app.js';
import { route } from '../route-spec.js';

export function healthRoutes(app: App) {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the process answers',
      tag: 'health',
      role: 'public',
      response: Health,
      handler: async () => ({ status: 'ok' }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness: the database and the artifact store answer',
      tag: 'health',
      role: 'public',
      response: Readiness,
      handler: async ({ reply }) => {
        const check = async (probe: () => Promise<void>) => {
          try {
            await probe();
            return { ok: true };
          } catch (err) {
            return { ok: false, message: (err as Error).message };
          }
        };
        const checks = { database: await check(() => app.database.ping()), artifacts: await check(() => app.blobs.ping()) };
        const ready = checks.database.ok && checks.artifacts.ok;
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
      },
    }),
  ];
}
