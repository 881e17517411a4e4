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
  /** Authenticated, but RBAC does not allow the action (HTTP 403). */
  forbidden: 8,
} as const;

export class UsageError extends Error {}

/** A failure that knows its exit code: control API answers (404 → notFound, ...), `--wait` timeouts. */
export class ExitCodeError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExitCodeError';
    this.exitCode = exitCode;
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ToolMissingError) return EXIT.missingPrerequisite;
  if (err instanceof ExitCodeError) return err.exitCode;
  return EXIT.failure;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
