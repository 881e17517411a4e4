import type { Command } from 'commander';
import { createLogger } from '../../observability/logger.ts';
import { writeFile } from 'node:fs/promises';
import { removeDirectories } from '../../storage/directory-cleanup.ts';
import { findSavepoints, renderSearchReport } from '../../storage/savepoint-search.ts';
import { S3Client } from '../../storage/s3-client.ts';
import { parseS3Uri, S3UriError } from '../../storage/s3-uri.ts';
import { UsageError } from '../exit-codes.ts';
import type { CliContext } from '../context.ts';

interface CleanOptions {
  uri: string[];
  keep: string[];
  endpoint?: string;
  region: string;
}

interface FindOptions {
  directory: string;
  jobId: string;
  since: string;
  report?: string;
  endpoint?: string;
  region: string;
}

const collect = (v: string, all: string[]) => [...all, v];

/** An S3 client with the keys of the environment, as the Flink pods get them from their Secret. */
function environmentClient(ctx: CliContext, endpoint: string | undefined, region: string): S3Client {
  const accessKeyId = ctx.env['AWS_ACCESS_KEY_ID'] ?? '';
  const secretAccessKey = ctx.env['AWS_SECRET_ACCESS_KEY'] ?? '';
  if (accessKeyId === '' || secretAccessKey === '')
    throw new UsageError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set in the environment');
  return new S3Client({
    endpoint: endpoint ?? `https://s3.${region}.amazonaws.com`,
    region,
    accessKeyId,
    secretAccessKey,
  });
}

/**
 * `storage clean`: what the supervisor's storage-cleanup Job runs when a FlinkCluster with autoClean
 * is deleted (docs/adr/0012-auto-clean.md). Credentials come from the environment, as the Flink
 * pods get them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the cluster's credentials Secret),
 * never from arguments, which any reader of the Job sees.
 */
export function registerStorageCommands(program: Command, ctx: CliContext): void {
  const storage = program.command('storage').description('object storage where Flink keeps its state');
  storage
    .command('clean')
    .description(
      'remove every object under the given S3 directories, except those under a kept one (idempotent)',
    )
    .requiredOption(
      '--uri <s3-uri>',
      'a directory to remove, s3://bucket/path (repeat for more)',
      collect,
      [],
    )
    .option('--keep <s3-uri>', 'a directory to keep, e.g. a referenced savepoint (repeat)', collect, [])
    .option('--endpoint <url>', 'S3 endpoint (default: AWS in --region)')
    .option('--region <region>', 'region to sign for', 'us-east-1')
    .action(async (opts: CleanOptions) => {
      const log = createLogger({ name: 'storage-clean', level: ctx.env['LOG_LEVEL'] ?? 'info' });
      try {
        for (const uri of [...opts.uri, ...opts.keep]) parseS3Uri(uri);
      } catch (err) {
        if (err instanceof S3UriError) throw new UsageError(err.message);
        throw err;
      }
      const client = environmentClient(ctx, opts.endpoint, opts.region);
      for (const result of await removeDirectories(client, opts.uri, opts.keep)) {
        log.info(result, 'directory removed');
      }
    });
  storage
    .command('find-savepoints')
    .description(
      "list a job's complete savepoints (savepoint-<job id>-…/_metadata) written since a time (read only)",
    )
    .requiredOption('--directory <s3-uri>', 'the savepoint target directory, s3://bucket/path')
    .requiredOption('--job-id <hex>', 'the Flink job id (32 hex)')
    .requiredOption('--since <iso-time>', 'savepoints completed before this are left out')
    .option('--report <file>', 'also write the report there (a pod: its terminationMessagePath)')
    .option('--endpoint <url>', 'S3 endpoint (default: AWS in --region)')
    .option('--region <region>', 'region to sign for', 'us-east-1')
    .action(async (opts: FindOptions) => {
      const log = createLogger({ name: 'storage-find-savepoints', level: ctx.env['LOG_LEVEL'] ?? 'info' });
      try {
        parseS3Uri(opts.directory);
      } catch (err) {
        if (err instanceof S3UriError) throw new UsageError(err.message);
        throw err;
      }
      if (!/^[0-9a-f]{32}$/i.test(opts.jobId))
        throw new UsageError(`--job-id: not a Flink job id: ${opts.jobId}`);
      const since = new Date(opts.since);
      if (!Number.isFinite(since.getTime())) throw new UsageError(`--since: not a time: ${opts.since}`);
      const client = environmentClient(ctx, opts.endpoint, opts.region);
      const report = await findSavepoints(client, opts.directory, opts.jobId, since);
      const text = renderSearchReport(report);
      // The report file first: the supervisor reads it from the pod's status once the pod succeeded.
      if (opts.report) await writeFile(opts.report, text);
      log.info({ directory: opts.directory, found: report.savepoints.length }, 'savepoints listed');
      ctx.stdout.write(`${text}\n`);
    });
}
