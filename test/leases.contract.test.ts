import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../src/cluster/index.js';
import type { DatabaseConfig } from '../src/config/index.js';
import type { Clock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { type Database, type LeaseHolder, migrate, untyped, openDatabase, SqlLeaseStore } from '../src/storage/index.js';
import { tempDir } from './helpers/app.js';
import { databaseTargets } from './helpers/databases.js';

/** A clock the test moves by hand: lease expiry without waiting. */
function manualClock(start = Date.parse('2026-06-01T00:00:00Z')) {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = { now: () => new Date(now), advance: (ms) => void (now += ms) };
  return clock;
}

const TTL = 10_000;
const a: LeaseHolder = { id: 'node-a/1', node: 'node-a' };
const b: LeaseHolder = { id: 'node-b/1', node: 'node-b' };

describe.each(await databaseTargets())('lease store contract on $name', (target) => {
  let database: Database;
  let config: DatabaseConfig;
  let drop: () => Promise<void>;
  const clock = manualClock();
  let store: SqlLeaseStore;

  beforeAll(async () => {
    const db = await target.create(tempDir());
    config = db.config;
    drop = db.drop;
    database = openDatabase(config);
    await migrate(untyped(database.db), database.dialect);
    store = new SqlLeaseStore(database.db, clock);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('gives a free lease to the first claimer, keeps it from others while it lives, and renews it for its holder', async () => {
    expect(await store.claim(a, ['scheduler', 'retention'], TTL)).toEqual(new Map([['scheduler', 1], ['retention', 1]]));
    expect(await store.claim(b, ['scheduler', 'retention', 'slo'], TTL)).toEqual(new Map([['slo', 1]]));
    clock.advance(TTL - 1);
    // Renewed just before it ran out: still a's, same term, and good for another TTL.
    expect(await store.claim(a, ['scheduler'], TTL)).toEqual(new Map([['scheduler', 1]]));
    clock.advance(TTL - 1);
    expect(await store.claim(b, ['scheduler'], TTL)).toEqual(new Map());
    const scheduler = (await store.list()).find((l) => l.name === 'scheduler')!;
    expect(scheduler).toMatchObject({ holder: a.id, node: 'node-a', term: 1, expiresAt: new Date(clock.now().getTime() + 1).toISOString() });
  });

  it('hands a lease whose holder stopped renewing to the next claimer, with the next term, and the old holder cannot renew it', async () => {
    // `retention` was last renewed two TTLs ago (less two milliseconds): past its expiry now.
    clock.advance(2);
    expect(await store.claim(b, ['retention'], TTL)).toEqual(new Map([['retention', 2]]));
    expect(await store.claim(a, ['retention', 'scheduler'], TTL)).toEqual(new Map([['scheduler', 1]]));
    const retention = (await store.list()).find((l) => l.name === 'retention')!;
    expect(retention).toMatchObject({ holder: b.id, node: 'node-b', term: 2, acquiredAt: clock.now().toISOString() });
  });

  it('lets another take a released lease at once, and releases only the holder’s own', async () => {
    await store.release(a, ['retention']);
    expect(await store.claim(a, ['retention'], TTL)).toEqual(new Map());
    await store.release(a, ['scheduler']);
    expect(await store.claim(b, ['scheduler'], TTL)).toEqual(new Map([['scheduler', 2]]));
    await store.release(b);
    const held = (await store.list()).filter((l) => l.expiresAt > clock.now().toISOString());
    expect(held).toEqual([]);
  });

  it('never gives one lease to two concurrent claimers on separate connections', async () => {
    const connections = Array.from({ length: 4 }, () => openDatabase(config));
    try {
      for (let round = 0; round < 5; round++) {
        const name = `race-${round}`;
        const stores = connections.map((c) => new SqlLeaseStore(c.db, clock));
        const results = await Promise.all(stores.map((s, i) => s.claim({ id: `racer-${i}`, node: `n${i}` }, [name], TTL)));
        expect(results.filter((r) => r.has(name))).toHaveLength(1);
      }
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
  });

  it('spreads leases over the keepers, moves a silent keeper’s leases to the others once they expire, and gives work to a keeper that joins', async () => {
    const tasks = ['t1', 't2', 't3', 't4', 't5', 't6'];
    const keeper = (id: string) => {
      const k = new LeaseKeeper({ store, holder: { id: `${id}/1`, node: id }, clock, logger: silentLogger, ttlMs: TTL });
      k.want(() => tasks);
      return k;
    };
    const [k1, k2, k3] = [keeper('k1'), keeper('k2'), keeper('k3')];
    const rounds = async (ks: LeaseKeeper[], n = 4) => {
      for (let i = 0; i < n; i++) {
        for (const k of ks) await k.tick();
        clock.advance(TTL / 10);
      }
    };
    const owners = () => Object.fromEntries(tasks.map((t) => [t, [k1, k2, k3].filter((k) => k.holds(t)).map((k) => k.holder.node)]));
    await rounds([k1, k2, k3]);
    // Every task has exactly one holder, two each.
    expect(Object.values(owners()).every((o) => o.length === 1)).toBe(true);
    expect([k1, k2, k3].map((k) => k.heldNames().length)).toEqual([2, 2, 2]);

    // k2 stops renewing (its process died): nobody takes its tasks while its leases live...
    const orphans = k2.heldNames();
    await rounds([k1, k3], 5);
    for (const t of orphans) expect((await store.list()).find((l) => l.name === t)!.node).toBe('k2');
    // ...and once they expire, the survivors take them over, three each.
    await rounds([k1, k3], 7);
    for (const t of orphans) expect([k1, k3].filter((k) => k.holds(t))).toHaveLength(1);
    expect([k1.heldNames().length, k3.heldNames().length]).toEqual([3, 3]);

    // A new keeper joins: the others give their surplus back and it takes its share.
    const k4 = keeper('k4');
    await rounds([k1, k3, k4], 6);
    expect([k1, k3, k4].map((k) => k.heldNames().length)).toEqual([2, 2, 2]);
    expect(tasks.every((t) => [k1, k3, k4].filter((k) => k.holds(t)).length === 1)).toBe(true);
    await Promise.all([k1.stop(), k3.stop(), k4.stop()]);
  });

  it('never gives back a lease whose task is running, and stops counting a lease held once its TTL passes without a renewal', async () => {
    const k = new LeaseKeeper({ store, holder: { id: 'solo/1', node: 'solo' }, clock, logger: silentLogger, ttlMs: TTL });
    k.want(() => ['long-task']);
    await k.tick();
    let ran = 0;
    expect(await k.run('long-task', async () => ++ran)).toBe(1);
    expect(await k.run('not-mine', async () => ++ran)).toBeUndefined();
    // No renewal for a whole TTL (the database was unreachable, say): the keeper no longer acts on it.
    clock.advance(TTL);
    expect(k.holds('long-task')).toBe(false);
    expect(await k.run('long-task', async () => ++ran)).toBeUndefined();
    expect(ran).toBe(1);
    await k.stop();
  });
});
