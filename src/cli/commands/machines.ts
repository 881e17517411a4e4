import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { machineDocuments } from '../../machines/documents.ts';
import type { CliContext } from '../context.ts';

/** Thrown by `machines render --check` when a committed drawing no longer matches its machine. */
export class MachineDrawingsDriftError extends Error {}

export interface RenderResult {
  readonly written: readonly string[];
  readonly stale: readonly string[];
}

/** Writes (or, with check, compares) docs/machines/*.md; pure apart from the files it touches. */
export async function renderMachineDrawings(outDir: string, check: boolean): Promise<RenderResult> {
  const written: string[] = [];
  const stale: string[] = [];
  for (const document of machineDocuments()) {
    const file = path.join(outDir, document.file);
    const current = await readFile(file, 'utf8').catch(() => null);
    if (current === document.content) continue;
    if (check) {
      stale.push(file);
      continue;
    }
    await mkdir(outDir, { recursive: true });
    await writeFile(file, document.content);
    written.push(file);
  }
  return { written, stale };
}

export function registerMachinesCommands(program: Command, ctx: CliContext): void {
  const machines = program.command('machines').description('the cluster and job state machines');
  machines
    .command('render')
    .description('draw the machines as Mermaid state diagrams with their rule tables (docs/machines/*.md)')
    .option('--out <dir>', 'output directory', path.join('docs', 'machines'))
    .option('--check', 'write nothing; fail when a drawing differs from its machine')
    .action(async (opts: { out: string; check?: boolean }) => {
      const result = await renderMachineDrawings(opts.out, opts.check === true);
      if (result.stale.length > 0) {
        throw new MachineDrawingsDriftError(
          `machine drawings out of date: ${result.stale.join(', ')} (run: flinkvisor machines render)`,
        );
      }
      const summary =
        opts.check === true ? 'machine drawings are up to date' : `wrote ${result.written.length} file(s)`;
      ctx.stdout.write(`${summary}${result.written.length > 0 ? `: ${result.written.join(', ')}` : ''}\n`);
    });
}
