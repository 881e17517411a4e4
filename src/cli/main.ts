#!/usr/bin/env node
// The `flinkvisor` command. This file and the command modules are the only places that read
// process.env and argv; everything below them receives its configuration as arguments.
import { CommanderError } from 'commander';
import { systemClock } from '../kube/clock.ts';
import { buildProgram } from './program.ts';
import { exitCodeFor, describeError } from './exit-codes.ts';

const program = buildProgram({
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  clock: systemClock,
});
try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has already printed its own usage errors and help.
  if (!(err instanceof CommanderError)) process.stderr.write(`flinkvisor: ${describeError(err)}\n`);
  process.exitCode = exitCodeFor(err);
}
