import { isConflict } from './errors.ts';

/**
 * client-go's RetryOnConflict: runs `attempt` again while it fails with a 409 Conflict, up to
 * `attempts` times, waiting a short, growing delay between tries. `attempt` must re-read the object
 * and decide again each time (the 409 says its last decision was made on stale data); any other
 * error, and the last conflict, is thrown to the caller.
 */
export interface RetryOnConflictOptions {
  /** Tries in all (client-go's DefaultRetry has 5). */
  readonly attempts?: number;
  /** Delay before try n+1, in ms (default 10 ms × 2ⁿ⁻¹: client-go's DefaultRetry backoff). */
  readonly backoffMs?: (tryNumber: number) => number;
  /** Injected so tests never sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_CONFLICT_ATTEMPTS = 5;

const defaultBackoff = (tryNumber: number) => 10 * 2 ** (tryNumber - 1);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retryOnConflict<T>(
  attempt: (tryNumber: number) => Promise<T>,
  options: RetryOnConflictOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_CONFLICT_ATTEMPTS;
  const backoff = options.backoffMs ?? defaultBackoff;
  const sleep = options.sleep ?? defaultSleep;
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt(tryNumber);
    } catch (err) {
      if (!isConflict(err) || tryNumber >= attempts) throw err;
      await sleep(backoff(tryNumber));
    }
  }
}
