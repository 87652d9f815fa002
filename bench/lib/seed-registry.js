// Seeds a registry straight into the database: `models` models (model-00000, …) with `versions`
// versions each, tags team/tier and a champion alias on the second-newest version. Used by the
// benchmarks that need a large registry without registering a hundred thousand artifacts.

const DEFAULT_ARTIFACT = Buffer.from(JSON.stringify({ format: 'sextant-linear', coefficients: [[1, 2, 3]], intercept: [0] }));

const DEFAULT_SIGNATURE = { inputs: [{ name: 'a', type: 'double' }, { name: 'b', type: 'double' }], outputs: [] };

/**
 * Inserts the models, tags, versions and aliases in transactions of 50 models; `options` may give
 * the artifact and signature of every version, and the number of the first model.
 */
export async function seed(database, blobs, models, versions, options = {}) {
  const { artifact = DEFAULT_ARTIFACT, signature: sig = DEFAULT_SIGNATURE, first = 0 } = options;
  const { digest, size } = await blobs.put((async function* () { yield artifact; })());
  const now = new Date().toISOString();
  const db = database.db;
  const signature = sig === null ? null : JSON.stringify(sig);
  for (let m0 = first; m0 < first + models; m0 += 50) {
    await db.transaction().execute(async (trx) => {
      const modelRows = [];
      const tagRows = [];
      const versionRows = [];
      const aliasRows = [];
      for (let m = m0; m < Math.min(first + models, m0 + 50); m++) {
        const id = `00000000-0000-7000-8000-${String(m).padStart(12, '0')}`;
        const tags = { team: `team-${m % 20}`, tier: m % 2 ? 'gold' : 'silver' };
        modelRows.push({ id, name: `model-${String(m).padStart(5, '0')}`, description: 'seeded', owner: `owner-${m % 10}`, task: 'binary-classification', tags: JSON.stringify(tags), latest_version: versions, created_at: now, updated_at: now });
        for (const [key, value] of Object.entries(tags)) tagRows.push({ model_id: id, key, value });
        for (let v = 1; v <= versions; v++) {
          versionRows.push({ model_id: id, version: v, format: 'sextant-linear', digest, size, signature, params: '{"C":1}', metrics: '{"auc":0.9}', tags: '{}', lineage: '{}', description: '', status: 'active', author: 'bench', created_at: now });
        }
        aliasRows.push({ model_id: id, alias: 'champion', version: Math.max(1, versions - 1), updated_at: now, updated_by: 'bench' });
      }
      await trx.insertInto('models').values(modelRows).execute();
      await trx.insertInto('model_tags').values(tagRows).execute();
      for (let i = 0; i < versionRows.length; i += 1000) await trx.insertInto('model_versions').values(versionRows.slice(i, i + 1000)).execute();
      await trx.insertInto('aliases').values(aliasRows).execute();
    });
  }
}
