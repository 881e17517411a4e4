import { setTimeout as sleep } from 'node:timers/promises';

export class WaitTimeoutError extends Error {}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** Checked every round: a dead process ends the wait at once with its own message. */
  readonly abortIf?: () => string | undefined;
}

/**
 * Polls `probe` until it returns a value other than undefined. Every wait has a deadline and an
 * escape: the message says what was awaited and the last reason it was not ready.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
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
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `timed out after ${options.timeoutMs}ms waiting for ${what} (last: ${lastReason})`,
      );
    }
    await sleep(
      options.intervalMs ?? 250,
      undefined,
      options.signal ? { signal: options.signal } : undefined,
    );
  }
}
