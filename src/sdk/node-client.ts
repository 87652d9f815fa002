import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createBaseClient } from './client.js';
import type { ClientOptions } from './transport.js';

/** An artifact download as a Node stream. */
export interface ArtifactDownload {
  /** Node stream of the artifact bytes; it fails when they no longer match the digest. */
  stream: Readable;
  digest: string;
  size: number;
}

/**
 * The SDK for Node: the browser-safe client, with artifacts handed out as Node streams (what
 * `fs.createWriteStream` and `pipeline` take).
 */
export function createClient(options: ClientOptions) {
  const client = createBaseClient(options);
  return {
    ...client,
    versions: {
      ...client.versions,
      /** Streams the artifact; the server checks its digest while sending. */
      artifact: async (model: string, ref: string | number): Promise<ArtifactDownload> => {
        const { body, digest, size } = await client.versions.artifact(model, ref);
        return { stream: Readable.fromWeb(body as WebReadableStream<Uint8Array>), digest, size };
      },
    },
  };
}

export type SextantClient = ReturnType<typeof createClient>;
