import { CommanderError } from 'commander';
import { ToolMissingError } from '../devenv/run-command.ts';

/**
 * Exit codes of the CLI: scripts can tell bad usage from missing prerequisites and from failures.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  missingPrerequisite: 3,
  notFound: 4,
  conflict: 5,
  timeout: 6,
  unauthorized: 7,
} as const;

export class UsageError extends Error {}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ToolMissingError) return EXIT.missingPrerequisite;
  return EXIT.failure;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
