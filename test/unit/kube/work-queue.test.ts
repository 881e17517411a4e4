import { describe, expect, it } from 'vitest';
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
