import { systemClock, type Clock } from '../kube/clock.ts';

/**
 * What a command receives from the process (src/cli/main.ts): the environment, the output streams
 * and the clock. Commands read nothing else from the process, so tests pass their own.
 */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Input of commands that read `-` (e.g. `migrate -f -`); none when absent. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Time for AGE columns, waits and deadlines; the system clock when absent. */
  readonly clock?: Clock;
}

/** The context's clock, or the system clock. */
export function clockOf(ctx: CliContext): Clock {
  return ctx.clock ?? systemClock;
}
