// A wall clock stepped back (NTP, a resumed VM, a new leader whose clock is behind the last one's)
// must not make the machines deaf: an observation with an earlier `at` than the last one is news,
// not a stale repeat (the deterministic simulator's finding K4). Only the very same observation
// delivered again is ignored. Deadlines set before the step move back by it (K7): never early, and
// no longer the whole step late.
import { describe, expect, it } from 'vitest';
import { clusterMachine, type ClusterContext } from '../../../src/machines/cluster-machine.ts';
import { jobMachine, type JobContext } from '../../../src/machines/job-machine.ts';
import {
  SECOND,
  T0,
  baseJobContext,
  clusterObserved,
  clusterSnapshot,
  clusterView,
  jobObserved,
  jobSnapshot,
  requested,
  runningClusterContext,
  runningJobContext,
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
    // A new epoch of the wall clock: the machine's time follows the observation back.
    const context = next.context as { now: number; lastObservedAt: number };
    expect(context.now).toBe(STEPPED_BACK);
    expect(context.lastObservedAt).toBe(STEPPED_BACK);
  });

  it('deadlines set after the step count from the stepped-back clock, not from the time seen before it', () => {
    // Seed 100068: a leader 247 s ahead stored its time; its successor, on a true clock, saw the job
    // lost and scheduled the restart restartDelay after the old leader's time: 190 s late.
    const from = jobSnapshot(
      { Started: 'Running' },
      runningJobContext({ lastObservedAt: AHEAD, now: AHEAD }),
    );
    const { next } = step(
      jobMachine,
      from,
      jobObserved(
        STEPPED_BACK,
        { flinkJob: 'FAILED', specDigest: 'bootstrap-1' },
        { restartPolicy: 'Always', restartDelaySeconds: 5 },
      ),
    );
    const context = next.context as JobContext;
    expect(next.value).toHaveProperty('Stopped');
    expect(context.enteredAt).toBe(STEPPED_BACK);
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

  it('a deadline set before the step moves back by it, and passes on time, not the step late (K7)', () => {
    // The restart was due 10 s after the last observation of the clock that ran ahead.
    const from = jobSnapshot(
      { Stopped: 'RestartPending' },
      baseJobContext({
        lastObservedAt: AHEAD,
        now: AHEAD,
        stopReason: 'Failed',
        deadlines: { restartTimeoutAt: null, restartAt: AHEAD + 10 * SECOND, savepointDueAt: null },
      }),
    );
    const policy = { restartPolicy: 'Always', restartDelaySeconds: 10 } as const;
    const first = step(jobMachine, from, jobObserved(STEPPED_BACK, {}, policy)).next;
    expect((first.context as JobContext).deadlines.restartAt).toBe(STEPPED_BACK + 10 * SECOND);
    // Not early: one second before the moved deadline it still waits; at it, the job restarts.
    const before = step(jobMachine, first, jobObserved(STEPPED_BACK + 9 * SECOND, {}, policy)).next;
    expect(before.value).toEqual({ Stopped: 'RestartPending' });
    const due = step(jobMachine, before, jobObserved(STEPPED_BACK + 10 * SECOND, {}, policy)).next;
    expect(due.value).toHaveProperty('Starting');
  });

  it("the cluster's deadlines move back by the step too", () => {
    const from = clusterSnapshot(
      'Started',
      runningClusterContext({
        lastObservedAt: AHEAD,
        now: AHEAD,
        deadlines: { startTimeoutAt: null, unhealthyAt: null, scaleDownAt: AHEAD + 60 * SECOND },
      }),
    );
    const { next } = step(clusterMachine, from, clusterObserved(STEPPED_BACK, {}));
    expect((next.context as ClusterContext).deadlines.scaleDownAt).toBe(STEPPED_BACK + 60 * SECOND);
  });

  it('a clock that moves forward moves no deadline', () => {
    const from = jobSnapshot(
      { Stopped: 'RestartPending' },
      baseJobContext({
        lastObservedAt: T0,
        now: T0,
        stopReason: 'Failed',
        deadlines: { restartTimeoutAt: null, restartAt: T0 + 10 * SECOND, savepointDueAt: null },
      }),
    );
    const { next } = step(
      jobMachine,
      from,
      jobObserved(T0 + 5 * SECOND, {}, { restartPolicy: 'Always', restartDelaySeconds: 10 }),
    );
    expect((next.context as JobContext).deadlines.restartAt).toBe(T0 + 10 * SECOND);
  });

  it('the cluster machine takes an observation with an earlier `at` (C.Started.0 no longer ignores it)', () => {
    const from = clusterSnapshot('Started', runningClusterContext({ lastObservedAt: AHEAD, now: AHEAD }));
    const { next } = step(clusterMachine, from, clusterObserved(STEPPED_BACK, { deletionRequested: true }));
    expect(next.value).toHaveProperty('Stopping');
    expect((next.context as { lastObservedAt: number }).lastObservedAt).toBe(STEPPED_BACK);
  });
});

describe('a request stamped by a clock behind the one that stamped the previous request', () => {
  const stoppedByRequest = (requestedAt: number) =>
    baseJobContext({
      now: AHEAD,
      lastObservedAt: AHEAD,
      stopReason: 'Manual',
      lastAction: {
        action: 'STOP',
        withoutSavepoint: false,
        requestedAt,
        outcome: 'accepted',
        reason: 'accepted',
        at: AHEAD,
      },
    });

  it("is a new request, taken and answered (the simulator's finding K1)", () => {
    // The STOP was stamped by a leader whose clock ran ahead; the START by one with a true clock.
    const from = jobSnapshot({ Stopped: 'Idle' }, stoppedByRequest(AHEAD));
    const { next } = step(jobMachine, from, requested('START', STEPPED_BACK));
    const context = next.context as JobContext;
    expect(context.lastAction).toMatchObject({
      action: 'START',
      requestedAt: STEPPED_BACK,
      outcome: 'accepted',
    });
    expect(next.value).toHaveProperty('Starting');
  });

  it('the very request seen last (same stamp, same action) is still taken once only', () => {
    const from = jobSnapshot({ Stopped: 'Idle' }, stoppedByRequest(STEPPED_BACK));
    const { next } = step(jobMachine, from, requested('STOP', STEPPED_BACK));
    expect(next.value).toEqual({ Stopped: 'Idle' });
    expect((next.context as JobContext).lastAction).toMatchObject({
      action: 'STOP',
      requestedAt: STEPPED_BACK,
    });
  });

  it('the cluster machine takes it too', () => {
    const from = clusterSnapshot(
      'Started',
      runningClusterContext({
        now: AHEAD,
        lastObservedAt: AHEAD,
        lastAction: {
          action: 'START',
          withoutSavepoint: false,
          requestedAt: AHEAD,
          outcome: 'accepted',
          reason: 'accepted',
          at: AHEAD,
        },
      }),
    );
    const { next } = step(clusterMachine, from, requested('STOP', STEPPED_BACK));
    expect((next.context as ClusterContext).lastAction).toMatchObject({
      action: 'STOP',
      requestedAt: STEPPED_BACK,
    });
  });
});
