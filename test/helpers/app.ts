import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type App } from '../../src/app.js';
import { type Config, type DatabaseConfig, loadConfig } from '../../src/config/index.js';
import { buildServer } from '../../src/server/index.js';
import type { Clock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';

export function tempDir(prefix = 'sextant-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestApp {
  app: App;
  server: FastifyInstance;
  config: Config;
  home: string;
  close(): Promise<void>;
}

/** A wired app plus its Fastify server (not listening; drive it with inject()). */
export async function testApp(
  options: { env?: Record<string, string>; database?: DatabaseConfig; auth?: boolean; clock?: Clock; home?: string } = {},
): Promise<TestApp> {
  const home = options.home ?? tempDir();
  const base = loadConfig({ env: { SEXTANT_HOME: home, SEXTANT_LOG_LEVEL: 'silent', ...options.env }, flags: { auth: options.auth } });
  const config = options.database ? { ...base, database: options.database } : base;
  const app = await buildApp(config, { logger: silentLogger, clock: options.clock });
  await app.start();
  const server = await buildServer(app);
  return {
    app,
    server,
    config,
    home,
    close: async () => {
      await server.close();
      await app.close().catch(() => {});
      if (!options.home) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export const bytes = (s: string | Buffer): Readable => Readable.from([Buffer.isBuffer(s) ? s : Buffer.from(s)]);

/** Builds a multipart upload body in memory (tests only; the SDK streams). */
export function multipart(metadata: unknown, file: Buffer | string, opts: { metadataFirst?: boolean } = {}): { body: Buffer; contentType: string } {
  const boundary = 'testboundary123';
  const meta = `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${typeof metadata === 'string' ? metadata : JSON.stringify(metadata)}\r\n`;
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="m.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const filePart = Buffer.concat([Buffer.from(fileHead), Buffer.isBuffer(file) ? file : Buffer.from(file), Buffer.from('\r\n')]);
  const parts = opts.metadataFirst === false ? [filePart, Buffer.from(meta)] : [Buffer.from(meta), filePart];
  return { body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}
