import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { AppError } from '../shared/app-error.js';

/** An MLflow model directory Sextant can read files of. */
export interface ModelDirectory {
  /** The source as the caller gave it, for messages. */
  readonly uri: string;
  /** Streams a file of the directory (`file` is relative and already checked to stay inside). */
  open(file: string): Promise<Readable>;
}

/** Reads objects of the configured S3 artifact store's bucket. */
export interface BucketReader {
  readonly bucket: string;
  getObject(key: string): Promise<Readable | null>;
}

/** Where `model-versions/create` may read MLflow model directories from. */
export interface SourceAccess {
  /** Local directories (real paths) sources may lie under; none means local sources are refused. */
  localRoots: readonly string[];
  /** The S3 artifact store, when Sextant is configured with one. */
  s3?: BucketReader;
}

const bad = (message: string) => new AppError('invalid_argument', message, { field: 'source' });
const missing = (uri: string, file: string) => new AppError('invalid_argument', `source ${uri} has no ${file}: it must be an MLflow model directory`, { field: 'source' });

const SCHEMES = 'a local path, file://, s3:// on the configured artifact store, or models:/NAME/VERSION or models:/NAME@ALIAS';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function localDirectory(uri: string, dir: string, access: SourceAccess): Promise<ModelDirectory> {
  if (!path.isAbsolute(dir)) throw bad(`source ${uri}: a local path must be absolute`);
  let real: string;
  try {
    real = await fs.promises.realpath(dir);
  } catch {
    throw bad(`source ${uri} does not exist on the Sextant server`);
  }
  const roots = await Promise.all(access.localRoots.map((r) => fs.promises.realpath(r).catch(() => path.resolve(r))));
  if (!roots.some((r) => inside(r, real))) {
    throw bad(
      access.localRoots.length === 0
        ? `source ${uri}: local sources are off; set SEXTANT_MLFLOW_SOURCE_ROOTS to the directories MLflow models may be read from`
        : `source ${uri} is outside the directories MLflow models may be read from (SEXTANT_MLFLOW_SOURCE_ROOTS)`,
    );
  }
  return {
    uri,
    open: async (file) => {
      // Symbolic links inside the model directory must not lead out of it.
      let target: string;
      try {
        target = await fs.promises.realpath(path.join(real, file));
      } catch {
        throw missing(uri, file);
      }
      if (!inside(real, target)) throw bad(`source ${uri}: ${file} leads outside the model directory`);
      const stat = await fs.promises.stat(target);
      if (!stat.isFile()) throw missing(uri, file);
      return fs.createReadStream(target);
    },
  };
}

function s3Directory(uri: string, access: SourceAccess): ModelDirectory {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw bad(`source ${uri} is not an s3://BUCKET/PREFIX URI`);
  const s3 = access.s3;
  if (!s3) throw bad(`source ${uri}: Sextant's artifact store is not S3, so it reads no s3:// sources`);
  if (m[1] !== s3.bucket) throw bad(`source ${uri}: Sextant reads s3:// sources only from its artifact bucket ${s3.bucket}`);
  const prefix = m[2]!.replace(/\/+$/, '');
  return {
    uri,
    open: async (file) => {
      const body = await s3.getObject(prefix ? `${prefix}/${file}` : file);
      if (!body) throw missing(uri, file);
      return body;
    },
  };
}

/**
 * Opens the MLflow model directory a `source` names: an absolute local path or `file://` URI under
 * the allowed roots, or `s3://` on the configured artifact bucket. `models:/` sources are handled
 * by the caller (they name a registered version, not a directory).
 */
export async function openModelDirectory(uri: string, access: SourceAccess): Promise<ModelDirectory> {
  if (uri.startsWith('s3://')) return s3Directory(uri, access);
  if (uri.startsWith('file:')) {
    let dir: string;
    try {
      dir = fileURLToPath(uri);
    } catch (err) {
      throw bad(`source ${uri} is not a usable file:// URI (${(err as Error).message})`);
    }
    return localDirectory(uri, dir, access);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !/^[a-z]:[\\/]/i.test(uri)) {
    throw bad(`source ${uri}: Sextant reads ${SCHEMES}; upload the model directory to one of those`);
  }
  return localDirectory(uri, uri, access);
}

/** Reads a small file of a model directory whole (MLmodel), refusing one over `max` bytes. */
export async function readSmall(dir: ModelDirectory, file: string, max: number): Promise<string> {
  const stream = await dir.open(file);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) {
      stream.destroy();
      throw bad(`source ${dir.uri}: ${file} is over ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
