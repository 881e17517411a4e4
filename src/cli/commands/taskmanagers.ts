import type { Command } from 'commander';
import { clientAction, clientCommand, print } from '../client-commands.ts';
import { fieldsTable, statsTable, taskManagersTable } from '../client-tables.ts';
import type { CliContext } from '../context.ts';
import { apiPath, type ClientOptions } from '../control-api-client.ts';

interface ClusterOptions extends ClientOptions {
  clusterName: string;
}
interface TaskManagerOptions extends ClusterOptions {
  taskmanagerId: string;
}

/** `taskmanagers list` and `taskmanager details|metrics` (flinkctl, §8). */
export function registerTaskmanagersCommands(program: Command, ctx: CliContext): void {
  const cluster = (o: ClusterOptions) => apiPath('clusters', o.clusterName);
  const taskmanagers = program
    .command('taskmanagers')
    .description("a cluster's TaskManagers, through the control API");
  clientAction<ClusterOptions>(
    clientCommand(
      taskmanagers,
      'list',
      'list the TaskManagers registered with the JobManager',
    ).requiredOption('--cluster-name <name>', 'the FlinkCluster'),
    ctx,
    async (client, format, o) => {
      const list = await client.request('GET', `${cluster(o)}/taskmanagers`);
      print(ctx, format, list, () => taskManagersTable(list));
    },
  );

  const taskmanager = program.command('taskmanager').description('one TaskManager, through the control API');
  const one = (name: string, description: string) =>
    clientCommand(taskmanager, name, description)
      .requiredOption('--cluster-name <name>', 'the FlinkCluster')
      .requiredOption('--taskmanager-id <id>', 'the TaskManager id (see taskmanagers list)');
  const tmPath = (o: TaskManagerOptions) => `${cluster(o)}${apiPath('taskmanagers', o.taskmanagerId)}`;
  clientAction<TaskManagerOptions>(one('details', 'show a TaskManager'), ctx, async (client, format, o) => {
    const details = await client.request('GET', `${tmPath(o)}/details`);
    print(ctx, format, details, () => fieldsTable(details));
  });
  clientAction<TaskManagerOptions>(
    one('metrics', 'show JVM and memory metrics of a TaskManager'),
    ctx,
    async (client, format, o) => {
      const metrics = await client.request('GET', `${tmPath(o)}/metrics`);
      print(ctx, format, metrics, () => statsTable(metrics));
    },
  );
}
