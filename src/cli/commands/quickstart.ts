import type { Command } from 'commander';
import { buildApp } from '../../app.js';
import { type Config, loadConfig } from '../../config/index.js';
import { startServer } from '../../server/index.js';
import { createClient, SextantError } from '../../sdk/index.js';
import { createLogger } from '../../shared/logger.js';
import { CliError } from '../cli-error.js';
import { stopOnSignals } from './server.js';

const DEMO = 'demo-classifier';
const FEATURES = ['amount', 'age_days', 'n_items', 'hour'];

/** A small logistic model in the sextant-linear format (see docs/formats.md). */
function linearArtifact(coefficients: number[], intercept: number): Uint8Array {
  const doc = {
    format: 'sextant-linear',
    formatVersion: 1,
    features: FEATURES,
    link: 'logistic',
    classes: [0, 1],
    coefficients: [coefficients],
    intercept: [intercept],
  };
  return new TextEncoder().encode(`${JSON.stringify(doc, null, 2)}\n`);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

const say = (s: string) => process.stdout.write(`${s}\n`);

/** Registers the demo model with two versions and moves champion from 1 to 2 (idempotent on reruns). */
async function setUpDemo(url: string, config: Config, artifactsAt: string): Promise<void> {
  const api = createClient({ baseUrl: url, actor: 'quickstart' });
  const db = config.database.kind === 'sqlite' ? `SQLite at ${config.database.path}` : 'PostgreSQL';
  say(`Sextant is running at ${url}  (${db}, artifacts in ${artifactsAt})`);
  try {
    await api.models.create({ name: DEMO, task: 'binary-classification', description: 'Demo fraud classifier registered by sextant quickstart', tags: { team: 'demo' } });
    say(`created model ${DEMO}`);
  } catch (err) {
    if (!(err instanceof SextantError && err.code === 'already_exists')) throw err;
    say(`model ${DEMO} already exists (quickstart ran here before); reusing it`);
  }
  const existing = await api.models.get(DEMO);
  if (existing.latestVersion === null) {
    const signature = {
      inputs: FEATURES.map((name) => ({ name, type: 'double' as const })),
      outputs: [{ name: 'probability', type: 'double' as const }],
    };
    const v1 = await api.versions.register(
      DEMO,
      {
        format: 'sextant-linear',
        signature,
        params: { C: 1.0 },
        metrics: { auc: 0.81 },
        lineage: { dataUri: 'demo://transactions-2026-10', codeRef: 'quickstart' },
        alias: 'champion',
        reason: 'first release',
      },
      { file: once(linearArtifact([0.8, -0.3, 0.2, 0.05], -1.2)), filename: 'v1.json' },
    );
    say(`registered ${DEMO}/${v1.version} (sha256 ${v1.digest.slice(0, 12)}…) and made it champion`);
    const v2 = await api.versions.register(
      DEMO,
      {
        format: 'sextant-linear',
        signature,
        params: { C: 0.5 },
        metrics: { auc: 0.86 },
        lineage: { dataUri: 'demo://transactions-2026-11', codeRef: 'quickstart', parentVersion: v1.version },
        reason: 'retrained on November data',
      },
      { file: once(linearArtifact([0.9, -0.25, 0.3, 0.04], -1.1)), filename: 'v2.json' },
    );
    say(`registered ${DEMO}/${v2.version} (parent ${v1.version})`);
    await api.aliases.set(DEMO, 'champion', v2.version, 'v2 has the better AUC');
    say(`moved ${DEMO}@champion to ${v2.version}`);
  }
  const champion = await api.versions.get(DEMO, 'champion');
  const env = url === 'http://127.0.0.1:8080' ? '' : `SEXTANT_URL=${url} `;
  say('');
  say(`${DEMO}@champion is version ${champion.version}. Try, in another terminal:`);
  say(`  ${env}npx sextant models list`);
  say(`  ${env}npx sextant versions show ${DEMO}@champion`);
  say(`  ${env}npx sextant history ${DEMO}`);
  say(`  ${env}npx sextant rollback ${DEMO} --alias champion --reason "try a rollback"`);
  say(`  ${env}npx sextant audit verify`);
  say(`  curl ${url}/api/v1/models/${DEMO}`);
  say(`  OpenAPI: ${url}/api/v1/openapi.json`);
}

export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('start Sextant on the embedded default, register a demo model with two versions, set champion')
    .option('--port <port>', 'port', '8080')
    .option('--home <dir>', 'state folder (default ./.sextant)')
    .option('--exit', 'stop the server once the demo is set up')
    .action(async (o) => {
      const config = loadConfig({ env: process.env, flags: { port: o.port, home: o.home, host: '127.0.0.1' } });
      const app = await buildApp(config, { logger: createLogger('warn') });
      const running = await startServer(config, app).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new CliError(`port ${config.port} is in use; pass --port to pick another (or stop what runs there)`, 1);
        throw err;
      });
      try {
        await setUpDemo(running.url, config, app.blobs.location);
      } catch (err) {
        await running.stop();
        throw err;
      }
      if (o.exit) return running.stop();
      say('\nPress Ctrl-C to stop.');
      stopOnSignals(running);
    });
}
