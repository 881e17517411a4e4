import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments, stringify } from 'yaml';
import {
  formatMigrationNote,
  migrateToolboxManifests,
  TOOLBOX_GROUP_VERSION,
} from '../../api/toolbox-migration.ts';
import { FLINKVISOR_IMAGE } from '../../install/operator-manifests.ts';
import type { CliContext } from '../context.ts';
import { ExitCodeError, EXIT, UsageError } from '../exit-codes.ts';

// `flinkvisor migrate -f FILE|-`: the toolbox's manifests as flinkvisor.io/v1 on stdout, a note per
// changed or dropped field on stderr (docs/adr/0020-toolbox-migration.md).

async function readInput(ctx: CliContext, file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!ctx.stdin) throw new UsageError('no standard input to read');
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The documents of a YAML (or JSON) stream; a syntax error names the document. */
export function parseManifestStream(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((doc, index) => {
    if (doc.errors.length > 0)
      throw new UsageError(`${source}: document ${index + 1} is not YAML: ${doc.errors[0]?.message ?? ''}`);
    return doc.toJS() as unknown;
  });
}

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description(
      `convert Flink Kubernetes Toolbox manifests (${TOOLBOX_GROUP_VERSION} FlinkDeployment, FlinkCluster, FlinkJob) to flinkvisor.io/v1; the manifests go to stdout, a note per changed or dropped field to stderr`,
    )
    .requiredOption('-f, --filename <file>', 'YAML or JSON manifests (a kubectl List too); - reads stdin')
    .option('--supervisor-image <image>', 'image of the supervisor', FLINKVISOR_IMAGE)
    .option(
      '--cluster <name>',
      'cluster of standalone FlinkJobs whose cluster is neither in their clusterName label nor in the input',
    )
    .action(async (opts: { filename: string; supervisorImage: string; cluster?: string }) => {
      const text = await readInput(ctx, opts.filename);
      const documents = parseManifestStream(text, opts.filename === '-' ? 'stdin' : opts.filename);
      const result = migrateToolboxManifests(documents, {
        supervisorImage: opts.supervisorImage,
        ...(opts.cluster === undefined ? {} : { clusterName: opts.cluster }),
      });
      ctx.stdout.write(
        result.documents
          .map((doc) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }))
          .join('---\n'),
      );
      for (const note of result.notes) ctx.stderr.write(`# ${formatMigrationNote(note)}\n`);
      if (result.failed) {
        const errors = result.notes.filter((n) => n.kind === 'error').length;
        throw new ExitCodeError(
          `${errors} error(s): the resources they name were not converted`,
          EXIT.failure,
        );
      }
    });
}
