import type { Command } from 'commander';
import { clientAction, print, runAction, withWaitOptions, type WaitFlags } from '../client-commands.ts';
import { fieldsTable } from '../client-tables.ts';
import { clockOf, type CliContext } from '../context.ts';
import { formatAge, renderTable } from '../output.ts';
import { jobCommand, jobPath, type JobOptions } from './jobs.ts';

type SavepointOptions = JobOptions & WaitFlags;
interface OneSavepointOptions extends JobOptions {
  savepoint: string;
}

type Row = Record<string, unknown>;

/** `savepoint list`: the job's FlinkSavepoints, newest first (the control API sorts them). */
export function savepointsTable(value: unknown, now: number): string {
  const rows = Array.isArray(value) ? (value as Row[]) : [];
  const disposal = (r: Row) => (r['disposal'] as Row | undefined)?.['state'];
  return renderTable<Row>(
    [
      { header: 'NAME', value: (r) => r['name'] },
      { header: 'KIND', value: (r) => r['kind'] },
      { header: 'STATE', value: (r) => r['state'] },
      { header: 'DISPOSAL', value: disposal },
      { header: 'PATH', value: (r) => r['path'] },
      { header: 'COMPLETED', value: (r) => formatAge(r['completionTimestamp'], now) },
    ],
    rows,
  );
}

const savepointPath = (o: OneSavepointOptions) =>
  `${jobPath(o)}/savepoints/${encodeURIComponent(o.savepoint)}`;

/** `savepoint trigger|forget` (flinkctl, §8) and `savepoint list|show|dispose` (FlinkSavepoints, ADR 0015). */
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
  clientAction<JobOptions>(
    jobCommand(savepoint, 'list', "list the job's savepoints (FlinkSavepoints), newest first"),
    ctx,
    async (client, format, o) => {
      const list = await client.request('GET', `${jobPath(o)}/savepoints`);
      print(ctx, format, list, () => savepointsTable(list, clockOf(ctx).now()));
    },
  );
  const one = (name: string, description: string) =>
    jobCommand(savepoint, name, description).requiredOption('--savepoint <name>', 'the FlinkSavepoint');
  clientAction<OneSavepointOptions>(one('show', 'show one savepoint'), ctx, async (client, format, o) => {
    const shown = await client.request('GET', savepointPath(o));
    print(ctx, format, shown, () => fieldsTable(shown));
  });
  clientAction<OneSavepointOptions>(
    one(
      'dispose',
      'dispose of a savepoint: the supervisor deletes its files through the JobManager, then the FlinkSavepoint',
    ),
    ctx,
    async (client, format, o) => {
      const asked = await client.request('DELETE', savepointPath(o));
      print(ctx, format, asked, () => `flinksavepoint/${o.savepoint}: disposal requested\n`);
    },
  );
}
