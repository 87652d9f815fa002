import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStatus } from '../src/contracts/index.js';
import { waitFor } from '../src/shared/wait-for.js';
import { type TestApp, testApp, tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

describe.each(await databaseTargets())('cluster status on $name', (target) => {
  let a: TestApp;
  let b: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await target.create(tempDir());
    drop = db.drop;
    // A short TTL: the test waits for leases to move.
    const env = { SEXTANT_LEASE_TTL_MS: '1000' };
    a = await testApp({ database: db.config, env: { ...env, SEXTANT_NODE_ID: 'node-a' } });
    b = await testApp({ database: db.config, env: { ...env, SEXTANT_NODE_ID: 'node-b' } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  // PostgreSQL has one more singleton: the upkeep of the prediction log's day partitions.
  const singletons = ['outbox', 'promotions', 'retention', 'scheduler', 'slo', ...(target.name === 'postgres' ? ['prediction-partitions'] : [])].sort();
  const status = async (t: TestApp) => ClusterStatus.parse((await t.server.inject({ method: 'GET', url: '/api/v1/cluster' })).json());

  it('lists both nodes with their heartbeats, and every singleton lease held by exactly one of them', async () => {
    // Shared fairly, half each rounded up, once the first node gave back what it took alone (a lease
    // whose pass is running is given back a round later).
    const fair = target.name === 'postgres' ? [3, 3] : [2, 3];
    const s = await waitFor('the leases to be shared fairly', async () => {
      const s = await status(b);
      const shares = s.nodes.map((n) => n.leases.length).sort();
      return s.leases.filter((l) => l.live).length === singletons.length && shares.join() === fair.join() ? s : null;
    });
    expect(s.self).toBe('node-b');
    expect(s.nodes.map((n) => [n.id, n.alive, n.version])).toEqual([
      ['node-a', true, expect.stringMatching(/^\d+\.\d+\.\d+/)],
      ['node-b', true, expect.stringMatching(/^\d+\.\d+\.\d+/)],
    ]);
    expect(s.leases.map((l) => l.name).sort()).toEqual(singletons);
    for (const l of s.leases) expect(l.holder.startsWith(`${l.node}/`)).toBe(true);
  });

  it('moves a stopped node’s leases to the other at once', async () => {
    await a.close();
    const s = await waitFor('node b to hold every lease', async () => {
      const s = await status(b);
      return s.leases.every((l) => l.live && l.node === 'node-b') ? s : null;
    });
    expect(s.nodes.find((n) => n.id === 'node-b')!.leases.sort()).toEqual(singletons);
    expect(s.leases.every((l) => l.term >= 1)).toBe(true);
  });
});
