import type { Clock } from './clock.ts';

/** A bounded wait ran out of time; the message says what was awaited and why it was not ready. */
export class PollTimeoutError extends Error {}

export interface PollOptions {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal;
  /** Checked every round: a reason here ends the wait at once with that reason. */
  readonly abortIf?: () => string | undefined;
}

/**
 * Polls `probe` until it returns a value other than undefined, on the injected clock (tests move
 * time by hand instead of sleeping). Every wait has a deadline and an escape; a probe that throws
 * counts as not ready, and its message is the last reason the timeout reports. The kube room's own
 * wait; the local environment's `waitFor` is this loop on the system clock.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: PollOptions,
): Promise<T> {
  const { clock } = options;
  const deadline = clock.now() + options.timeoutMs;
  let lastReason = 'not ready';
  for (;;) {
    options.signal?.throwIfAborted();
    const fatal = options.abortIf?.();
    if (fatal) throw new Error(`gave up waiting for ${what}: ${fatal}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastReason = err instanceof Error ? err.message : String(err);
    }
    if (clock.now() >= deadline) {
      throw new PollTimeoutError(
        `timed out after ${options.timeoutMs}ms waiting for ${what} (last: ${lastReason})`,
      );
    }
    await clock.sleep(options.intervalMs, options.signal);
  }
}
