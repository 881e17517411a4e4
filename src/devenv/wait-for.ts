import { systemClock } from '../kube/clock.ts';
import { pollUntil, PollTimeoutError } from '../kube/wait-for.ts';

/** The local environment's waits time out as the product's do. */
export { PollTimeoutError as WaitTimeoutError };

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** Checked every round: a dead process ends the wait at once with its own message. */
  readonly abortIf?: () => string | undefined;
}

/**
 * `pollUntil` on the system clock with a 250 ms default interval: what the local environment,
 * the demo and the tests wait with. Every wait has a deadline and an escape.
 */
export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  return pollUntil(what, probe, {
    clock: systemClock,
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 250,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.abortIf ? { abortIf: options.abortIf } : {}),
  });
}
