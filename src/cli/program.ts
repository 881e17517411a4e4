import { Command } from 'commander';
import { registerDevenvCommands } from './commands/devenv.ts';
import { registerMachinesCommands } from './commands/machines.ts';
import { registerCrdsCommands } from './commands/crds.ts';
import { registerBootstrapCommands } from './commands/bootstrap.ts';
import { registerSupervisorCommands } from './commands/supervisor.ts';
import { registerDeploymentsCommands } from './commands/deployments.ts';
import { registerClustersCommands } from './commands/clusters.ts';
import { registerJobsCommands } from './commands/jobs.ts';
import { registerSavepointsCommands } from './commands/savepoints.ts';
import { registerJobmanagerCommands } from './commands/jobmanager.ts';
import { registerTaskmanagersCommands } from './commands/taskmanagers.ts';
import { registerVisualizeCommands } from './commands/visualize.ts';
import { registerOperatorCommands } from './commands/operator.ts';
import { registerDemoCommands } from './commands/demo.ts';
import { registerInstallCommands } from './commands/install.ts';
import { registerStorageCommands } from './commands/storage.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { FLINKVISOR_VERSION } from '../version.ts';
import type { CliContext } from './context.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('flinkvisor')
    .description('A Kubernetes supervisor for Apache Flink')
    .version(FLINKVISOR_VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerDevenvCommands(program, ctx);
  registerMachinesCommands(program, ctx);
  registerCrdsCommands(program, ctx);
  registerBootstrapCommands(program, ctx);
  registerSupervisorCommands(program, ctx);
  registerDeploymentsCommands(program, ctx);
  registerClustersCommands(program, ctx);
  registerJobsCommands(program, ctx);
  registerSavepointsCommands(program, ctx);
  registerJobmanagerCommands(program, ctx);
  registerTaskmanagersCommands(program, ctx);
  registerVisualizeCommands(program, ctx);
  registerOperatorCommands(program, ctx);
  registerDemoCommands(program, ctx);
  registerInstallCommands(program, ctx);
  registerStorageCommands(program, ctx);
  registerMigrateCommand(program, ctx);
  return program;
}
