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

/**
 * The time of an action stamp, `<epoch ms>` or `<epoch ms>:<ACTION>` (the supervisor stamps the
 * second form), as written: digits only, a safe integer, above zero; otherwise null. Whether it is
 * a sane time is `isSaneActionTime`'s question.
 */
export function actionStampTime(stamp: string | undefined): number | null {
  const at = (stamp ?? '').split(':')[0] ?? '';
  if (!/^\d+$/.test(at)) return null;
  const ms = Number(at);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null;
}

/**
 * `<epoch ms>` or `<epoch ms>:<ACTION>`: the identity of a requested action. A time that is not
 * sane (see isSaneActionTime) is no identity: the request is stamped again with the supervisor's.
 */
export function parseActionStamp(
  stamp: string | undefined,
  now: number,
): { at: number; action?: string } | undefined {
  if (!stamp) return undefined;
  const [at, action] = stamp.split(':');
  if (!at || !/^\d+$/.test(at)) return undefined;
  const ms = Number(at);
  if (!isSaneActionTime(ms, now)) return undefined;
  return action ? { at: ms, action: action.toUpperCase() } : { at: ms };
}
