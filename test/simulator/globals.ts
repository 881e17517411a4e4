import type { Prng } from './prng.ts';
import type { SimClock } from './sim-clock.ts';

/** What the supervisor's code read from the real world during a run (each a determinism leak). */
export interface GlobalReads {
  mathRandom: number;
  dateNow: number;
  shortTimers: number;
}

/** Real delays at or below this are moved onto the virtual clock (retry pauses, not test timeouts). */
const SHORT_TIMER_MS = 1_000;

/**
 * Runs `body` with the process-wide sources of chance and time that the supervisor's code still
 * reads directly pointed at the run's generator and virtual clock: Math.random (the work queue's
 * and the informers' default jitter), Date.now, and short setTimeout pauses (retryOnConflict's
 * default sleep). Each read is counted, so the report names the leaks the code should inject
 * through its Clock. Restored afterwards; anything still scheduled runs at once on the real loop.
 */
export async function withVirtualGlobals<T>(
  prng: Prng,
  clock: SimClock,
  body: (reads: GlobalReads) => Promise<T>,
): Promise<T> {
  const reads: GlobalReads = { mathRandom: 0, dateNow: 0, shortTimers: 0 };
  const realRandom = Math.random;
  const realNow = Date.now;
  const realSetTimeout = globalThis.setTimeout;
  const leftovers: (() => void)[] = [];
  Math.random = () => {
    reads.mathRandom++;
    return prng.next();
  };
  Date.now = () => {
    reads.dateNow++;
    return clock.now();
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
    for (const l of leftovers) l();
  }
}
