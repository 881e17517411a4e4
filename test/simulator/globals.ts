import type { Prng } from './prng.ts';
import type { SimClock } from './sim-clock.ts';

/** What the supervisor's code read from the real world during a run (each a determinism leak). */
export interface GlobalReads {
  mathRandom: number;
  dateNow: number;
  shortTimers: number;
  /** AbortSignal.timeout: a bound on the process's own timers instead of the injected clock. */
  abortTimeouts: number;
}

/** Real delays at or below this are moved onto the virtual clock (retry pauses, not test timeouts). */
const SHORT_TIMER_MS = 1_000;

/**
 * Runs `body` with the process-wide sources of chance and time that the supervisor's code still
 * could read directly pointed at the run's generator and virtual clock: Math.random (the default
 * jitter of the work queue and the informers), Date.now, short setTimeout pauses (retryOnConflict's
 * default sleep) and AbortSignal.timeout. The supervisor injects all of them (its Clock, a random
 * source); each read that still happens is counted, so the report names a new leak. Restored afterwards; anything still scheduled runs at once on the real loop.
 */
export async function withVirtualGlobals<T>(
  prng: Prng,
  clock: SimClock,
  body: (reads: GlobalReads) => Promise<T>,
): Promise<T> {
  const reads: GlobalReads = { mathRandom: 0, dateNow: 0, shortTimers: 0, abortTimeouts: 0 };
  const realRandom = Math.random;
  const realNow = Date.now;
  const realSetTimeout = globalThis.setTimeout;
  const realAbortTimeout = AbortSignal.timeout.bind(AbortSignal);
  const leftovers: (() => void)[] = [];
  Math.random = () => {
    reads.mathRandom++;
    return prng.next();
  };
  Date.now = () => {
    reads.dateNow++;
    return clock.now();
  };
  AbortSignal.timeout = (ms: number) => {
    reads.abortTimeouts++;
    const controller = new AbortController();
    clock.schedule(ms, () => controller.abort(new DOMException('timed out', 'TimeoutError')));
    return controller.signal;
  };
  globalThis.setTimeout = ((fn: unknown, ms?: number, ...args: unknown[]) => {
    if (typeof fn !== 'function' || (ms ?? 0) > SHORT_TIMER_MS)
      return realSetTimeout(fn as (...a: unknown[]) => void, ms, ...(args as []));
    reads.shortTimers++;
    const run = () => (fn as (...a: unknown[]) => void)(...args);
    let done = false;
    const handle = clock.schedule(ms ?? 0, () => {
      done = true;
      run();
    });
    leftovers.push(() => {
      if (!done) {
        handle.cancel();
        realSetTimeout(run, 0);
      }
    });
    const timer = {
      ref: () => timer,
      unref: () => timer,
      hasRef: () => false,
      refresh: () => timer,
      close: () => handle.cancel(),
      [Symbol.toPrimitive]: () => 0,
    };
    return timer;
  }) as typeof setTimeout;
  try {
    return await body(reads);
  } finally {
    Math.random = realRandom;
    Date.now = realNow;
    globalThis.setTimeout = realSetTimeout;
    AbortSignal.timeout = realAbortTimeout;
    for (const l of leftovers) l();
  }
}
