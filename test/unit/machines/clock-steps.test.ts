// A wall clock stepped back (NTP, a resumed VM, a new leader whose clock is behind the last one's)
// must not make the machines deaf: an observation with an earlier `at` than the last one is news,
// not a stale repeat (the deterministic simulator's finding K4). Only the very same observation
// delivered again is ignored. Deadlines set before the step never pass early.
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import {
  SECOND,
  T0,
  baseJobContext,
  clusterObserved,
  clusterSnapshot,
  clusterView,
  jobObserved,
  jobSnapshot,
  runningClusterContext,
  step,
} from './support.ts';

/** The last observation came from a clock 200 s ahead; the clock now reads 190 s less. */
const AHEAD = T0 + 200 * SECOND;
const STEPPED_BACK = T0 + 10 * SECOND;

describe('a wall clock stepped back', () => {
  it('the job machine takes an observation with an earlier `at` (J.Starting.0 no longer ignores it)', () => {
    const from = jobSnapshot(
      { Starting: 'WaitingForCluster' },
      baseJobContext({ lastObservedAt: AHEAD, now: AHEAD }),
    );
    const { next, started } = step(jobMachine, from, jobObserved(STEPPED_BACK, { cluster: clusterView() }));
    expect(next.value).not.toEqual({ Starting: 'WaitingForCluster' });
    expect(started.length).toBeGreaterThan(0);
    // The machine's time never goes back; the observation it took is the one it remembers.
    const context = next.context as { now: number; lastObservedAt: number };
    expect(context.now).toBe(AHEAD);
    expect(context.lastObservedAt).toBe(STEPPED_BACK);
  });

  it('the same observation delivered again is still ignored', () => {
    const from = jobSnapshot(
      { Starting: 'WaitingForCluster' },
      baseJobContext({ lastObservedAt: STEPPED_BACK, now: AHEAD }),
    );
    const { next, started } = step(jobMachine, from, jobObserved(STEPPED_BACK, { cluster: clusterView() }));
    expect(next.value).toEqual({ Starting: 'WaitingForCluster' });
    expect(started).toEqual([]);
  });

  it('a deadline set before the step does not pass early', () => {
    const from = jobSnapshot(
      { Stopped: 'RestartPending' },
      baseJobContext({
        lastObservedAt: AHEAD,
        now: AHEAD,
        stopReason: 'Failed',
        deadlines: { restartTimeoutAt: null, restartAt: AHEAD + 10 * SECOND, savepointDueAt: null },
      }),
    );
    const { next } = step(
      jobMachine,
      from,
      jobObserved(STEPPED_BACK, {}, { restartPolicy: 'Always', restartDelaySeconds: 10 }),
    );
    expect(next.value).toEqual({ Stopped: 'RestartPending' });
  });

  it('the cluster machine takes an observation with an earlier `at` (C.Started.0 no longer ignores it)', () => {
    const from = clusterSnapshot('Started', runningClusterContext({ lastObservedAt: AHEAD, now: AHEAD }));
    const { next } = step(clusterMachine, from, clusterObserved(STEPPED_BACK, { deletionRequested: true }));
    expect(next.value).toHaveProperty('Stopping');
    expect((next.context as { lastObservedAt: number }).lastObservedAt).toBe(STEPPED_BACK);
  });
});
