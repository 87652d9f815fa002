import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventBus, InProcessBus, NatsBus, OutboxRelay, type SextantEvent } from '../src/events/index.js';
import { AccessControl, AuditLog, WritePath } from '../src/governance/index.js';
import { AppError } from '../src/shared/app-error.js';
import type { Clock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { type Database, migrate, openDatabase, readChangeSeq } from '../src/storage/index.js';
import { databaseTargets, SERVICES_REQUIRED } from './helpers/databases.js';
import { tempDir } from './helpers/app.js';

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2030-01-01T00:00:00Z')): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

/** The in-process bus, made to refuse publishing while `down` is set (the bus or the process failing after commit). */
class FlakyBus extends InProcessBus {
  down = false;
  override async publish(event: SextantEvent): Promise<void> {
    if (this.down) throw new Error('bus unreachable');
    return super.publish(event);
  }
}

const targets = await databaseTargets();

describe.each(targets)('write path on $name', (target) => {
  let database: Database;
  let drop: () => Promise<void>;
  const clock = manualClock();
  const bus = new FlakyBus();
  const seen: SextantEvent[] = [];
  let relay: OutboxRelay;
  let writes: WritePath;
  let audit: AuditLog;

  beforeAll(async () => {
    const created = await target.create(tempDir());
    drop = created.drop;
    database = openDatabase(created.config);
    await migrate(database.db as never, database.dialect);
    await bus.subscribe('', (e) => void seen.push(e));
    relay = new OutboxRelay(database.db, bus, clock, silentLogger);
    writes = new WritePath(database.db, clock, new AccessControl(database.db), relay);
    audit = new AuditLog(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  const settle = () => new Promise((r) => setTimeout(r, 10));

  it('commits the change, its audit events in order, one change-sequence bump and its events together', async () => {
    const seqBefore = await readChangeSeq(database.db);
    seen.length = 0;
    const result = await writes.run({
      by: { actor: 'alice', requestId: 'req-1' },
      permission: { role: 'editor', model: 'm' },
      apply: async (tx) => {
        await tx.db.insertInto('retraining_policies').values({ model: 'm', spec: '{}', updated_by: tx.by.actor, updated_at: tx.now }).execute();
        tx.audit({ action: 'thing.one', target: 'model:m', after: { n: 1 } });
        tx.changed();
        tx.changed();
        tx.audit({ action: 'thing.two', target: 'model:m', reason: 'because', actor: 'bob', requestId: null });
        tx.emit({ type: 'thing.done', subject: 'm', data: { n: 1 } });
        tx.emit({ type: 'thing.after', subject: 'm', data: { n: 2 } });
        return 42;
      },
    });
    expect(result).toBe(42);
    const events = (await audit.list({ target: 'model:m' })).events;
    expect(events.map((e) => [e.action, e.actor, e.requestId, e.reason])).toEqual([
      ['thing.one', 'alice', 'req-1', null],
      ['thing.two', 'bob', null, 'because'],
    ]);
    expect(events[0]!.time).toBe(clock.now().toISOString());
    expect(await readChangeSeq(database.db)).toBe(seqBefore + 1);
    await settle();
    expect(seen.map((e) => [e.type, e.subject, e.time, e.data])).toEqual([
      ['thing.done', 'm', clock.now().toISOString(), { n: 1 }],
      ['thing.after', 'm', clock.now().toISOString(), { n: 2 }],
    ]);
    const rows = await database.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    expect(rows.every((r) => r.published_at !== null)).toBe(true);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('writes nothing, no audit, no bump and no event, when the change throws', async () => {
    const seqBefore = await readChangeSeq(database.db);
    const auditBefore = (await audit.verify()).headSeq;
    const outboxBefore = (await database.db.selectFrom('outbox').select('id').execute()).length;
    seen.length = 0;
    await expect(
      writes.run({
        by: { actor: 'alice' },
        permission: 'internal',
        apply: async (tx) => {
          await tx.db.insertInto('retraining_policies').values({ model: 'gone', spec: '{}', updated_by: 'alice', updated_at: tx.now }).execute();
          tx.audit({ action: 'thing.lost', target: 'model:gone' });
          tx.changed();
          tx.emit({ type: 'thing.lost', subject: 'gone', data: {} });
          throw new AppError('conflict', 'changed my mind');
        },
      }),
    ).rejects.toThrow(/changed my mind/);
    expect(await database.db.selectFrom('retraining_policies').selectAll().where('model', '=', 'gone').execute()).toEqual([]);
    expect((await audit.verify()).headSeq).toBe(auditBefore);
    expect(await readChangeSeq(database.db)).toBe(seqBefore);
    expect((await database.db.selectFrom('outbox').select('id').execute()).length).toBe(outboxBefore);
    await settle();
    expect(seen).toEqual([]);
  });

  it('audits what a record held when queued, not what its objects became later in the write', async () => {
    const after = { aliases: [] as string[] };
    await writes.run({
      by: { actor: 'a' },
      permission: 'internal',
      apply: async (tx) => {
        tx.audit({ action: 'thing.snap', target: 'model:snap', after });
        after.aliases.push('champion');
      },
    });
    expect((await audit.list({ target: 'model:snap' })).events[0]!.after).toEqual({ aliases: [] });
  });

  it('refuses a context used after its write ended', async () => {
    let kept: { audit(r: { action: string; target: string }): void } | undefined;
    await writes.run({ by: { actor: 'a' }, permission: 'internal', apply: async (tx) => void (kept = tx) });
    expect(() => kept!.audit({ action: 'late', target: 'x' })).toThrow(/after its write ended/);
  });

  it('keeps events the bus refused and publishes them once the writer’s claim lapses (at least once)', async () => {
    seen.length = 0;
    bus.down = true;
    await writes.run({ by: { actor: 'a' }, permission: 'internal', apply: async (tx) => tx.emit({ type: 'kept.one', subject: 's', data: { i: 1 } }) });
    await writes.run({ by: { actor: 'a' }, permission: 'internal', apply: async (tx) => tx.emit({ type: 'kept.two', subject: 's', data: { i: 2 } }) });
    bus.down = false;
    // Within the claim the writer may still publish them: a sweep leaves them alone.
    expect(await relay.sweep()).toBe(0);
    clock.advance(61_000);
    expect(await relay.sweep()).toBe(2);
    await settle();
    expect(seen.map((e) => e.type)).toEqual(['kept.one', 'kept.two']);
    // Published rows are not published again.
    clock.advance(61_000);
    expect(await relay.sweep()).toBe(0);
    // Two relays sweeping the same lapsed row: one claim wins.
    bus.down = true;
    await writes.run({ by: { actor: 'a' }, permission: 'internal', apply: async (tx) => tx.emit({ type: 'kept.three', subject: 's', data: {} }) });
    bus.down = false;
    clock.advance(61_000);
    const other = new OutboxRelay(database.db, bus, clock, silentLogger);
    const [a, b] = await Promise.all([relay.sweep(), other.sweep()]);
    expect(a + b).toBe(1);
  });

  it('deletes published rows a day after publishing', async () => {
    await writes.run({ by: { actor: 'a' }, permission: 'internal', apply: async (tx) => tx.emit({ type: 'old', subject: 's', data: {} }) });
    expect((await database.db.selectFrom('outbox').select('id').execute()).length).toBeGreaterThan(0);
    clock.advance(25 * 3_600_000);
    await relay.sweep();
    expect(await database.db.selectFrom('outbox').select('id').execute()).toEqual([]);
  });

  describe('authorization', () => {
    const write = (by: { actor: string; role?: 'viewer' | 'editor' | 'deployer' | 'approver' | 'admin' }, role: 'editor' | 'deployer' | 'admin', model: string | null) =>
      writes.run({ by, permission: { role, model }, apply: async () => 'ok' });

    it('checks the token’s role, naming the role needed and the model', async () => {
      const err = await write({ actor: 'token:ci', role: 'editor' }, 'deployer', 'fraud').catch((e: AppError) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('permission_denied');
      expect((err as AppError).message).toBe('token:ci has role editor on model fraud; this operation needs deployer on model fraud');
      expect(await write({ actor: 'token:ci', role: 'deployer' }, 'deployer', 'fraud')).toBe('ok');
      expect(await write({ actor: 'token:ci', role: 'admin' }, 'editor', 'fraud')).toBe('ok');
      await expect(write({ actor: 'token:ci', role: 'approver' }, 'admin', null)).rejects.toThrow('token:ci has role approver; this operation needs admin');
    });

    it('adds grants on the model and on * to the token’s role, and nothing to Sextant-wide writes', async () => {
      const grant = (model: string, principal: string, role: string) =>
        database.db.insertInto('grants').values({ model, principal, role, granted_by: 'test', granted_at: clock.now().toISOString() }).execute();
      await grant('fraud', 'token:dana', 'deployer');
      await grant('*', 'token:eve', 'editor');
      const dana = { actor: 'token:dana', role: 'viewer' as const };
      expect(await write(dana, 'deployer', 'fraud')).toBe('ok');
      await expect(write(dana, 'deployer', 'churn')).rejects.toThrow('token:dana has role viewer on model churn; this operation needs deployer on model churn');
      await expect(write(dana, 'admin', 'fraud')).rejects.toThrow(/has role deployer on model fraud; this operation needs admin/);
      await expect(write(dana, 'deployer', null)).rejects.toThrow(/has role viewer; this operation needs deployer$/);
      const eve = { actor: 'token:eve', role: 'viewer' as const };
      expect(await write(eve, 'editor', 'anything')).toBe('ok');
      await expect(write(eve, 'deployer', 'anything')).rejects.toThrow(/role editor on model anything/);
    });

    it('checks nothing for actors without a role (auth off, Sextant’s loops) and for internal writes', async () => {
      expect(await write({ actor: 'anonymous' }, 'admin', 'fraud')).toBe('ok');
      expect(await writes.run({ by: { actor: 'token:x', role: 'viewer' }, permission: 'internal', apply: async () => 'ok' })).toBe('ok');
    });
  });
});

const NATS_URL = process.env.SEXTANT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsProblem = await NatsBus.connect(NATS_URL, { stream: `SEXTANT_PROBE_${process.pid}`, prefix: `sxp${process.pid}` }).then(
  async (b) => {
    await b.close();
    return null;
  },
  (err: Error) => err.message,
);
if (natsProblem && SERVICES_REQUIRED) throw new Error(`NATS at ${NATS_URL} is required (SEXTANT_TEST_REQUIRE_SERVICES) but unreachable: ${natsProblem}`);
if (natsProblem) console.warn(`SKIP outbox relay on NATS: ${NATS_URL} is unreachable (${natsProblem})`);

describe.skipIf(natsProblem !== null)('outbox relay on NATS JetStream', () => {
  it('publishes committed rows to the stream, where a subscriber hears them', async () => {
    const stream = `SEXTANT_OUTBOX_${process.pid}`;
    const bus: EventBus = await NatsBus.connect(NATS_URL, { stream, prefix: `sxo${process.pid}` });
    const database = openDatabase({ kind: 'sqlite', path: `${tempDir()}/nats.db` });
    try {
      await migrate(database.db as never, database.dialect);
      const seen: SextantEvent[] = [];
      await bus.subscribe('nats.', (e) => void seen.push(e));
      const clock = { now: () => new Date() };
      const writes = new WritePath(database.db, clock, new AccessControl(database.db), new OutboxRelay(database.db, bus, clock, silentLogger));
      await writes.run({ by: { actor: 'a' }, permission: 'internal', apply: async (tx) => tx.emit({ type: 'nats.done', subject: 's', data: { ok: true } }) });
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen.map((e) => [e.type, e.data])).toEqual([['nats.done', { ok: true }]]);
      const row = await database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
      expect(row.published_at).not.toBeNull();
    } finally {
      const nc = await connect({ servers: NATS_URL });
      const jsm = await nc.jetstreamManager();
      for (const name of [stream, `SEXTANT_PROBE_${process.pid}`]) await jsm.streams.delete(name).catch(() => {});
      await nc.close();
      await bus.close();
      await database.close();
    }
  });
});
