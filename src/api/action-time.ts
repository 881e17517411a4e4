/**
 * The window of times a requested action's timestamp may take, shared by whoever stamps a request
 * (the control API) and whoever takes it (the supervisor). The supervisor ignores a request not
 * newer than the last one it took, so one absurd stamp (1e300, or far in the future) would make
 * every later request look old forever: such a stamp is no time at all.
 */

/** The earliest action stamp taken as a time (2020-01-01T00:00:00Z): anything before is not one. */
export const EARLIEST_ACTION_STAMP_MS = Date.UTC(2020, 0, 1);
/** How far ahead of the reader's clock a stamp may be (clock skew between stampers). */
export const MAX_ACTION_STAMP_AHEAD_MS = 10 * 60 * 1000;

/** Whether `ms` can be the time of a request: a safe integer from 2020 on, at most ten minutes ahead of `now`. */
export function isSaneActionTime(ms: number, now: number): boolean {
  return Number.isSafeInteger(ms) && ms >= EARLIEST_ACTION_STAMP_MS && ms <= now + MAX_ACTION_STAMP_AHEAD_MS;
}
