import { createRequire } from 'node:module';
import { PassThrough, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ArtifactsConfig } from '../config/index.js';
import { newId } from '../shared/ids.js';
import type { BlobStore, PutOptions, PutResult } from './blob-store.js';
import { assertDigest, DigestVerifier, digestMismatch, HashingCounter, sha256Hex } from './hashing.js';

/**
 * The AWS SDK loads with the first S3 store (about 22 MB and 0.2 s per process): with the default
 * local folder no process needs it. Both packages are CommonJS, so they load synchronously here.
 */
const require = createRequire(import.meta.url);
type S3 = typeof import('@aws-sdk/client-s3');
type Storage = typeof import('@aws-sdk/lib-storage');
let loaded: { s3: S3; storage: Storage } | undefined;
const sdk = () => (loaded ??= { s3: require('@aws-sdk/client-s3') as S3, storage: require('@aws-sdk/lib-storage') as Storage });

export type S3BlobStoreOptions = Omit<Extract<ArtifactsConfig, { kind: 's3' }>, 'kind'>;

/** Blobs in an S3 bucket: uploaded to `tmp/` with a multipart stream, then copied under their digest. */
export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly aws = sdk();
  private readonly s3: S3Client;

  constructor(private readonly opts: S3BlobStoreOptions) {
    this.location = `s3://${opts.bucket}/${opts.prefix}`;
    this.s3 = new this.aws.s3.S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.credentials,
      // Stores that speak S3 without the newer flexible checksums (MinIO, s3rver) still work.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(...parts: string[]): string {
    return [this.opts.prefix, ...parts].filter(Boolean).join('/');
  }

  private keyOf(digest: string): string {
    assertDigest(digest);
    return this.key('sha256', digest.slice(0, 2), digest);
  }

  async put(body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const tmpKey = this.key('tmp', newId());
    const counter = new HashingCounter(options.maxBytes, options.onProgress);
    const pass = new PassThrough();
    body.on('error', (e) => pass.destroy(e));
    body.pipe(counter).on('error', (e) => pass.destroy(e)).pipe(pass);
    try {
      await new this.aws.storage.Upload({ client: this.s3, params: { Bucket: this.opts.bucket, Key: tmpKey, Body: pass } }).done();
      const digest = counter.digest();
      if (options.expectedDigest && options.expectedDigest !== digest) throw digestMismatch(options.expectedDigest, digest);
      const finalKey = this.keyOf(digest);
      const existed = await this.head(finalKey);
      if (!existed) {
        await this.s3.send(
          new this.aws.s3.CopyObjectCommand({ Bucket: this.opts.bucket, Key: finalKey, CopySource: `${this.opts.bucket}/${tmpKey}` }),
        );
      }
      return { digest, size: counter.bytes, created: !existed };
    } finally {
      // Upload() aborts its own multipart upload on failure; a completed tmp object goes here.
      await this.s3.send(new this.aws.s3.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: tmpKey })).catch(() => {});
    }
  }

  async putBytes(bytes: Uint8Array): Promise<PutResult> {
    const digest = await sha256Hex(bytes);
    const key = this.keyOf(digest);
    if (await this.head(key)) return { digest, size: bytes.byteLength, created: false };
    // One PUT names the object atomically: no temporary key to copy from.
    await this.s3.send(new this.aws.s3.PutObjectCommand({ Bucket: this.opts.bucket, Key: key, Body: bytes }));
    return { digest, size: bytes.byteLength, created: true };
  }

  private async head(key: string): Promise<{ size: number } | null> {
    try {
      const h = await this.s3.send(new this.aws.s3.HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return { size: Number(h.ContentLength ?? 0) };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return null;
      throw err;
    }
  }

  async get(digest: string): Promise<Readable> {
    try {
      const res = await this.s3.send(new this.aws.s3.GetObjectCommand({ Bucket: this.opts.bucket, Key: this.keyOf(digest) }));
      return (res.Body as Readable).pipe(new DigestVerifier(digest));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw Object.assign(new Error(`blob ${digest} not found`), { code: 'BLOB_NOT_FOUND' });
      throw err;
    }
  }

  /** The bucket this store writes to; other readers of it (MLflow model sources) are confined to it. */
  get bucket(): string {
    return this.opts.bucket;
  }

  /**
   * Streams an object of the store's bucket by key, outside the content-addressed blobs (an MLflow
   * model directory uploaded there); null when absent.
   */
  async getObject(key: string): Promise<Readable | null> {
    try {
      const res = await this.s3.send(new this.aws.s3.GetObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return res.Body as Readable;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return null;
      throw err;
    }
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    return this.head(this.keyOf(digest));
  }

  async delete(digest: string): Promise<void> {
    await this.s3.send(new this.aws.s3.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.keyOf(digest) }));
  }

  async ping(): Promise<void> {
    await this.s3.send(new this.aws.s3.HeadBucketCommand({ Bucket: this.opts.bucket }));
  }
}
