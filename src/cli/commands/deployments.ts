import type { Command } from 'commander';
import {
  clientAction,
  clientCommand,
  print,
  printStatus,
  readSpecFile,
  registerPauseCommands,
} from '../client-commands.ts';
import { deploymentsTable, writeLine } from '../client-tables.ts';
import { clockOf, type CliContext } from '../context.ts';
import { apiPath, type ClientOptions } from '../control-api-client.ts';

interface DeploymentOptions extends ClientOptions {
  deploymentName: string;
}
interface DeploymentSpecOptions extends DeploymentOptions {
  deploymentSpec: string;
}

/**
 * `deployments list` and `deployment create|update|delete|status` (the toolbox's flinkctl, §8), and
 * `deployment pause|resume` (ADR 0019).
 */
export function registerDeploymentsCommands(program: Command, ctx: CliContext): void {
  const deployments = program.command('deployments').description('FlinkDeployments, through the control API');
  clientAction(
    clientCommand(deployments, 'list', 'list the FlinkDeployments'),
    ctx,
    async (client, format) => {
      const list = await client.request('GET', '/deployments');
      print(ctx, format, list, () => deploymentsTable(list, clockOf(ctx).now()));
    },
  );

  const deployment = program
    .command('deployment')
    .description('one FlinkDeployment, through the control API');
  const path = (o: DeploymentOptions) => apiPath('deployments', o.deploymentName);
  const withSpec = (name: string, description: string) =>
    clientCommand(deployment, name, description)
      .requiredOption('--deployment-name <name>', 'the FlinkDeployment')
      .requiredOption(
        '--deployment-spec <file>',
        'the spec, a JSON or YAML file (a whole resource works too)',
      );
  clientAction<DeploymentSpecOptions>(
    withSpec('create', 'create a FlinkDeployment from a spec file'),
    ctx,
    async (client, format, o) => {
      const created = await client.request(
        'POST',
        path(o),
        await readSpecFile(o.deploymentSpec, 'deployment spec'),
      );
      print(ctx, format, created, () => writeLine(created, 'created'));
    },
  );
  clientAction<DeploymentSpecOptions>(
    withSpec('update', 'change a FlinkDeployment: the file is merged into its spec (JSON merge patch)'),
    ctx,
    async (client, format, o) => {
      const updated = await client.request(
        'PUT',
        path(o),
        await readSpecFile(o.deploymentSpec, 'deployment spec'),
      );
      print(ctx, format, updated, () => writeLine(updated, 'updated'));
    },
  );
  clientAction<DeploymentOptions>(
    clientCommand(deployment, 'delete', 'delete a FlinkDeployment with its cluster and jobs').requiredOption(
      '--deployment-name <name>',
      'the FlinkDeployment',
    ),
    ctx,
    async (client, format, o) => {
      const deleted = await client.request('DELETE', path(o));
      print(ctx, format, deleted, () => writeLine(deleted, 'deleted'));
    },
  );
  clientAction<DeploymentOptions>(
    clientCommand(deployment, 'status', 'show the status of a FlinkDeployment').requiredOption(
      '--deployment-name <name>',
      'the FlinkDeployment',
    ),
    ctx,
    (client, format, o) => printStatus(ctx, client, format, `${path(o)}/status`),
  );
  registerPauseCommands<DeploymentOptions>(
    deployment,
    ctx,
    (parent, name, description) =>
      clientCommand(parent, name, description).requiredOption(
        '--deployment-name <name>',
        'the FlinkDeployment',
      ),
    (o) => ({ path: path(o), what: `flinkdeployment/${o.deploymentName}` }),
    'FlinkDeployment, its FlinkCluster and FlinkJobs',
  );
}
