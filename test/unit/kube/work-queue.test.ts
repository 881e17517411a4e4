import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/kube/clock.ts';
import { TerminalError, WorkQueue } from '../../../src/kube/work-queue.ts';
import { ManualClock, flush } from '../../support/manual-clock.ts';

function queue(clock: ManualClock, reconcile: (key: string) => Promise<{ requeueAfterMs?: number } | void>) {
  const outcomes: string[] = [];
  const q = new WorkQueue({
    clock,
    reconcile,
    random: () => 0.5,
    baseBackoffMs: 1000,
    maxBackoffMs: 8000,
    onResult: (key, outcome) => outcomes.push(`${key}:${outcome}`),
  });
  q.start();
  return { q, outcomes };
}

describe('the work queue', () => {
  it('deduplicates a key and runs it again when it was added while running', async () => {
    const clock = new ManualClock();
    let release: () => void = () => undefined;
    const calls: string[] = [];
    const { q } = queue(clock, async (key) => {
      calls.push(key);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
    });
    q.add('ns/a');
    q.add('ns/a');
    await flush();
    q.add('ns/a'); // while running: dirty
    q.add('ns/a');
    release();
    await q.idle();
    await flush();
    expect(calls).toEqual(['ns/a', 'ns/a']);
  });

  it('backs off failures exponentially per key and resets after success', async () => {
    const clock = new ManualClock();
    let failures = 3;
    const at: number[] = [];
    const start = clock.now();
    const { q, outcomes } = queue(clock, async () => {
      at.push(clock.now() - start);
      if (failures-- > 0) throw new Error('api unavailable');
    });
    q.add('k');
    await clock.advance(20_000);
    expect(at).toEqual([0, 1000, 3000, 7000]);
    expect(outcomes).toEqual(['k:error', 'k:error', 'k:error', 'k:success']);
    expect(q.backoffFor('k')).toBe(1000);
  });

  it('never requeues a terminal error', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const { q, outcomes } = queue(clock, async () => {
      calls++;
      throw new TerminalError('invalid spec');
    });
    q.add('k');
    await clock.advance(60_000);
    expect(calls).toBe(1);
    expect(outcomes).toEqual(['k:terminal']);
  });

  it('requeues after the asked delay, the earliest request winning', async () => {
    const clock = new ManualClock();
    const at: number[] = [];
    const start = clock.now();
    const { q } = queue(clock, async () => {
      at.push(clock.now() - start);
      return at.length === 1 ? { requeueAfterMs: 5000 } : undefined;
    });
    q.add('k');
    await flush();
    q.addAfter('k', 9000);
    await clock.advance(10_000);
    expect(at).toEqual([0, 5000]);
  });
});

describe('the work queue after stop', () => {
  it('cancels a pending requeueAfterMs timer on stop and never runs it', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const { q } = queue(clock, async () => {
      calls++;
      return { requeueAfterMs: 5000 };
    });
    q.add('k');
    await flush();
    expect(calls).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    q.stop();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(60_000);
    expect(calls).toBe(1);
    expect(q.depth).toBe(0);
  });

  it('drops the requeue and backoff of a reconcile that finishes after stop', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const releases: ((r: { requeueAfterMs?: number }) => void)[] = [];
    const failures: ((e: Error) => void)[] = [];
    const { q } = queue(clock, (key) => {
      calls++;
      return new Promise((resolve, reject) => {
        if (key === 'a') releases.push(resolve);
        else failures.push(reject);
      });
    });
    q.add('a');
    q.add('b');
    await flush();
    expect(calls).toBe(1);
    q.stop();
    releases[0]?.({ requeueAfterMs: 1000 });
    await flush();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(60_000);
    expect(calls).toBe(1);
    expect(q.depth).toBe(1); // 'b' was added before stop, still waits for start()
    q.start();
    await flush();
    expect(calls).toBe(2);
    failures[0]?.(new Error('boom'));
    q.stop();
    await flush();
    expect(clock.pendingTimers).toBe(0);
    q.start();
    await clock.advance(60_000);
    expect(calls).toBe(2);
  });

  it('ignores a timer that fires after stop even when cancel lost the race', async () => {
    const manual = new ManualClock();
    // A clock whose cancel is too late: the callback was already due and still runs.
    const clock: Clock = {
      now: () => manual.now(),
      sleep: (ms) => manual.sleep(ms),
      setTimeout: (fn, ms) => {
        manual.setTimeout(fn, ms);
        return { cancel: () => {} };
      },
    };
    let calls = 0;
    const q = new WorkQueue({
      clock,
      reconcile: async () => {
        calls++;
        return calls === 1 ? { requeueAfterMs: 5000 } : undefined;
      },
    });
    q.start();
    q.add('k');
    await flush();
    expect(calls).toBe(1);
    q.stop();
    await manual.advance(10_000);
    q.start();
    await flush();
    expect(calls).toBe(1);
    expect(q.depth).toBe(0);
  });

  it('drain stops dispatching and resolves once the reconcile in flight has finished', async () => {
    const clock = new ManualClock();
    let release: (() => void) | undefined;
    let calls = 0;
    const { q } = queue(clock, () => {
      calls++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    q.add('a');
    q.add('b');
    await flush();
    let drained = false;
    const draining = q.drain().then(() => (drained = true));
    await flush();
    expect(drained).toBe(false);
    release?.();
    await draining;
    expect(drained).toBe(true);
    expect(calls).toBe(1); // 'b' is left for the next leader
    await expect(q.drain()).resolves.toBeUndefined(); // nothing running: at once
  });

  it('idle resolves once stopped with keys still queued: a leader that stepped down is not waited on forever', async () => {
    const clock = new ManualClock();
    let release: (() => void) | undefined;
    const { q } = queue(clock, () => new Promise<void>((resolve) => (release = resolve)));
    q.add('a');
    q.add('b');
    await flush();
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    q.stop();
    await flush();
    expect(idle).toBe(false); // 'a' still runs
    release?.();
    await waiting;
    expect(idle).toBe(true); // 'b' stays queued, never run
    q.add('c');
    await expect(q.idle()).resolves.toBeUndefined();
  });
});
