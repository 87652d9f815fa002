import type { Command } from 'commander';
import { client } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('the nodes sharing one database, and who does which singleton task');

  withJson(cluster.command('status'))
    .description('list the nodes (id, host, version, started, last heartbeat) and which node holds which lease')
    .action(async (o) => {
      const s = await client().cluster.status();
      if (o.json) return printJson(s);
      printTable(
        s.nodes.map((n) => ({
          node: n.id === s.self ? `${n.id} (answered)` : n.id,
          host: n.host,
          address: n.address,
          version: n.version,
          started: n.startedAt,
          heartbeat: n.heartbeatAt,
          state: n.alive ? 'alive' : 'silent',
          leases: n.leases.length,
        })),
        ['node', 'host', 'address', 'version', 'started', 'heartbeat', 'state', 'leases'],
      );
      process.stdout.write('\n');
      printTable(
        s.leases.map((l) => ({ lease: l.name, node: l.live ? l.node : `(expired: ${l.node})`, holder: l.holder, term: l.term, expires: l.expiresAt })),
        ['lease', 'node', 'holder', 'term', 'expires'],
      );
    });
}
