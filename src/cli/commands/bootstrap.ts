import type { Command } from 'commander';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBootstrap } from '../../bootstrap/bootstrap-runner.ts';
import { BOOTSTRAP_EXIT } from '../../bootstrap/exit-codes.ts';
import { JarSourceError, parseJarLocation } from '../../bootstrap/jar-source.ts';
import { createFlinkDispatcher } from '../../flink/dispatcher.ts';
import { FlinkRestClient } from '../../flink/flink-rest-client.ts';
import { isFlinkId } from '../../flink/ids.ts';
import { createLogger } from '../../observability/logger.ts';
import { UsageError } from '../exit-codes.ts';
import type { CliContext } from '../context.ts';

interface BootstrapOptions {
  namespace: string;
  clusterName: string;
  jobName: string;
  jobId: string;
  jarPath?: string;
  jarUri?: string;
  className?: string;
  parallelism?: string;
  savepointPath?: string;
  allowNonRestoredState?: boolean;
  argument: string[];
  jobmanagerUrl?: string;
  allowPrivateNetworks?: boolean;
  dryRun?: boolean;
}

export function jobManagerServiceName(clusterName: string): string {
  return `jobmanager-${clusterName}`;
}

export function registerBootstrapCommands(program: Command, ctx: CliContext): void {
  const bootstrap = program
    .command('bootstrap')
    .description('the bootstrap Job: upload a job jar to the JobManager and submit it');
  bootstrap
    .command('run')
    .description('upload the jar and run it with the job id chosen by the supervisor (idempotent)')
    .requiredOption('--namespace <ns>', 'namespace of the FlinkCluster')
    .requiredOption('--cluster-name <name>', 'FlinkCluster name')
    .requiredOption('--job-name <name>', 'FlinkJob name')
    .requiredOption('--job-id <hex32>', 'Flink job id (32 hex characters) chosen by the supervisor')
    .option('--jar-path <path>', 'jar inside the bootstrap image')
    .option('--jar-uri <uri>', 'jar to download (https, http or file)')
    .option('--class-name <class>', 'entry class (default: from the jar manifest)')
    .option('--parallelism <n>', 'job parallelism')
    .option('--savepoint-path <path>', 'savepoint to restore from')
    .option('--allow-non-restored-state', 'skip savepoint state that maps to no operator')
    .option(
      '--argument <arg>',
      'a program argument (repeat for more)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--jobmanager-url <url>',
      'Flink REST URL (default: http://jobmanager-<cluster>.<namespace>:8081)',
    )
    .option('--allow-private-networks', 'allow jar downloads from private, loopback and link-local addresses')
    .option('--dry-run', 'check the arguments and exit')
    .action(async (opts: BootstrapOptions) => {
      const log = createLogger({ name: 'bootstrap', level: ctx.env['LOG_LEVEL'] ?? 'info' });
      if (!isFlinkId(opts.jobId))
        throw new UsageError(`--job-id must be 32 hex characters, got ${opts.jobId}`);
      let jar;
      try {
        jar = parseJarLocation({ jarPath: opts.jarPath, jarURI: opts.jarUri });
      } catch (err) {
        if (err instanceof JarSourceError) {
          log.error({ err: err.message }, 'invalid jar location');
          process.exitCode = BOOTSTRAP_EXIT.permanent;
          return;
        }
        throw err;
      }
      const parallelism = opts.parallelism === undefined ? undefined : Number(opts.parallelism);
      if (parallelism !== undefined && (!Number.isInteger(parallelism) || parallelism < 1)) {
        throw new UsageError(`--parallelism must be a positive integer, got ${opts.parallelism}`);
      }
      if (opts.dryRun) {
        log.info({ jobId: opts.jobId }, 'dry run: arguments are valid');
        return;
      }
      const baseUrl =
        opts.jobmanagerUrl ?? `http://${jobManagerServiceName(opts.clusterName)}.${opts.namespace}:8081`;
      const dispatcher = createFlinkDispatcher(baseUrl);
      try {
        const client = new FlinkRestClient({ baseUrl, dispatcher });
        const outcome = await runBootstrap(
          client,
          {
            jobId: opts.jobId,
            jar,
            ...(opts.className ? { className: opts.className } : {}),
            ...(parallelism !== undefined ? { parallelism } : {}),
            ...(opts.savepointPath ? { savepointPath: opts.savepointPath } : {}),
            ...(opts.allowNonRestoredState ? { allowNonRestoredState: true } : {}),
            arguments: opts.argument,
            workDir: join(tmpdir(), `flinkvisor-bootstrap-${process.pid}`),
            allowPrivateNetworks: opts.allowPrivateNetworks ?? false,
          },
          { info: (m, f) => log.info(f ?? {}, m), warn: (m, f) => log.warn(f ?? {}, m) },
        );
        process.exitCode = outcome.exitCode;
      } finally {
        await dispatcher.close();
      }
    });
}
