import type { Command } from 'commander';
import { createLogger } from '../../observability/logger.ts';
import { removeDirectories } from '../../storage/directory-cleanup.ts';
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

const collect = (v: string, all: string[]) => [...all, v];

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
      const accessKeyId = ctx.env['AWS_ACCESS_KEY_ID'] ?? '';
      const secretAccessKey = ctx.env['AWS_SECRET_ACCESS_KEY'] ?? '';
      if (accessKeyId === '' || secretAccessKey === '')
        throw new UsageError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set in the environment');
      const client = new S3Client({
        endpoint: opts.endpoint ?? `https://s3.${opts.region}.amazonaws.com`,
        region: opts.region,
        accessKeyId,
        secretAccessKey,
      });
      for (const result of await removeDirectories(client, opts.uri, opts.keep)) {
        log.info(result, 'directory removed');
      }
    });
}
