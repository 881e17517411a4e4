import type { Command } from 'commander';
import { DEFAULT_ARTIFACT_SOURCES } from '../../devenv/flink-distribution.ts';
import { defaultCacheDir, prepareDevenv } from '../../devenv/prepare.ts';
import { consoleProgress } from '../../devenv/progress.ts';
import type { CliContext } from '../program.ts';

export function registerDevenvCommands(program: Command, ctx: CliContext): void {
  const devenv = program
    .command('devenv')
    .description('the local environment: real Kubernetes and Flink, no containers');
  devenv
    .command('prepare')
    .description('build or fetch etcd, Kubernetes and Flink into the per-user cache (once per version)')
    .option('--cache-dir <dir>', 'cache directory', defaultCacheDir(ctx.env))
    .action(async (opts: { cacheDir: string }) => {
      const progress = consoleProgress((line) => ctx.stdout.write(`${line}\n`));
      const started = Date.now();
      const assets = await prepareDevenv({
        cacheDir: opts.cacheDir,
        progress,
        env: ctx.env,
        sources: {
          pypiIndex: ctx.env['FLINKVISOR_PYPI_INDEX'] ?? DEFAULT_ARTIFACT_SOURCES.pypiIndex,
          mavenRepository: ctx.env['FLINKVISOR_MAVEN_REPOSITORY'] ?? DEFAULT_ARTIFACT_SOURCES.mavenRepository,
        },
      });
      progress.note(
        `ready in ${((Date.now() - started) / 1000).toFixed(1)}s: etcd ${assets.etcd.version}, Kubernetes ${assets.kubernetes.version}, Flink ${Object.values(
          assets.flink,
        )
          .map((f) => f.release.version)
          .join(' and ')} (cache ${assets.cacheDir})`,
      );
    });
}
