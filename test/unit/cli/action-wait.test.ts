import { describe, expect, it } from 'vitest';
import {
  describeStatus,
  judgeAction,
  judgeScale,
  waitUntilDone,
  type StatusView,
} from '../../../src/cli/action-wait.ts';
import { EXIT, ExitCodeError } from '../../../src/cli/exit-codes.ts';

const T = 1_700_000_000_000;
const last = (outcome: 'accepted' | 'rejected', requestedAt = T, reason = 'ok') => ({
  lastAction: { action: 'STOP', withoutSavepoint: false, requestedAt, outcome, reason },
});

describe('judging an action', () => {
  const stop = { kind: 'job' as const, action: 'STOP', actionTimestamp: T };

  it('waits while the request is in the annotations or held by the supervisor', () => {
    expect(judgeAction(stop, { supervisorStatus: 'Started', requestedAction: { action: 'STOP' } })).toEqual({
      state: 'waiting',
      line: 'Started, Unknown, parallelism 0 (waiting for the supervisor to take the request)',
    });
    const held = judgeAction(stop, {
      supervisorStatus: 'Starting',
      pendingAction: { action: 'STOP' },
      ...last('accepted', T - 5),
    });
    expect(held).toMatchObject({ state: 'waiting' });
    expect((held as { line: string }).line).toContain('the supervisor holds STOP');
  });

  it('fails at once when the supervisor rejected this request', () => {
    expect(
      judgeAction(stop, { supervisorStatus: 'Stopped', ...last('rejected', T, 'already Stopped') }),
    ).toEqual({
      state: 'failed',
      reason: 'STOP was rejected: already Stopped',
    });
  });

  it('fails at once when this request was superseded by a newer one taken in the same step (K3)', () => {
    const savepoint = { kind: 'job' as const, action: 'TRIGGER_SAVEPOINT', actionTimestamp: T };
    expect(
      judgeAction(savepoint, {
        supervisorStatus: 'Stopping',
        ...last('accepted', T + 5),
        previousAction: {
          action: 'TRIGGER_SAVEPOINT',
          requestedAt: T,
          outcome: 'rejected',
          reason: 'superseded by STOP requested after it, before it could be taken',
        },
      }),
    ).toEqual({
      state: 'failed',
      reason:
        'TRIGGER_SAVEPOINT was rejected: superseded by STOP requested after it, before it could be taken',
    });
  });

  it('is done when the effect is there, not when the request was taken', () => {
    expect(judgeAction(stop, { supervisorStatus: 'Stopping', ...last('accepted') }).state).toBe('waiting');
    expect(judgeAction(stop, { supervisorStatus: 'Stopped', ...last('accepted') }).state).toBe('done');
    const start = { kind: 'job' as const, action: 'START', actionTimestamp: T };
    expect(
      judgeAction(start, { supervisorStatus: 'Started', jobStatus: 'CREATED', ...last('accepted') }).state,
    ).toBe('waiting');
    expect(
      judgeAction(start, { supervisorStatus: 'Started', jobStatus: 'RUNNING', ...last('accepted') }).state,
    ).toBe('done');
    const clusterStart = { kind: 'cluster' as const, action: 'START', actionTimestamp: T };
    expect(
      judgeAction(clusterStart, {
        supervisorStatus: 'Started',
        resourceStatus: 'Updating',
        ...last('accepted'),
      }).state,
    ).toBe('waiting');
    expect(
      judgeAction(clusterStart, {
        supervisorStatus: 'Started',
        resourceStatus: 'Updated',
        ...last('accepted'),
      }).state,
    ).toBe('done');
  });

  it('waits for a savepoint newer than the one before the request, with none in flight', () => {
    const before = { savepointPath: 'file:/sp/savepoint-1', savepointTimestamp: 'a' };
    const trigger = { kind: 'job' as const, action: 'TRIGGER_SAVEPOINT', actionTimestamp: T, before };
    const base = { supervisorStatus: 'Started', ...last('accepted') };
    expect(judgeAction(trigger, { ...base, ...before, savepointTriggerId: 'x' }).state).toBe('waiting');
    expect(judgeAction(trigger, { ...base, ...before }).state).toBe('waiting');
    expect(
      judgeAction(trigger, { ...base, savepointPath: 'file:/sp/savepoint-2', savepointTimestamp: 'b' }).state,
    ).toBe('done');
    const forget = { kind: 'job' as const, action: 'FORGET_SAVEPOINT', actionTimestamp: T };
    expect(judgeAction(forget, { ...base, savepointPath: '' }).state).toBe('done');
  });

  it('fails when the resource is being deleted before it took the request', () => {
    expect(judgeAction(stop, { supervisorStatus: 'Terminated' })).toEqual({
      state: 'failed',
      reason: 'the job was deleted',
    });
  });
});

