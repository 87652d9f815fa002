import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildApp } from '../../app.js';
import { type Config, configFromProcess } from '../../config/index.js';
import { startServer } from '../../server/index.js';
import { createClient, SextantError } from '../../sdk/index.js';
import { createLogger } from '../../shared/logger.js';
import { CliError } from '../cli-error.js';
import { stopOnSignals } from './server.js';

const DEMO = 'breast-cancer';
const ASSETS = fileURLToPath(new URL('../../../assets/quickstart/', import.meta.url));
const asset = (name: string) => path.join(ASSETS, name);
const readJson = (name: string) => JSON.parse(fs.readFileSync(asset(name), 'utf8'));

const say = (s: string) => process.stdout.write(`${s}\n`);

/**
 * Registers a real model (logistic regression on the breast cancer data scikit-learn ships) as two
 * versions, moves champion from 1 to 2, and deploys it (idempotent on reruns).
 */
async function setUpDemo(url: string, config: Config, artifactsAt: string): Promise<void> {
  const api = createClient({ baseUrl: url, actor: 'quickstart' });
  const db = config.database.kind === 'sqlite' ? `SQLite at ${config.database.path}` : 'PostgreSQL';
  say(`Sextant is running at ${url}  (${db}, artifacts in ${artifactsAt})`);
  try {
    await api.models.create({
      name: DEMO,
      task: 'binary-classification',
      description: 'Logistic regression on the breast cancer Wisconsin (diagnostic) data; label 1 = benign',
      tags: { dataset: 'breast-cancer-wisconsin', license: 'CC-BY-4.0' },
    });
    say(`created model ${DEMO}`);
  } catch (err) {
    if (!(err instanceof SextantError && err.code === 'already_exists')) throw err;
    say(`model ${DEMO} already exists (quickstart ran here before); reusing it`);
  }
  const existing = await api.models.get(DEMO);
  const metrics = readJson('metrics.json');
  const lineage = { dataUri: 'sklearn.datasets.load_breast_cancer', codeRef: 'test/fixtures/make_serving_fixtures.py' };
  if (existing.latestVersion === null) {
    const v1 = await api.versions.register(
      DEMO,
      { format: 'sextant-linear', params: { C: 1.0 }, metrics, lineage, alias: 'champion', reason: 'first release' },
      { file: fs.createReadStream(asset('breast-cancer-linear.json')), filename: 'breast-cancer-linear.json' },
    );
    say(`registered ${DEMO}/${v1.version} (sextant-linear, sha256 ${v1.digest.slice(0, 12)}…) and made it champion`);
    const v2 = await api.versions.register(
      DEMO,
      { format: 'onnx', signature: readJson('signature.json'), params: { C: 1.0 }, metrics, lineage: { ...lineage, parentVersion: v1.version }, reason: 'same model exported to ONNX' },
      { file: fs.createReadStream(asset('breast-cancer-logreg.onnx')), filename: 'breast-cancer-logreg.onnx' },
    );
    say(`registered ${DEMO}/${v2.version} (onnx, parent ${v1.version})`);
    await api.aliases.set(DEMO, 'champion', v2.version, 'serve the ONNX export');
    say(`moved ${DEMO}@champion to ${v2.version}`);
  }
  const deployments = await api.deployments.list();
  if (!deployments.some((d) => d.name === DEMO)) {
    await api.deployments.create({ name: DEMO, model: DEMO, alias: 'champion' });
    say(`deployed ${DEMO} following ${DEMO}@champion`);
  }
  const sample = readJson('sample.json') as { features: string[]; rows: number[][]; labels: number[] };
  const row = sample.rows[0]!;
  const scored = await api.inference.invocations(DEMO, { dataframe_split: { columns: sample.features, data: [row] } });
  const champion = await api.versions.get(DEMO, 'champion');
  const env = url === 'http://127.0.0.1:8080' ? '' : `SEXTANT_URL=${url} `;
  say('');
  say(`${DEMO}@champion is version ${champion.version}; scoring one held-out row gave ${JSON.stringify(scored.predictions[0])} (true label ${sample.labels[0]}).`);
  say('Score a row yourself (Open Inference Protocol v2):');
  say(`  curl -s ${url}/v2/models/${DEMO}/infer -H 'content-type: application/json' \\`);
  say(`    -d '{"inputs":[{"name":"input-0","shape":[1,${row.length}],"datatype":"FP64","data":${JSON.stringify(row)}}]}'`);
  say('or the MLflow scoring protocol:');
  say(`  curl -s ${url}/v1/deployments/${DEMO}/invocations -H 'content-type: application/json' \\`);
  say(`    -d '{"instances":[${JSON.stringify(row)}]}'`);
  say('Then try, in another terminal:');
  say(`  ${env}npx sextant models list`);
  say(`  ${env}npx sextant versions show ${DEMO}@champion`);
  say(`  ${env}npx sextant deploy canary ${DEMO} --version 1 --weight 10`);
  say(`  ${env}npx sextant deploy status ${DEMO}`);
  say(`  ${env}npx sextant history ${DEMO}`);
  say(`  ${env}npx sextant rollback ${DEMO} --alias champion --reason "try a rollback"`);
  say(`  ${env}npx sextant audit verify`);
  say(`  curl ${url}/metrics    ·    OpenAPI: ${url}/api/v1/openapi.json`);
}

export function registerQuickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description('start Sextant on the embedded default, register a real model with two versions, set champion, deploy it')
    .option('--port <port>', 'port', '8080')
    .option('--home <dir>', 'state folder (default ./.sextant)')
    .option('--exit', 'stop the server once the demo is set up')
    .action(async (o) => {
      const config = configFromProcess({ port: o.port, home: o.home, host: '127.0.0.1' });
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
