#!/usr/bin/env node
// The lean supervisor entry: `flinkvisor supervisor run ...` with the `supervisor run` command
// alone registered, so a supervisor pod loads none of the other commands (devenv, demo, operator,
// install, the control API client). `npm run build:supervisor` bundles it into
// dist/supervisor.mjs, which bin/flinkvisor.js runs for `supervisor run` (docs/performance.md
// says why: resident memory). Like src/cli/main.ts, it is a place that reads process.env and argv.
import { Command, CommanderError } from 'commander';
import { systemClock } from '../kube/clock.ts';
import { FLINKVISOR_VERSION } from '../version.ts';
import { registerSupervisorCommands } from './commands/supervisor.ts';

const program = new Command('flinkvisor')
  .description('A Kubernetes supervisor for Apache Flink (lean supervisor entry)')
  .version(FLINKVISOR_VERSION, '-V, --version')
  .showHelpAfterError()
  .exitOverride();
registerSupervisorCommands(program, {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  clock: systemClock,
});
try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has already printed its own usage errors and help (exit codes as src/cli/exit-codes.ts).
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    process.stderr.write(`flinkvisor: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
    process.exitCode = 1;
  }
}
