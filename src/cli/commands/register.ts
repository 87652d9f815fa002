import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import type { RegisterVersionMeta } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client, collectList, collectTag, positiveInt, readJsonFlag } from '../context.js';
import { printJson, withJson } from '../output.js';

const PROGRESS_THRESHOLD = 4 * 1024 * 1024;

/** Streams a file, reporting bytes read; shows a progress bar on a terminal for large files. */
async function* readWithProgress(file: string, size: number): AsyncGenerator<Uint8Array> {
  const bar = size > PROGRESS_THRESHOLD && process.stderr.isTTY ? new SingleBar({ format: 'uploading [{bar}] {percentage}% {value}/{total} bytes', stream: process.stderr }) : undefined;
  bar?.start(size, 0);
  let sent = 0;
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
      sent += (chunk as Buffer).length;
      bar?.update(sent);
      yield chunk as Buffer;
    }
  } finally {
    bar?.stop();
  }
}

/** The signature with the `--pii` inputs marked; each must be one of its inputs. */
function withPii(signature: RegisterVersionMeta['signature'], pii: string[]): RegisterVersionMeta['signature'] {
  if (pii.length === 0) return signature;
  if (!signature) throw new CliError('--pii needs --signature (or mark inputs later with sextant versions update MODEL/N --pii FEATURE)');
  const missing = pii.filter((f) => !signature.inputs.some((i) => i.name === f));
  if (missing.length) throw new CliError(`--pii ${missing.join(', ')}: not an input of the signature`);
  return { ...signature, inputs: signature.inputs.map((i) => (pii.includes(i.name) ? { ...i, pii: true } : i)) };
}

export function registerRegisterCommand(program: Command): void {
  withJson(program.command('register <model>'))
    .description('upload an artifact as a new version of MODEL; prints the new version number')
    .requiredOption('--file <path>', 'the artifact (model.onnx, model.json, …)')
    .requiredOption('--format <format>', 'onnx | sextant-linear | xgboost-json | remote')
    .option('--signature <file>', 'signature JSON {inputs:[{name,type}], outputs:[…]} (read from ONNX models when absent)')
    .option('--params <file>', 'training parameters JSON')
    .option('--metrics <file>', 'metrics JSON {name: number}')
    .option('--tag <k=v>', 'tag, repeatable', collectTag, {})
    .option('--description <text>')
    .option('--data-uri <uri>', 'where the training data lives')
    .option('--data-digest <digest>', 'digest of the training data')
    .option('--code-ref <ref>', 'code version (git commit, image tag)')
    .option('--parent <n>', 'version this one was derived from')
    .option('--job-id <id>', 'job or run that produced it')
    .option('--digest <sha256>', 'expected sha256 of the file; the upload is refused if it differs')
    .option('--alias <alias>', 'point this alias at the new version')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--reference <file>', 'reference data (training sample) for drift monitoring: .csv with a header or .jsonl')
    .option('--pii <feature>', 'mark a signature input as personal data (logged as a keyed hash); repeatable, needs --signature', collectList, [])
    .action(async (model: string, o) => {
      let size: number;
      try {
        const st = fs.statSync(o.file);
        if (!st.isFile()) throw new Error('not a regular file');
        size = st.size;
      } catch (err) {
        throw new CliError(`--file ${o.file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      const meta: RegisterVersionMeta = {
        format: o.format,
        signature: withPii(readJsonFlag('--signature', o.signature) as RegisterVersionMeta['signature'], o.pii),
        params: readJsonFlag('--params', o.params) as RegisterVersionMeta['params'],
        metrics: readJsonFlag('--metrics', o.metrics) as RegisterVersionMeta['metrics'],
        tags: o.tag,
        description: o.description,
        lineage: {
          dataUri: o.dataUri,
          dataDigest: o.dataDigest,
          codeRef: o.codeRef,
          parentVersion: o.parent === undefined ? undefined : positiveInt('--parent', o.parent),
          jobId: o.jobId,
        },
        digest: o.digest,
        alias: o.alias,
        reason: o.reason,
      };
      let reference: { text: string; format: 'csv' | 'jsonl' } | undefined;
      if (o.reference) {
        const ext = path.extname(o.reference).toLowerCase();
        if (ext !== '.csv' && ext !== '.jsonl') throw new CliError(`--reference ${o.reference}: use a .csv or .jsonl file`);
        try {
          reference = { text: fs.readFileSync(o.reference, 'utf8'), format: ext === '.csv' ? 'csv' : 'jsonl' };
        } catch (err) {
          throw new CliError(`--reference ${o.reference}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      const api = client();
      const v = await api.versions.register(model, meta, { file: readWithProgress(o.file, size), filename: path.basename(o.file) });
      for (const w of v.warnings) process.stderr.write(`warning: ${w}\n`);
      if (reference) {
        const info = await api.versions.uploadReference(model, v.version, reference.text, reference.format);
        process.stderr.write(`reference data: ${info.rows} rows, ${info.columns.length} columns\n`);
      }
      if (o.json) printJson(v);
      else process.stdout.write(`${v.version}\n`);
    });
}
