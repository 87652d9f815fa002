// The multi-node topology of the cluster suite and bench/cluster: several `sextant server`
// processes, each in a network namespace of its own with its own address (ip netns + veth on a
// bridge), sharing one PostgreSQL, one S3 endpoint (s3rver, as a process of its own) and one NATS
// JetStream server, with HAProxy in front. The same topology as deploy/compose.yaml. When
// namespaces cannot be made (not root, no iproute2, no kernel support), the nodes listen on
// loopback ports instead and `why` says why. Plain JavaScript so the benchmark can use it too.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'sextant.js');
const S3RVER = path.join(ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');
const DEFAULT_PG = process.env.SEXTANT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TAIL = 64 * 1024;

const ip = (...args) => run('ip', args);

/** Whether this machine can make network namespaces; null when it can, else why not. */
export async function namespacesUnavailable() {
  if (process.platform !== 'linux') return `network namespaces are Linux's (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  const probe = `sxp${randomBytes(3).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    await ip('link', 'add', `${probe}a`, 'type', 'veth', 'peer', 'name', `${probe}b`);
    await ip('link', 'del', `${probe}a`);
    return null;
  } catch (err) {
    return `iproute2 could not make a namespace and a veth pair: ${String(err.stderr || err.message).trim()}`;
  } finally {
    await ip('netns', 'del', probe).catch(() => {});
  }
}

/** A free TCP port on `host`. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process, keeps the tail of its output, and resolves once a line matches `ready`. */
export function startProcess(command, args, { env, ready, timeoutMs = 30_000, what }) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d) => {
    out += d.toString();
    if (out.length > TAIL * 2) out = out.slice(-TAIL);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const handle = { child, pid: child.pid, exited, output: () => out };
  if (!ready) return Promise.resolve(handle);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const check = () => {
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      resolve({ ...handle, match: m });
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${out}`));
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
export async function stopProcess(p, graceMs = 5000) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** A subnet 10.x.y.0/24 no interface here uses. */
async function pickSubnet() {
  const { stdout } = await ip('-4', 'addr');
  for (;;) {
    const [a, b] = randomBytes(2);
    const net24 = `10.${200 + (a % 50)}.${b}`;
    if (!stdout.includes(`${net24}.`)) return net24;
  }
}

/**
 * deploy/haproxy/haproxy.cfg, as compose runs it, with this topology's addresses in its `bind` and
 * `server` lines; with namespaces, also the way to the machine's PostgreSQL.
 */
function haproxyConfig({ bind, nodes, pgForward }) {
  const lines = fs
    .readFileSync(path.join(ROOT, 'deploy', 'haproxy', 'haproxy.cfg'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*server\s/.test(l))
    .map((l) => (/^\s*bind\s/.test(l) ? `  bind ${bind}` : l));
  const backend = lines.findIndex((l) => l.startsWith('backend nodes'));
  let end = backend + 1;
  while (end < lines.length && /^\s/.test(lines[end])) end++;
  lines.splice(end, 0, ...nodes.map((n) => `  server ${n.name} ${n.host}:${n.port} check`));
  if (pgForward) {
    // The machine's PostgreSQL listens on loopback only; the namespaces reach it through here.
    lines.push('listen pg', '  mode tcp', `  bind ${pgForward.bind}`, '  timeout client 1h', '  timeout server 1h', `  server pg ${pgForward.target}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts the topology. `nodes` names the nodes (default a, b, c); `env` is added to every node's
 * environment; `loopback: true` skips namespaces. Nothing is left behind by `stop()`, which also
 * runs when the process exits.
 */
export async function startTopology(options = {}) {
  const names = options.nodes ?? ['a', 'b', 'c'];
  const id = randomBytes(2).toString('hex');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sextant-cluster-${id}-`));
  const why = options.loopback ? 'asked for loopback' : await namespacesUnavailable();
  const mode = why === null ? 'netns' : 'loopback';
  const cleanup = [];
  const sync = [];
  const onExit = () => {
    for (const f of sync.reverse()) {
      try {
        f();
      } catch {
        // Best effort on the way out.
      }
    }
  };
  process.once('exit', onExit);
  const procs = [];
  const topology = { mode, why, tmp, nodes: [], procs };
  try {
    // Network: a bridge on the host side, a namespace and a veth pair per node.
    let hostIp = '127.0.0.1';
    const nodeHosts = [];
    if (mode === 'netns') {
      const subnet = await pickSubnet();
      hostIp = `${subnet}.1`;
      const bridge = `sxb${id}`;
      await ip('link', 'add', bridge, 'type', 'bridge');
      sync.push(() => execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' }));
      cleanup.push(() => ip('link', 'del', bridge).catch(() => {}));
      await ip('addr', 'add', `${hostIp}/24`, 'dev', bridge);
      await ip('link', 'set', bridge, 'up');
      for (const [i, name] of names.entries()) {
        const ns = `sextant-${id}-${name}`;
        const outside = `sxh${id}${i}`;
        const inside = `sxn${id}${i}`;
        await ip('netns', 'add', ns);
        sync.push(() => execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }));
        cleanup.push(() => ip('netns', 'del', ns).catch(() => {}));
        await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
        await ip('link', 'set', inside, 'netns', ns);
        await ip('link', 'set', outside, 'master', bridge);
        await ip('link', 'set', outside, 'up');
        await ip('-n', ns, 'addr', 'add', `${subnet}.${11 + i}/24`, 'dev', inside);
        await ip('-n', ns, 'link', 'set', inside, 'up');
        await ip('-n', ns, 'link', 'set', 'lo', 'up');
        nodeHosts.push({ name, ns, host: `${subnet}.${11 + i}`, port: 8080 });
      }
    } else {
      for (const name of names) nodeHosts.push({ name, ns: null, host: '127.0.0.1', port: await freePort('127.0.0.1') });
    }
    topology.hostIp = hostIp;

    // PostgreSQL: a schema of its own in the machine's database.
    const pgUrl = new URL(options.pgUrl ?? DEFAULT_PG);
    const schema = `cluster_${id}_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Client({ connectionString: pgUrl.href });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    cleanup.push(async () => {
      const c = new pg.Client({ connectionString: pgUrl.href });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    });
    const withSchema = (u) => {
      const url = new URL(u);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return url.href;
    };
    topology.schema = schema;
    topology.databaseUrl = withSchema(pgUrl.href);

    // NATS with JetStream, and the S3 emulator, each a process of its own.
    const natsPort = await freePort(hostIp);
    const nats = await startProcess('nats-server', ['-js', '-a', hostIp, '-p', String(natsPort), '-sd', path.join(tmp, 'nats')], {
      env: process.env,
      ready: /Server is ready/,
      what: 'nats-server',
    });
    procs.push(nats);
    sync.push(() => nats.child.kill('SIGKILL'));
    topology.natsUrl = `nats://${hostIp}:${natsPort}`;
    fs.mkdirSync(path.join(tmp, 's3'));
    const s3 = await startProcess(process.execPath, [S3RVER, '-d', path.join(tmp, 's3'), '-a', hostIp, '-p', '0', '--configure-bucket', 'models'], {
      env: process.env,
      ready: /S3rver listening on \S+:(\d+)/,
      what: 's3rver',
    });
    procs.push(s3);
    sync.push(() => s3.child.kill('SIGKILL'));
    topology.s3Endpoint = `http://${hostIp}:${s3.match[1]}`;

    // HAProxy in front of the nodes (and, with namespaces, the way to PostgreSQL).
    const lbPort = await freePort(hostIp);
    const pgForward = mode === 'netns' ? { bind: `${hostIp}:${await freePort(hostIp)}`, target: `${pgUrl.hostname}:${pgUrl.port || 5432}` } : null;
    const cfg = path.join(tmp, 'haproxy.cfg');
    fs.writeFileSync(cfg, haproxyConfig({ bind: `${hostIp}:${lbPort}`, nodes: nodeHosts, pgForward }));
    const haproxy = await startProcess('haproxy', ['-f', cfg, '-db'], { env: process.env, what: 'haproxy' });
    procs.push(haproxy);
    sync.push(() => haproxy.child.kill('SIGKILL'));
    topology.lbUrl = `http://${hostIp}:${lbPort}`;
    const nodeDatabase = pgForward ? withSchema(`postgres://${pgUrl.username ? `${pgUrl.username}@` : ''}${pgForward.bind}${pgUrl.pathname}`) : topology.databaseUrl;
    topology.nodeDatabaseUrl = nodeDatabase;

    // The first admin token, written straight to the database (this also migrates it).
    const baseEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      SEXTANT_LOG_LEVEL: 'warn',
      SEXTANT_AUTH: 'on',
      SEXTANT_ARTIFACTS: 's3://models/sextant',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: topology.s3Endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SEXTANT_NATS_URL: topology.natsUrl,
      // Every node hashes personal data under the same key.
      SEXTANT_PII_KEY: randomBytes(32).toString('hex'),
      ...options.env,
    };
    const token = await run(process.execPath, [BIN, 'tokens', 'create', '--local', '--name', 'cluster-suite', '--role', 'admin'], {
      env: { ...baseEnv, SEXTANT_DATABASE_URL: topology.databaseUrl, SEXTANT_HOME: path.join(tmp, 'bootstrap') },
    });
    topology.token = token.stdout.trim();

    /** Starts (or starts again) a node; `env` adds to its environment for this start. */
    const startNode = async (n, env = {}, { waitReady = true } = {}) => {
      const args = [BIN, 'server', '--host', n.host, '--port', String(n.port), '--workers', '1'];
      const command = n.ns ? 'ip' : process.execPath;
      const argv = n.ns ? ['netns', 'exec', n.ns, process.execPath, ...args] : args;
      const nodeEnv = {
        ...baseEnv,
        SEXTANT_NODE_ID: n.name,
        SEXTANT_HOME: path.join(tmp, `node-${n.name}`),
        SEXTANT_DATABASE_URL: nodeDatabase,
        ...env,
      };
      const p = await startProcess(command, argv, { env: nodeEnv, ready: waitReady ? /listening on (http:\/\/\S+)/ : null, what: `node ${n.name}` });
      procs.push(p);
      sync.push(() => p.child.kill('SIGKILL'));
      n.process = p;
      return p;
    };
    for (const n of nodeHosts) {
      const node = {
        ...n,
        url: `http://${n.host}:${n.port}`,
        process: null,
        start: (env, opts) => startNode(node, env, opts),
        kill: (signal = 'SIGKILL') => node.process?.child.kill(signal),
        stop: () => stopProcess(node.process),
      };
      topology.nodes.push(node);
    }
    await Promise.all(topology.nodes.map((n) => n.start()));
    topology.node = (name) => topology.nodes.find((n) => n.name === name);
    topology.stop = async () => {
      process.off('exit', onExit);
      await Promise.all(procs.map((p) => stopProcess(p)));
      for (const f of cleanup.reverse()) await f();
      fs.rmSync(tmp, { recursive: true, force: true });
    };
    return topology;
  } catch (err) {
    process.off('exit', onExit);
    await Promise.all(procs.map((p) => stopProcess(p, 1000)));
    for (const f of cleanup.reverse()) await f().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
