import type { Kysely } from 'kysely';
import type { BlobStore } from '../artifacts/index.js';
import type { DB } from '../storage/index.js';

/** Deletes blobs no version points at any more (after a failed upload or a model deletion). */
export async function removeUnreferencedBlobs(db: Kysely<DB>, blobs: BlobStore, digests: string[]): Promise<void> {
  for (const digest of digests) {
    const ref = await db.selectFrom('model_versions').select('version').where('digest', '=', digest).limit(1).executeTakeFirst();
    if (!ref) await blobs.delete(digest).catch(() => {});
  }
}