describe('judging a scale', () => {
  it('waits until the supervisor saw the new generation, then for the new size to run', () => {
    const job = { kind: 'job' as const, generation: 3, parallelism: 2 };
    expect(
      judgeScale(job, {
        observedGeneration: 2,
        supervisorStatus: 'Started',
        jobStatus: 'RUNNING',
        jobParallelism: 1,
      }).state,
    ).toBe('waiting');
    expect(judgeScale(job, { observedGeneration: 3, supervisorStatus: 'Stopping' }).state).toBe('waiting');
    expect(
      judgeScale(job, {
        observedGeneration: 3,
        supervisorStatus: 'Started',
        jobStatus: 'RUNNING',
        jobParallelism: 2,
      }).state,
    ).toBe('done');
    expect(
      judgeScale({ ...job, parallelism: 0 }, { observedGeneration: 3, supervisorStatus: 'Stopped' }).state,
    ).toBe('done');
    const cluster = { kind: 'cluster' as const, generation: 5 };
    expect(
      judgeScale(cluster, { observedGeneration: 5, supervisorStatus: 'Started', resourceStatus: 'Updating' })
        .state,
    ).toBe('waiting');
    expect(
      judgeScale(cluster, { observedGeneration: 5, supervisorStatus: 'Started', resourceStatus: 'Updated' })
        .state,
    ).toBe('done');
  });

  it('describes a cluster and a job in one short line', () => {
    expect(
      describeStatus('cluster', {
        supervisorStatus: 'Started',
        resourceStatus: 'Updating',
        clusterHealth: 'HEALTHY',
        taskManagers: 2,
        taskManagerReplicas: 1,
      }),
    ).toBe('Started, Updating, HEALTHY, TaskManagers 1/2');
    expect(
      describeStatus('job', {
        supervisorStatus: 'Started',
        resourceStatus: 'Updated',
        jobStatus: 'RUNNING',
        jobParallelism: 2,
        savepointTriggerId: 't',
      }),
    ).toBe('Started, Updated, Flink RUNNING, parallelism 2, savepoint in flight');
  });
});

describe('waitUntilDone', () => {
  function fakeTime() {
    let now = 0;
    return { now: () => now, sleep: async (ms: number) => void (now += ms) };
  }

  it('prints a line when what it sees changes, and returns the final status', async () => {
    const statuses: StatusView[] = [
      { supervisorStatus: 'Started' },
      { supervisorStatus: 'Started' },
      { supervisorStatus: 'Stopping' },
      { supervisorStatus: 'Stopped' },
    ];
    const lines: string[] = [];
    const final = await waitUntilDone(
      'job demo/a',
      async () => statuses.shift() ?? {},
      (s) =>
        s['supervisorStatus'] === 'Stopped'
          ? { state: 'done', line: 'Stopped' }
          : { state: 'waiting', line: String(s['supervisorStatus']) },
      { timeoutMs: 60_000, progress: (l) => lines.push(l), ...fakeTime() },
    );
    expect(final).toEqual({ supervisorStatus: 'Stopped' });
    expect(lines).toEqual([
      'job demo/a: Started (0s)',
      'job demo/a: Stopping (2s)',
      'job demo/a: Stopped (3s)',
    ]);
  });

  it('ends with exit code 6 after the timeout, 5 when rejected, and keeps going through a failed read', async () => {
    const timeout = await waitUntilDone(
      'x',
      async () => ({}),
      () => ({ state: 'waiting', line: 'Starting' }),
      {
        timeoutMs: 5_000,
        progress: () => undefined,
        ...fakeTime(),
      },
    ).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(ExitCodeError);
    expect((timeout as ExitCodeError).exitCode).toBe(EXIT.timeout);
    expect((timeout as Error).message).toBe('x: not done after 5s; last seen: Starting');
    const rejected = await waitUntilDone(
      'x',
      async () => ({}),
      () => ({ state: 'failed', reason: 'no' }),
      {
        timeoutMs: 5_000,
        progress: () => undefined,
        ...fakeTime(),
      },
    ).catch((e: unknown) => e);
    expect((rejected as ExitCodeError).exitCode).toBe(EXIT.conflict);
    let reads = 0;
    const lines: string[] = [];
    await waitUntilDone(
      'x',
      async () => {
        reads++;
        if (reads === 1) throw new ExitCodeError('the JobManager is unavailable', EXIT.failure);
        return {};
      },
      () => ({ state: 'done', line: 'ok' }),
      { timeoutMs: 5_000, progress: (l) => lines.push(l), ...fakeTime() },
    );
    expect(lines[0]).toContain('cannot read the status: the JobManager is unavailable');
    const gone = await waitUntilDone(
      'x',
      async () => {
        throw new ExitCodeError('not found', EXIT.notFound);
      },
      () => ({ state: 'done', line: 'ok' }),
      { timeoutMs: 5_000, progress: () => undefined, ...fakeTime() },
    ).catch((e: unknown) => e);
    expect((gone as ExitCodeError).exitCode).toBe(EXIT.notFound);
  });
});
