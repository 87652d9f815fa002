#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { SextantError } from '../sdk/index.js';
import { AppError } from '../shared/app-error.js';
import { CliError } from './cli-error.js';
import { registerAliasCommands } from './commands/aliases.js';
import { registerApprovalCommands } from './commands/approvals.js';
import { registerRulesCommands } from './commands/rules.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerCardCommands } from './commands/card.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerDriftCommand } from './commands/drift.js';
import { registerExperimentCommand } from './commands/experiment.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerFairnessCommand } from './commands/fairness.js';
import { registerGrantCommands } from './commands/grants.js';
import { registerModelCommands } from './commands/models.js';
import { registerKpiCommands } from './commands/kpi.js';
import { registerAlertCommands, registerMonitorCommands } from './commands/monitor.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerQuickstartCommand } from './commands/quickstart.js';
import { registerRegisterCommand } from './commands/register.js';
import { registerRetrainCommands } from './commands/retrain.js';
import { registerServerCommands } from './commands/server.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerVersionCommands } from './commands/versions.js';

const program = new Command('sextant')
  .description('Sextant: register, serve, monitor and retrain machine-learning models')
  .version('0.1.0')
  // Program options only before the subcommand: `deploy create --version 2:90` and
  // `deploy canary --version 3` are the subcommands' own --version.
  .enablePositionalOptions()
  .showHelpAfterError()
  .exitOverride();

registerServerCommands(program);
registerQuickstartCommand(program);
registerModelCommands(program);
registerRegisterCommand(program);
registerVersionCommands(program);
registerAliasCommands(program);
registerAuditCommands(program);
registerCardCommands(program);
registerTokenCommands(program);
registerGrantCommands(program);
registerApprovalCommands(program);
registerRulesCommands(program);
registerDeployCommands(program);
registerPredictCommand(program);
registerExplainCommand(program);
registerDriftCommand(program);
registerFairnessCommand(program);
registerMonitorCommands(program);
registerAlertCommands(program);
registerRetrainCommands(program);
registerKpiCommands(program);
registerExperimentCommand(program);
registerClusterCommands(program);

/** Prints an error the way a user needs it: what went wrong, no stack, a non-zero exit. */
function report(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof SextantError) {
    const where = err.requestId ? ` [${err.code}, request ${err.requestId}]` : ` [${err.code}]`;
    process.stderr.write(`error: ${err.message}${where}\n`);
    return 1;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof AppError) {
    process.stderr.write(`error: ${err.message} [${err.code}]\n`);
    return 1;
  }
  if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    process.stderr.write(`error: ${(err as Error).message}; pick another --port\n`);
    return 1;
  }
  process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

// A reader that stops early (`sextant drift … | head`) closes the pipe, and writes to it fail with
// EPIPE. The printed output is no longer wanted, but the command still finishes the rest of its
// work (a report file, a registration) instead of dying with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') return;
  process.stderr.write(`error: cannot write the output: ${err.message}\n`);
  process.exitCode = 1;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}
