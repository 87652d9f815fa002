import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventBus, InProcessBus, NatsBus, type SextantEvent } from '../src/events/index.js';
import { SERVICES_REQUIRED } from './helpers/databases.js';

const NATS_URL = process.env.SEXTANT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

async function natsReachable(): Promise<string | null> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000 });
    await nc.close();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const problem = await natsReachable();
if (problem && SERVICES_REQUIRED) throw new Error(`NATS at ${NATS_URL} is required (SEXTANT_TEST_REQUIRE_SERVICES) but unreachable: ${problem}`);
if (problem) console.warn(`SKIP NATS event-bus tests: ${NATS_URL} is unreachable (${problem}); set SEXTANT_TEST_NATS_URL or start nats-server -js`);

const stream = `SEXTANT_TEST_${process.pid}_${Date.now()}`;
const handlerErrors: string[] = [];
const onHandlerError = (err: unknown) => void handlerErrors.push((err as Error).message);
const targets: { name: string; open: () => Promise<EventBus> }[] = [
  { name: 'in-process', open: async () => new InProcessBus(onHandlerError) },
  ...(problem ? [] : [{ name: 'nats jetstream', open: () => NatsBus.connect(NATS_URL, { stream, prefix: `sxt${process.pid}`, onHandlerError }) }]),
];

const event = (type: string, subject = 's'): SextantEvent => ({ type, time: new Date().toISOString(), subject, data: { n: 1 } });

function collector() {
  const seen: SextantEvent[] = [];
  return {
    seen,
    handler: (e: SextantEvent) => void seen.push(e),
    until: async (n: number) => {
      for (let i = 0; i < 100 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      return seen;
    },
  };
}

describe.each(targets)('event bus contract on $name', ({ open }) => {
  let bus: EventBus;
  beforeAll(async () => {
    bus = await open();
  });
  afterAll(async () => {
    if (bus?.kind === 'nats') {
      const nc = await connect({ servers: NATS_URL });
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => {});
      await nc.close();
    }
    await bus?.close();
  });

  it('delivers events whose type starts with the prefix, and no others', async () => {
    const deployments = collector();
    const all = collector();
    await bus.subscribe('deployment.', deployments.handler);
    await bus.subscribe('', all.handler);
    await bus.publish(event('deployment.slo_rollback', 'fraud'));
    await bus.publish(event('alias.moved', 'fraud@champion'));
    await bus.publish(event('deployment.updated', 'fraud'));
    expect((await deployments.until(2)).map((e) => e.type)).toEqual(['deployment.slo_rollback', 'deployment.updated']);
    expect((await all.until(3)).map((e) => e.type)).toEqual(['deployment.slo_rollback', 'alias.moved', 'deployment.updated']);
    expect(deployments.seen[0]).toMatchObject({ subject: 'fraud', data: { n: 1 } });
  });

  it('stops delivering after unsubscribe, and a failing handler does not fail the publisher', async () => {
    const c = collector();
    const stop = await bus.subscribe('x.', c.handler);
    await bus.subscribe('x.', () => {
      throw new Error('subscriber bug');
    });
    await bus.publish(event('x.one'));
    await c.until(1);
    stop();
    await bus.publish(event('x.two'));
    await new Promise((r) => setTimeout(r, 200));
    expect(c.seen.map((e) => e.type)).toEqual(['x.one']);
    expect(handlerErrors).toContain('subscriber bug');
  });

  it('hands an event published twice with one id (delivered at least once) to a subscriber once', async () => {
    const c = collector();
    await bus.subscribe('dup.', c.handler);
    const once = { ...event('dup.one'), id: `evt-${process.pid}-${Date.now()}` };
    await bus.publish(once);
    await bus.publish({ ...once });
    await bus.publish(event('dup.two'));
    expect((await c.until(2)).map((e) => [e.type, e.id])).toEqual([
      ['dup.one', once.id],
      ['dup.two', undefined],
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.seen).toHaveLength(2);
  });
});
