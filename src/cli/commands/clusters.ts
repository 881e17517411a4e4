import type { Command } from 'commander';
import {
  clientAction,
  clientCommand,
  count,
  print,
  printStatus,
  readSpecFile,
  registerPauseCommands,
  runAction,
  runScale,
  withWaitOptions,
  type WaitFlags,
} from '../client-commands.ts';
import { clustersTable, writeLine } from '../client-tables.ts';
import { clockOf, type CliContext } from '../context.ts';
import { apiPath, type ClientOptions } from '../control-api-client.ts';

interface ClusterOptions extends ClientOptions {
  clusterName: string;
}
interface ClusterSpecOptions extends ClusterOptions {
  clusterSpec: string;
}
interface StartStopOptions extends ClusterOptions, WaitFlags {
  withoutSavepoint?: boolean;
}
interface ScaleOptions extends ClusterOptions, WaitFlags {
  taskManagers: string;
}

/**
 * `clusters list` and `cluster create|update|delete|status|start|stop|scale` (flinkctl, §8), and
 * `cluster pause|resume` (ADR 0019).
 */
export function registerClustersCommands(program: Command, ctx: CliContext): void {
  const clusters = program.command('clusters').description('FlinkClusters, through the control API');
  clientAction(clientCommand(clusters, 'list', 'list the FlinkClusters'), ctx, async (client, format) => {
    const list = await client.request('GET', '/clusters');
    print(ctx, format, list, () => clustersTable(list, clockOf(ctx).now()));
  });

  const cluster = program.command('cluster').description('one FlinkCluster, through the control API');
  const path = (o: ClusterOptions) => apiPath('clusters', o.clusterName);
  const named = (name: string, description: string) =>
    clientCommand(cluster, name, description).requiredOption('--cluster-name <name>', 'the FlinkCluster');
  const withSpec = (name: string, description: string) =>
    named(name, description).requiredOption(
      '--cluster-spec <file>',
      'the spec, a JSON or YAML file (a whole resource works too)',
    );

  clientAction<ClusterSpecOptions>(
    withSpec('create', 'create a FlinkCluster from a spec file'),
    ctx,
    async (client, format, o) => {
      const created = await client.request(
        'POST',
        path(o),
        await readSpecFile(o.clusterSpec, 'cluster spec'),
      );
      print(ctx, format, created, () => writeLine(created, 'created'));
    },
  );
  clientAction<ClusterSpecOptions>(
    withSpec('update', 'change a FlinkCluster: the file is merged into its spec (JSON merge patch)'),
    ctx,
    async (client, format, o) => {
      const updated = await client.request('PUT', path(o), await readSpecFile(o.clusterSpec, 'cluster spec'));
      print(ctx, format, updated, () => writeLine(updated, 'updated'));
    },
  );
  clientAction<ClusterOptions>(
    named('delete', 'delete a FlinkCluster (its jobs stop first)'),
    ctx,
    async (client, format, o) => {
      const deleted = await client.request('DELETE', path(o));
      print(ctx, format, deleted, () => writeLine(deleted, 'deleted'));
    },
  );
  clientAction<ClusterOptions>(
    named('status', 'show the status of a FlinkCluster'),
    ctx,
    (client, format, o) => printStatus(ctx, client, format, `${path(o)}/status`),
  );
  for (const [action, description, flag] of [
    [
      'start',
      'start the cluster (restart it when it runs); its jobs resume from their savepoints',
      'reset savepoints: the jobs start without state',
    ],
    [
      'stop',
      'stop the cluster: its jobs stop (with savepoints), then its pods go',
      'skip the savepoints when stopping',
    ],
  ] as const) {
    clientAction<StartStopOptions>(
      withWaitOptions(named(action, description).option('--without-savepoint', flag)),
      ctx,
      (client, format, o) =>
        runAction(
          ctx,
          client,
          format,
          {
            kind: 'cluster',
            method: 'PUT',
            actionPath: `${path(o)}/${action}`,
            statusPath: `${path(o)}/status`,
            body: { withoutSavepoint: o.withoutSavepoint === true },
            what: `flinkcluster/${o.clusterName}`,
          },
          o,
        ),
    );
  }
  registerPauseCommands<ClusterOptions>(
    cluster,
    ctx,
    (_parent, name, description) => named(name, description),
    (o) => ({ path: path(o), what: `flinkcluster/${o.clusterName}` }),
    'FlinkCluster and its jobs',
  );
  clientAction<ScaleOptions>(
    withWaitOptions(
      named('scale', 'set the number of TaskManagers (spec.taskManagers)').requiredOption(
        '--task-managers <n>',
        'TaskManagers',
      ),
    ),
    ctx,
    (client, format, o) =>
      runScale(
        ctx,
        client,
        format,
        {
          kind: 'cluster',
          scalePath: `${path(o)}/scale`,
          statusPath: `${path(o)}/status`,
          body: { taskManagers: count(o.taskManagers, '--task-managers') },
          what: `flinkcluster/${o.clusterName}`,
          line: (a) => {
            const note =
              a['rescalePolicy'] === 'JobParallelism'
                ? ' (rescalePolicy JobParallelism: the supervisor sizes the cluster from its jobs and may change it back)'
                : '';
            return `flinkcluster/${o.clusterName} scaled to ${String(a['taskManagers'])} TaskManagers${note}\n`;
          },
        },
        o,
      ),
  );
}
