import type { Command } from 'commander';
import { join, relative } from 'node:path';
import { checkChartFiles, HELM_DIRECTORY, writeChartFiles } from '../../install/chart-files.ts';
import type { CliContext } from '../context.ts';

/** A check that found drift: the message names every file to regenerate. */
export class ChartDriftError extends Error {}

export function registerInstallCommands(program: Command, ctx: CliContext): void {
  const install = program
    .command('install')
    .description('install artifacts: the Helm charts under deploy/helm (CRDs and RBAC rules are generated)');

  install
    .command('generate')
    .description(
      "write the charts' generated files: crds/ (from src/api) and files/rbac-rules.yaml (from src/install)",
    )
    .option('--dir <dir>', 'the deploy/helm directory', HELM_DIRECTORY)
    .option(
      '--check',
      'write nothing; exit non-zero and name the files that differ from what would be generated',
    )
    .action(async (opts: { dir: string; check?: boolean }) => {
      const shown = (file: string) => {
        const path = join(opts.dir, file);
        const fromHere = relative('.', path);
        return fromHere.startsWith('..') ? path : fromHere || '.';
      };
      if (opts.check) {
        const drift = (await checkChartFiles(opts.dir)).filter((r) => r.state !== 'up-to-date');
        if (drift.length > 0) {
          throw new ChartDriftError(
            `generated chart files drifted: ${drift.map((r) => `${shown(r.file)} (${r.state})`).join(', ')}; run \`flinkvisor install generate\``,
          );
        }
        ctx.stdout.write(`generated chart files in ${shown('')} are up to date\n`);
        return;
      }
      for (const path of await writeChartFiles(opts.dir)) ctx.stdout.write(`wrote ${relative('.', path)}\n`);
    });
}
