import { describe, expect, it } from 'vitest';
import { exponentialBackoff, NO_RETRY, realSleep } from '../../../src/flink/retry-policy.ts';

describe('exponentialBackoff', () => {
  it('doubles the ceiling per attempt and jitters within its upper half', () => {
    const low = exponentialBackoff({ baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0 });
    const high = exponentialBackoff({ baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0.999999 });
    expect([1, 2, 3, 4].map((a) => low.delayMs(a))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((a) => high.delayMs(a))).toEqual([100, 200, 400, 800]);
  });

  it('never waits longer than the cap', () => {
    const p = exponentialBackoff({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 });
    expect(p.delayMs(30)).toBe(1_000);
    expect(p.delayMs(4, 60_000)).toBe(1_000);
  });

  it('honours a Retry-After hint above the jittered pause', () => {
    const p = exponentialBackoff({ baseDelayMs: 100, maxDelayMs: 5_000, random: () => 0 });
    expect(p.delayMs(1, 2_000)).toBe(2_000);
    expect(p.delayMs(1, 10)).toBe(50);
  });

  it('spreads clients that failed together', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const p = exponentialBackoff({ baseDelayMs: 1_000, maxDelayMs: 1_000, random });
    const delays = new Set(Array.from({ length: 20 }, () => p.delayMs(1)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(500);
  });

  it('has a bound and refuses nonsense', () => {
    expect(exponentialBackoff().maxAttempts).toBe(4);
    expect(exponentialBackoff({ maxAttempts: 2 }).maxAttempts).toBe(2);
    expect(NO_RETRY.maxAttempts).toBe(1);
    expect(() => exponentialBackoff({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => exponentialBackoff({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(RangeError);
  });
});

describe('realSleep', () => {
  it('waits and can be aborted', async () => {
    await expect(realSleep(1)).resolves.toBeUndefined();
    const ac = new AbortController();
    const slept = realSleep(10_000, ac.signal);
    ac.abort();
    await expect(slept).rejects.toThrow();
  });
});
