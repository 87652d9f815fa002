import type { Command } from 'commander';
import type { CreatedToken } from '../../contracts/index.js';
import { clientConfigFromProcess, configFromProcess } from '../../config/index.js';
import { silentLogger } from '../../shared/logger.js';
import { client } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';

function printCreated(t: CreatedToken, json: boolean): void {
  if (json) return printJson(t);
  process.stdout.write(`${t.token}\n`);
  process.stderr.write(`token ${t.name} (role ${t.role}) created; this is the only time the secret is shown\n`);
}

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('create, list and revoke bearer tokens');

  withJson(tokens.command('create'))
    .description('create a token; the secret is printed once')
    .requiredOption('--name <name>', 'what the token is for, e.g. ci')
    .option('--role <role>', 'the global role: viewer | editor | deployer | approver | admin', 'editor')
    .option('--expires-in-days <n>', 'expiry')
    .option('--local', 'write straight to the database named by --home / SEXTANT_DATABASE_URL (bootstraps the first admin token)')
    .option('--home <dir>', 'SEXTANT_HOME for --local')
    .action(async (o) => {
      const req = { name: o.name, role: o.role, expiresInDays: o.expiresInDays === undefined ? undefined : Number(o.expiresInDays) };
      if (!o.local) return printCreated(await client().tokens.create(req), o.json);
      const { buildApp } = await import('../../app.js');
      const app = await buildApp(configFromProcess({ home: o.home }), { logger: silentLogger });
      try {
        printCreated(await app.tokens.create(req, { actor: `local:${clientConfigFromProcess().actor ?? 'cli'}` }), o.json);
      } finally {
        await app.close();
      }
    });

  withJson(tokens.command('list'))
    .description('list tokens (never their secrets)')
    .action(async (o) => {
      const list = await client().tokens.list();
      if (o.json) return printJson({ tokens: list });
      printTable(
        list.map((t) => ({ id: t.id, name: t.name, role: t.role, prefix: t.prefix, created: t.createdAt, lastUsed: t.lastUsedAt, revoked: t.revokedAt })),
        ['id', 'name', 'role', 'prefix', 'created', 'lastUsed', 'revoked'],
      );
    });

  withJson(tokens.command('revoke <idOrName>'))
    .description('revoke a token')
    .action(async (id: string, o) => {
      const t = await client().tokens.revoke(id);
      if (o.json) printJson(t);
      else process.stdout.write(`revoked token ${t.name} (${t.id})\n`);
    });
}
