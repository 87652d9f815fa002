import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AckPolicy, connect, DeliverPolicy, type NatsConnection } from 'nats';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/sdk/index.js';
import { freePort, startProcess, stopProcess, type TopologyProcess } from './helpers/cluster-topology.js';
import { databaseTargets, PG_URL, SERVICES_REQUIRED } from './helpers/databases.js';
import { BIN } from './helpers/processes.js';

// Two nodes on one PostgreSQL and a NATS JetStream server of this test's own. Node a reaches NATS
// through a proxy the test can freeze, so a write commits on a and its event cannot get out; then a
// dies with kill -9. Node b's relay must publish the event, once.
const TTL_MS = 2000;

/** A TCP proxy whose directions can be frozen: what is sent then waits in the proxy, unanswered. */
async function freezableProxy(target: { host: string; port: number }) {
  const pairs: { client: net.Socket; server: net.Socket }[] = [];
  const proxy = net.createServer((client) => {
    const server = net.connect(target.port, target.host);
    client.pipe(server);
    server.pipe(client);
    const end = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
    pairs.push({ client, server });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `nats://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    /** Holds back what the node sends (`to-nats`) or what NATS answers (`from-nats`). */
    freeze(direction: 'to-nats' | 'from-nats') {
      for (const { client, server } of pairs) {
        const [from, to] = direction === 'to-nats' ? [client, server] : [server, client];
        from.unpipe(to);
        from.pause();
      }
    },
    close: () => {
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      return new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

const pgReady = (await databaseTargets()).some((t) => t.name === 'postgres');
let natsMissing: string | null = null;
try {
  (await import('node:child_process')).execFileSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' });
} catch {
  natsMissing = 'nats-server is not installed';
}
const missing = !pgReady ? 'PostgreSQL is unreachable' : natsMissing;
if (missing && SERVICES_REQUIRED) throw new Error(`the outbox crash test needs ${missing} (SEXTANT_TEST_REQUIRE_SERVICES)`);
if (missing) console.warn(`SKIP outbox crash test: ${missing}`);

describe.skipIf(missing !== null)('an event committed on a node killed before it published', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-outbox-crash-'));
  const schema = `outbox_crash_${process.pid}`;
  let nats: TopologyProcess;
  let nc: NatsConnection;
  let db: pg.Client;
  let b: TopologyProcess & { url?: string };
  let env: Record<string, string>;
  let natsPort: number;
  const started: TopologyProcess[] = [];

  const node = async (name: string, natsUrl: string) => {
    const p = await startProcess(process.execPath, [BIN, 'server', '--port', '0'], {
      env: { ...env, SEXTANT_NODE_ID: name, SEXTANT_NATS_URL: natsUrl, SEXTANT_HOME: path.join(tmp, name) },
      ready: /listening on (http:\/\/\S+)/,
      what: `node ${name}`,
    });
    started.push(p);
    return { ...p, url: p.match![1]! };
  };

  beforeAll(async () => {
    const port = (natsPort = await freePort('127.0.0.1'));
    nats = await startProcess('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', path.join(tmp, 'nats')], { env: process.env, ready: /Server is ready/, what: 'nats-server' });
    nc = await connect({ servers: `nats://127.0.0.1:${port}` });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    db = new pg.Client({ connectionString: url.href });
    await db.connect();
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      SEXTANT_LOG_LEVEL: 'error',
      SEXTANT_DATABASE_URL: url.href,
      SEXTANT_ARTIFACTS: path.join(tmp, 'artifacts'),
      SEXTANT_LEASE_TTL_MS: String(TTL_MS),
      SEXTANT_RUN_JOBS: 'off',
    };
    b = await node('b', `nats://127.0.0.1:${port}`);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => stopProcess(p)));
    await nc?.close();
    await db?.end();
    await stopProcess(nats);
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  /** Kills node a (reaching NATS through a proxy frozen one way) right after its retrain request committed; returns the outbox row. */
  async function commitThenDie(model: string, freeze: 'to-nats' | 'from-nats') {
    const proxy = await freezableProxy({ host: '127.0.0.1', port: natsPort });
    const a = await node('a', proxy.url);
    try {
      await createClient({ baseUrl: a.url }).models.create({ name: model, task: 'binary-classification' });
      proxy.freeze(freeze);
      // The write commits, then its publication hangs in the proxy: no answer comes back.
      const pending = fetch(`${a.url}/api/v1/models/${model}/retrain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch((err: Error) => err);
      let row: { id: string; event_id: string; published_at: string | null } | undefined;
      for (let i = 0; !row; i++) {
        row = (await db.query(`select id, event_id, published_at from outbox where type = 'retrain.queued' and subject = $1`, [model])).rows[0];
        if (i > 200) throw new Error('the retrain request did not commit');
        if (!row) await new Promise((r) => setTimeout(r, 25));
      }
      a.child.kill('SIGKILL');
      await a.exited;
      expect(await pending).toBeInstanceOf(Error);
      expect(row.published_at).toBeNull();
      return row;
    } finally {
      await proxy.close();
    }
  }

  /** The stream's `retrain.queued` messages about `model`, with their ids. */
  async function streamed(model: string): Promise<string[]> {
    const info = await (await nc.jetstreamManager()).consumers.add('SEXTANT', {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'sextant.retrain.queued',
      inactive_threshold: 30e9,
    });
    const consumer = await nc.jetstream().consumers.get('SEXTANT', info.name);
    const ids: string[] = [];
    for (;;) {
      let n = 0;
      for await (const m of await consumer.fetch({ max_messages: 100, expires: 1000 })) {
        n++;
        const e = m.json<{ id?: string; subject: string }>();
        if (e.subject === model) ids.push(e.id ?? '');
      }
      if (n === 0) return ids;
    }
  }

  const publishedBySweep = async (rowId: string) => {
    for (let i = 0; ; i++) {
      const r = (await db.query('select published_at from outbox where id = $1', [rowId])).rows[0];
      if (r.published_at) return r.published_at as string;
      if (i > 200) throw new Error(`outbox row ${rowId} was never published`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('is published by another node once the writer’s claim lapses, exactly once on the stream', async () => {
    const row = await commitThenDie('lost-before-publish', 'to-nats');
    await publishedBySweep(row.id);
    expect(await streamed('lost-before-publish')).toEqual([row.event_id]);
    expect((await createClient({ baseUrl: b.url! }).cluster.status()).leases.find((l) => l.name === 'outbox')).toMatchObject({ node: 'b', live: true });
  }, 60_000);

  it('is stored once when the writer published it but died before marking it, though it is published again', async () => {
    const row = await commitThenDie('published-not-marked', 'from-nats');
    await publishedBySweep(row.id);
    // The first publication reached the stream (only its acknowledgement was held back); the
    // second carries the same id, and JetStream drops it.
    expect(await streamed('published-not-marked')).toEqual([row.event_id]);
  }, 60_000);
});
