import type { Command } from 'commander';
import { join, relative } from 'node:path';
import { checkCrdFiles, DEFAULT_CRD_DIRECTORY, writeCrdFiles } from '../../api/crd-files.ts';
import { crdManifests } from '../../api/crd-manifests.ts';
import { installCrds } from '../../kube/crd-install.ts';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';
import { UsageError } from '../exit-codes.ts';
import type { CliContext } from '../context.ts';

/** A check that found drift: the message names every file to regenerate. */
export class CrdDriftError extends Error {}

export function registerCrdsCommands(program: Command, ctx: CliContext): void {
  const crds = program
    .command('crds')
    .description(
      'the CustomResourceDefinitions FlinkDeployment, FlinkCluster and FlinkJob (flinkvisor.io/v1)',
    );

  crds
    .command('generate')
    .description('write the CRD YAML generated from the schemas in src/api (one file per CRD)')
    .option('--dir <dir>', 'output directory', DEFAULT_CRD_DIRECTORY)
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
        const drift = (await checkCrdFiles(opts.dir)).filter((r) => r.state !== 'up-to-date');
        if (drift.length > 0) {
          throw new CrdDriftError(
            `generated CRDs drifted: ${drift.map((r) => `${shown(r.file)} (${r.state})`).join(', ')}; run \`flinkvisor crds generate\``,
          );
        }
        ctx.stdout.write(`CRDs in ${shown('')} are up to date\n`);
        return;
      }
      for (const path of await writeCrdFiles(opts.dir)) ctx.stdout.write(`wrote ${relative('.', path)}\n`);
    });

  crds
    .command('install')
    .description('create or update the CRDs in a cluster (server-side apply) and wait until they are served')
    .option('--kubeconfig <path>', 'kubeconfig file; in-cluster or the default kubeconfig when absent')
    .option('--timeout <seconds>', 'how long to wait for each CRD to be Established', '60')
    .action(async (opts: { kubeconfig?: string; timeout: string }) => {
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new UsageError(`--timeout must be a positive number of seconds`);
      const established = await installCrds(loadKubeConfig(opts.kubeconfig), crdManifests(), {
        timeoutMs: seconds * 1000,
      });
      for (const crd of established) ctx.stdout.write(`established ${crd.metadata?.name ?? ''}\n`);
    });
}
