import type { FastifyInstance } from 'fastify';
import { buildApp, type App } from '../app.js';
import { type Config, isLoopback } from '../config/index.js';
import { AppError } from '../shared/app-error.js';
import { buildServer } from './build-server.js';

/** In-flight requests get this long to finish after SIGTERM before connections are cut. */
const DRAIN_TIMEOUT_MS = 30_000;

export interface RunningServer {
  app: App;
  server: FastifyInstance;
  url: string;
  /** Stops accepting, lets in-flight requests finish, closes the database. */
  stop(): Promise<void>;
}

/** Refuses an exposed server without authentication. */
export function assertSafeBinding(config: Config): void {
  if (!isLoopback(config.host) && !config.auth.enabled) {
    throw new AppError(
      'invalid_argument',
      `refusing to listen on ${config.host} without authentication: set SEXTANT_AUTH=on (or --auth) and create a token, or bind to 127.0.0.1`,
      { field: 'host' },
    );
  }
}

/** Builds the app and listens; the returned stop() drains in-flight requests. */
export async function startServer(config: Config, app?: App): Promise<RunningServer> {
  assertSafeBinding(config);
  const theApp = app ?? (await buildApp(config));
  await theApp.start();
  let closing = false;
  const server = await buildServer(theApp, { closing: () => closing });
  // Requests that finish while draining close their connection, so keep-alive clients cannot hold
  // the process open after the last in-flight request.
  server.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  try {
    await server.listen({ port: config.port, host: config.host });
  } catch (err) {
    await theApp.close();
    throw err;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  theApp.cluster.nodes.listening(`${host}:${port}`);
  let stopping: Promise<void> | undefined;
  return {
    app: theApp,
    server,
    url: `http://${host}:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        closing = true;
        const force = setTimeout(() => server.server.closeAllConnections(), DRAIN_TIMEOUT_MS);
        force.unref();
        await server.close();
        clearTimeout(force);
        await theApp.close();
      })()),
  };
}
