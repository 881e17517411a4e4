import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Time as a port: everything that waits or measures takes a Clock, so tests drive time by hand
 * (see test/support/manual-clock.ts) instead of sleeping.
 */
export interface Clock {
  /** Wall-clock time, epoch milliseconds: for what is recorded (status, Events, Lease times). */
  now(): number;
  /**
   * Elapsed time in milliseconds from an arbitrary origin, never jumping with wall-clock changes
   * (NTP steps, a VM resumed): for deadlines that guard safety, such as the leader's renew deadline.
   * A clock without it is taken as monotonic already (a test's manual clock).
   */
  monotonic?(): number;
  /** Resolves after `ms`, or rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/**
 * Runs `call` with a signal that aborts after `ms` of `clock` with a TimeoutError, as
 * `AbortSignal.timeout(ms)` does on the process's own timers; the timer is dropped once the call
 * ends. Bounds measured on the injected clock keep a simulated run on its virtual time.
 */
export async function withTimeout<T>(
  clock: Clock,
  ms: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = clock.setTimeout(
    () => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')),
    ms,
  );
  try {
    return await call(controller.signal);
  } finally {
    timer.cancel();
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
