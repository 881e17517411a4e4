import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/kube/clock.ts';
import { pollUntil, PollTimeoutError } from '../../../src/kube/wait-for.ts';

/** A clock whose sleeps pass at once, moving its time by the amount slept. */
function steppingClock(start = 0): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    setTimeout: () => ({ cancel: () => undefined }),
  };
}

describe('pollUntil', () => {
  it('returns the first value the probe gives, polling at the interval', async () => {
    const clock = steppingClock();
    let calls = 0;
    const value = await pollUntil('three calls', async () => (++calls === 3 ? 'ready' : undefined), {
      clock,
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(value).toBe('ready');
    expect(clock.slept).toEqual([100, 100]);
  });

  it('times out at the deadline with what it waited for and the last reason', async () => {
    const clock = steppingClock();
    const err = await pollUntil(
      'the CRD',
      async () => {
        throw new Error('not Established');
      },
      { clock, timeoutMs: 1000, intervalMs: 300 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PollTimeoutError);
    expect(String(err)).toContain('waiting for the CRD (last: not Established)');
    expect(clock.now()).toBeGreaterThanOrEqual(1000);
    expect(clock.now()).toBeLessThan(1300 + 300);
  });

  it('ends at once when abortIf names a reason, and when the signal is aborted', async () => {
    const clock = steppingClock();
    const fatal = await pollUntil('a process', async () => undefined, {
      clock,
      timeoutMs: 10_000,
      intervalMs: 10,
      abortIf: () => 'it exited with code 1',
    }).catch((e: unknown) => e);
    expect(String(fatal)).toContain('gave up waiting for a process: it exited with code 1');
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    const aborted = await pollUntil('anything', async () => 'never read', {
      clock,
      timeoutMs: 10_000,
      intervalMs: 10,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(String(aborted)).toContain('stopped');
  });
});
