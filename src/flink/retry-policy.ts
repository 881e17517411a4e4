import { setTimeout as sleepTimer } from 'node:timers/promises';

/**
 * How often and how long apart a failed Flink call is tried again. The transport asks the policy
 * only for calls that are safe to repeat (reads, and writes that never left the machine), and only
 * for failures worth repeating (unavailable, timeout): see ADR 0004.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 means never retry. */
  readonly maxAttempts: number;
  /**
   * The pause after failed attempt number `attempt` (1-based) before the next one. `retryAfterMs` is
   * the server's own hint (a `Retry-After` header), when it gave one.
   */
  delayMs(attempt: number, retryAfterMs?: number): number;
}

export interface BackoffOptions {
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Uniform in [0, 1); injected so tests pin the jitter. */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 } as const;

/**
 * Exponential backoff with "equal jitter": the ceiling doubles per attempt up to `maxDelayMs`, and the
 * pause is uniform in [ceiling/2, ceiling), so clients that failed together do not retry together yet
 * every pause is at least half the ceiling. A server's Retry-After raises the pause, up to the cap.
 */
export function exponentialBackoff(options: BackoffOptions = {}): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts;
  const base = options.baseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs;
  const cap = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const random = options.random ?? Math.random;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  if (base < 0 || cap < base) throw new RangeError(`need 0 <= baseDelayMs <= maxDelayMs`);
  return {
    maxAttempts,
    delayMs(attempt, retryAfterMs) {
      const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
      const jittered = ceiling / 2 + random() * (ceiling / 2);
      const hinted = retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
      return Math.round(Math.min(cap, hinted));
    },
  };
}

export const NO_RETRY: RetryPolicy = { maxAttempts: 1, delayMs: () => 0 };

/** Waits, or rejects with the signal's reason when it is aborted first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  sleepTimer(ms, undefined, signal ? { signal } : undefined).then(() => undefined);
