import type { Command } from 'commander';
import { Role } from '../../contracts/index.js';
import { CliError } from '../cli-error.js';
import { client } from '../context.js';
import { printJson, printTable, withJson } from '../output.js';

function role(value: string): Role {
  const r = Role.safeParse(value);
  if (!r.success) throw new CliError(`ROLE must be one of ${Role.options.join(', ')}`, 2);
  return r.data;
}

/** `sextant grant`, `sextant revoke`, `sextant grants list`: roles per model. */
export function registerGrantCommands(program: Command): void {
  withJson(program.command('grant <model> <principal> <role>'))
    .description(`give PRINCIPAL (token:NAME) ROLE on MODEL, or on every model with "*" (${Role.options.join(' < ')})`)
    .action(async (model: string, principal: string, r: string, o) => {
      const g = await client().grants.set(model, principal, role(r));
      if (o.json) printJson(g);
      else process.stdout.write(`${g.principal} has role ${g.role} on ${g.model === '*' ? 'every model (*)' : `model ${g.model}`}\n`);
    });

  program
    .command('revoke <model> <principal>')
    .description('remove the grant of PRINCIPAL on MODEL (its global token role stays)')
    .action(async (model: string, principal: string) => {
      await client().grants.revoke(model, principal);
      process.stdout.write(`revoked the grant of ${principal} on ${model === '*' ? 'every model (*)' : `model ${model}`}\n`);
    });

  const grants = program.command('grants').description('list grants');
  withJson(grants.command('list [model]'))
    .description('grants on MODEL ("*": on every model), or all grants')
    .action(async (model: string | undefined, o) => {
      const list = await client().grants.list(model);
      if (o.json) return printJson({ grants: list });
      printTable(list.map((g) => ({ model: g.model, principal: g.principal, role: g.role, by: g.grantedBy, at: g.grantedAt })), ['model', 'principal', 'role', 'by', 'at']);
    });
}
