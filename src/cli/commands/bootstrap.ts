import type { Command } from 'commander';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBootstrap } from '../../bootstrap/bootstrap-runner.ts';
import { BOOTSTRAP_EXIT } from '../../bootstrap/exit-codes.ts';
import { JarSourceError, parseJarLocation } from '../../bootstrap/jar-source.ts';
import { snapshotPresence, type ObjectExists } from '../../bootstrap/snapshot-check.ts';
import { createFlinkDispatcher } from '../../flink/dispatcher.ts';
import { FlinkRestClient } from '../../flink/flink-rest-client.ts';
import { isFlinkId } from '../../flink/ids.ts';
import { createLogger } from '../../observability/logger.ts';
import { S3Client } from '../../storage/s3-client.ts';
import { parseS3Uri } from '../../storage/s3-uri.ts';
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
  s3Endpoint?: string;
  s3Region?: string;
  dryRun?: boolean;
}

/** How long the snapshot check may take before it is left to Flink. */
const SNAPSHOT_CHECK_TIMEOUT_MS = 10_000;

/**
 * The S3 lookup of the snapshot check: with the credentials the supervisor hands a restoring
 * bootstrap (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as the Flink pods get them); none without.
 */
function s3ObjectExists(opts: BootstrapOptions, env: NodeJS.ProcessEnv): ObjectExists | undefined {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'] ?? '';
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'] ?? '';
  if (opts.s3Region === undefined || accessKeyId === '' || secretAccessKey === '') return undefined;
  const region = opts.s3Region;
  const client = new S3Client({
    endpoint: opts.s3Endpoint ?? `https://s3.${region}.amazonaws.com`,
    region,
    accessKeyId,
    secretAccessKey,
    timeoutMs: SNAPSHOT_CHECK_TIMEOUT_MS,
  });
  return async (uri) => {
    const { bucket, prefix } = parseS3Uri(uri);
    const key = prefix.replace(/\/$/, '');
    return (await client.listObjects(bucket, key, { pageSize: 10 })).some((o) => o.key === key);
  };
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
    .option('--s3-endpoint <url>', 'S3 endpoint of the snapshot check (default: AWS in --s3-region)')
    .option('--s3-region <region>', 'region of the S3 snapshot check; with credentials in the environment')
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
          (path) => snapshotPresence(path, s3ObjectExists(opts, ctx.env)),
        );
        process.exitCode = outcome.exitCode;
      } finally {
        await dispatcher.close();
      }
    });
}
