import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AppError } from '../../shared/app-error.js';
import type { TrainedModel } from './training-data.js';

export interface CommandRun {
  command: string[];
  /** CSV with a header: the features, then the target column. */
  dataPath: string;
  outputDir: string;
  env: Readonly<Record<string, string>>;
  extraEnv: Record<string, string>;
  format?: 'onnx' | 'sextant-linear' | 'xgboost-json';
  log(line: string): void;
  signal: AbortSignal;
}

/** Tells xgboost-json from sextant-linear by content. */
function jsonFormat(bytes: Buffer): 'sextant-linear' | 'xgboost-json' {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { format?: unknown; learner?: unknown };
    if (doc.format === 'sextant-linear') return 'sextant-linear';
    if (doc.learner) return 'xgboost-json';
  } catch {
    /* reported below */
  }
  throw new AppError('invalid_argument', 'the trainer wrote model.json that is neither sextant-linear nor XGBoost JSON');
}

/**
 * Runs an external trainer: `SEXTANT_TRAIN_DATA` names the training CSV, `SEXTANT_OUTPUT_DIR`
 * where it must write `model.onnx` or `model.json` and `metrics.json`. Its stdout and stderr
 * become the job log; a non-zero exit, a missing model or a cancel (SIGTERM, then SIGKILL after
 * 5 s) fails the job.
 */
export async function runCommandTrainer(run: CommandRun): Promise<TrainedModel> {
  const [cmd, ...args] = run.command;
  const child = spawn(cmd!, args, {
    env: { ...run.env, ...run.extraEnv, SEXTANT_TRAIN_DATA: run.dataPath, SEXTANT_OUTPUT_DIR: run.outputDir },
    cwd: run.outputDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stdout }).on('line', (l) => run.log(l));
  createInterface({ input: child.stderr }).on('line', (l) => run.log(l));
  const stop = () => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  };
  run.signal.addEventListener('abort', stop, { once: true });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  run.signal.removeEventListener('abort', stop);
  if (exit.error) throw new AppError('invalid_argument', `the trainer command ${cmd} could not start: ${exit.error.message}`);
  if (run.signal.aborted) throw run.signal.reason as Error;
  if (exit.code !== 0) throw new AppError('invalid_argument', `the trainer exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}`);
  const onnx = path.join(run.outputDir, 'model.onnx');
  const json = path.join(run.outputDir, 'model.json');
  const file = existsSync(onnx) ? onnx : existsSync(json) ? json : null;
  if (!file) throw new AppError('invalid_argument', 'the trainer wrote no model to SEXTANT_OUTPUT_DIR (expected model.onnx or model.json)');
  const artifact = await readFile(file);
  const format = run.format ?? (file === onnx ? 'onnx' : jsonFormat(artifact));
  const metricsFile = path.join(run.outputDir, 'metrics.json');
  let metrics: Record<string, number> = {};
  if (existsSync(metricsFile)) {
    try {
      const doc = JSON.parse(await readFile(metricsFile, 'utf8')) as Record<string, unknown>;
      metrics = Object.fromEntries(Object.entries(doc).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
    } catch (err) {
      throw new AppError('invalid_argument', `the trainer's metrics.json is not JSON: ${(err as Error).message}`);
    }
  } else run.log('note: the trainer wrote no metrics.json');
  return { format, artifact, params: { command: run.command.join(' ') }, metrics };
}
