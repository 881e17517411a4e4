// What the lean entries (src/cli/supervisor-main.ts, src/cli/operator-main.ts) share: a `flinkvisor`
// program with one role's commands registered and nothing else imported, so a pod of that role loads
// none of the other commands (devenv, demo, install, the control API client). The lean bundles are
// built from these entries (src/devenv/lean-bundles.ts). Like src/cli/main.ts, a place that reads
// process.env and argv.
import { Command, CommanderError } from 'commander';
import { systemClock } from '../kube/clock.ts';
import { FLINKVISOR_VERSION } from '../version.ts';
import type { CliContext } from './context.ts';

export async function runLeanEntry(
  role: string,
  register: (program: Command, ctx: CliContext) => void,
): Promise<void> {
  const program = new Command('flinkvisor')
    .description(`A Kubernetes supervisor for Apache Flink (lean ${role} entry)`)
    .version(FLINKVISOR_VERSION, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  register(program, { env: process.env, stdout: process.stdout, stderr: process.stderr, clock: systemClock });
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    // Commander has already printed its own usage errors and help (exit codes as src/cli/exit-codes.ts).
    if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
    else {
      const cause =
        err instanceof Error && err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
      process.stderr.write(`flinkvisor: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
      process.exitCode = 1;
    }
  }
}
