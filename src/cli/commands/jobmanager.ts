import type { Command } from 'commander';
import { clientAction, clientCommand, print } from '../client-commands.ts';
import { statsTable } from '../client-tables.ts';
import type { CliContext } from '../context.ts';
import { apiPath, type ClientOptions } from '../control-api-client.ts';

interface ClusterOptions extends ClientOptions {
  clusterName: string;
}

/** `jobmanager metrics` (flinkctl, §8). */
export function registerJobmanagerCommands(program: Command, ctx: CliContext): void {
  const jobmanager = program
    .command('jobmanager')
    .description("a cluster's JobManager, through the control API");
  clientAction<ClusterOptions>(
    clientCommand(jobmanager, 'metrics', 'show JVM, slot and job metrics of the JobManager').requiredOption(
      '--cluster-name <name>',
      'the FlinkCluster',
    ),
    ctx,
    async (client, format, o) => {
      const metrics = await client.request('GET', `${apiPath('clusters', o.clusterName)}/jobmanager/metrics`);
      print(ctx, format, metrics, () => statsTable(metrics));
    },
  );
}
