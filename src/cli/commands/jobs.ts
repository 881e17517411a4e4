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
import { jobDetailsTable, jobsTable, statsTable, writeLine } from '../client-tables.ts';
import { clockOf, type CliContext } from '../context.ts';
import { apiPath, type ClientOptions } from '../control-api-client.ts';

interface ClusterOptions extends ClientOptions {
  clusterName: string;
}
export interface JobOptions extends ClusterOptions {
  jobName: string;
}
interface JobSpecOptions extends JobOptions {
  jobSpec: string;
}
interface StartStopOptions extends JobOptions, WaitFlags {
  withoutSavepoint?: boolean;
}
interface ScaleOptions extends JobOptions, WaitFlags {
  parallelism: string;
}

/** `/clusters/<cluster>/jobs/<job>` */
export const jobPath = (o: JobOptions) => apiPath('clusters', o.clusterName, 'jobs', o.jobName);

/** A job subcommand: connection options plus --cluster-name and --job-name. */
export function jobCommand(parent: Command, name: string, description: string): Command {
  return clientCommand(parent, name, description)
    .requiredOption('--cluster-name <name>', 'the FlinkCluster')
    .requiredOption(
      '--job-name <name>',
      'the job: the FlinkJob <cluster>-<job>, else the FlinkJob <job> of the cluster',
    );
}

/**
 * `jobs list` and `job create|update|delete|status|details|metrics|start|stop|scale` (flinkctl, §8),
 * and `job pause|resume` (ADR 0019).
 */
export function registerJobsCommands(program: Command, ctx: CliContext): void {
  const jobs = program.command('jobs').description('FlinkJobs of a cluster, through the control API');
  clientAction<ClusterOptions>(
    clientCommand(jobs, 'list', 'list the jobs of a cluster').requiredOption(
      '--cluster-name <name>',
      'the FlinkCluster',
    ),
    ctx,
    async (client, format, o) => {
      const list = await client.request('GET', `${apiPath('clusters', o.clusterName)}/jobs`);
      print(ctx, format, list, () => jobsTable(list, clockOf(ctx).now()));
    },
  );

  const job = program.command('job').description('one FlinkJob, through the control API');
  const withSpec = (name: string, description: string) =>
    jobCommand(job, name, description).requiredOption(
      '--job-spec <file>',
      'the spec, a JSON or YAML file (a whole resource works too)',
    );
  clientAction<JobSpecOptions>(
    withSpec(
      'create',
      'create the FlinkJob <cluster>-<job> from a spec file (spec.clusterName is set for you)',
    ),
    ctx,
    async (client, format, o) => {
      const created = await client.request('POST', jobPath(o), await readSpecFile(o.jobSpec, 'job spec'));
      print(ctx, format, created, () => writeLine(created, 'created'));
    },
  );
  clientAction<JobSpecOptions>(
    withSpec('update', 'change a FlinkJob: the file is merged into its spec (JSON merge patch)'),
    ctx,
    async (client, format, o) => {
      const updated = await client.request('PUT', jobPath(o), await readSpecFile(o.jobSpec, 'job spec'));
      print(ctx, format, updated, () => writeLine(updated, 'updated'));
    },
  );
  clientAction<JobOptions>(
    jobCommand(job, 'delete', 'delete a FlinkJob (its Flink job is cancelled)'),
    ctx,
    async (client, format, o) => {
      const deleted = await client.request('DELETE', jobPath(o));
      print(ctx, format, deleted, () => writeLine(deleted, 'deleted'));
    },
  );
  clientAction<JobOptions>(
    jobCommand(job, 'status', 'show the status of a FlinkJob'),
    ctx,
    (client, format, o) => printStatus(ctx, client, format, `${jobPath(o)}/status`),
  );
  clientAction<JobOptions>(
    jobCommand(job, 'details', "show the running Flink job's details, and its latest failure"),
    ctx,
    async (client, format, o) => {
      const details = await client.request('GET', `${jobPath(o)}/details`);
      // For people, Flink's own word on the latest failure too (status.lastFailure); the JSON and
      // YAML outputs stay Flink's answer as it is.
      const status =
        format === 'table'
          ? await client.request('GET', `${jobPath(o)}/status`).catch(() => undefined)
          : undefined;
      print(ctx, format, details, () => jobDetailsTable(details, status));
    },
  );
  clientAction<JobOptions>(
    jobCommand(job, 'metrics', "show the running Flink job's checkpoint and restart metrics"),
    ctx,
    async (client, format, o) => {
      const metrics = await client.request('GET', `${jobPath(o)}/metrics`);
      print(ctx, format, metrics, () => statsTable(metrics));
    },
  );
  for (const [action, description, flag] of [
    [
      'start',
      'start the job (restart it when it runs) from its latest savepoint',
      'reset the savepoint: start without state',
    ],
    [
      'stop',
      'stop the job (with a savepoint when savepointMode is Automatic)',
      'skip the savepoint when stopping',
    ],
  ] as const) {
    clientAction<StartStopOptions>(
      withWaitOptions(jobCommand(job, action, description).option('--without-savepoint', flag)),
      ctx,
      (client, format, o) =>
        runAction(
          ctx,
          client,
          format,
          {
            kind: 'job',
            method: 'PUT',
            actionPath: `${jobPath(o)}/${action}`,
            statusPath: `${jobPath(o)}/status`,
            body: { withoutSavepoint: o.withoutSavepoint === true },
            what: `job ${o.clusterName}/${o.jobName}`,
          },
          o,
        ),
    );
  }
  registerPauseCommands<JobOptions>(
    job,
    ctx,
    jobCommand,
    (o) => ({ path: jobPath(o), what: `job ${o.clusterName}/${o.jobName}` }),
    'FlinkJob',
  );
  clientAction<ScaleOptions>(
    withWaitOptions(
      jobCommand(
        job,
        'scale',
        'set the parallelism of the job (it restarts from a savepoint)',
      ).requiredOption('--parallelism <n>', 'job parallelism; 0 suspends the job'),
    ),
    ctx,
    (client, format, o) =>
      runScale(
        ctx,
        client,
        format,
        {
          kind: 'job',
          scalePath: `${jobPath(o)}/scale`,
          statusPath: `${jobPath(o)}/status`,
          body: { parallelism: count(o.parallelism, '--parallelism') },
          what: `job ${o.clusterName}/${o.jobName}`,
          line: (a) => `flinkjob/${String(a['name'])} scaled to parallelism ${String(a['parallelism'])}\n`,
        },
        o,
      ),
  );
}
