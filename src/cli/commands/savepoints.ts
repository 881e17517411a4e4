import type { Command } from 'commander';
import { clientAction, runAction, withWaitOptions, type WaitFlags } from '../client-commands.ts';
import type { CliContext } from '../context.ts';
import { jobCommand, jobPath, type JobOptions } from './jobs.ts';

type SavepointOptions = JobOptions & WaitFlags;

/** `savepoint trigger|forget` (flinkctl, §8). */
export function registerSavepointsCommands(program: Command, ctx: CliContext): void {
  const savepoint = program
    .command('savepoint')
    .description('savepoints of a FlinkJob, through the control API');
  clientAction<SavepointOptions>(
    withWaitOptions(jobCommand(savepoint, 'trigger', 'take a savepoint of the running job')),
    ctx,
    (client, format, o) =>
      runAction(
        ctx,
        client,
        format,
        {
          kind: 'job',
          method: 'PUT',
          actionPath: `${jobPath(o)}/savepoint`,
          statusPath: `${jobPath(o)}/status`,
          body: {},
          what: `job ${o.clusterName}/${o.jobName}`,
        },
        o,
      ),
  );
  clientAction<SavepointOptions>(
    withWaitOptions(
      jobCommand(savepoint, 'forget', 'forget the latest savepoint: the next start is without state'),
    ),
    ctx,
    (client, format, o) =>
      runAction(
        ctx,
        client,
        format,
        {
          kind: 'job',
          method: 'DELETE',
          actionPath: `${jobPath(o)}/savepoint`,
          statusPath: `${jobPath(o)}/status`,
          what: `job ${o.clusterName}/${o.jobName}`,
        },
        o,
      ),
  );
}
