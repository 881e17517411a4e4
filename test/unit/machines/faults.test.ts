// One test per fault of the toolbox that issue 5 asks us to fix (docs/rules.md §14), driven
// through live actors with fake effects and an injected clock.
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import { ceilDiv, desiredTaskManagers } from '../../../src/machines/policies.ts';
import {
  ClusterDriver,
  FakeClock,
  FakeEffects,
  JobDriver,
  SECOND,
  T0,
  clusterObserved,
  clusterPolicy,
  clusterSnapshot,
  clusterView,
  liveCluster,
  liveJob,
  runningClusterContext,
  step,
} from './support.ts';

const MINUTE = 60 * SECOND;

function job(policy = {}, effects = new FakeEffects()) {
  const clock = new FakeClock(T0);
  const { actor, errors } = liveJob(effects, clock);
  return { driver: new JobDriver(actor, clock, policy), clock, effects, errors };
}

/** START on a stopped job, then the observations of a successful submission. */
async function runAgain(driver: JobDriver, withoutSavepoint = false): Promise<void> {
  await driver.request('START', withoutSavepoint);
  await driver.observe();
  await driver.observe({ flinkJob: 'NOT_FOUND' });
  await driver.observe({ flinkJob: 'RUNNING', bootstrap: 'active', bootstrapJobId: driver.context.jobId });
  expect(driver.value).toEqual({ Started: 'Running' });
}

describe('§14.1 TaskManager sizing uses ceiling division', () => {
  it('parallelism 4 with 3 slots per TaskManager needs 2 TaskManagers', () => {
    expect(ceilDiv(4, 3)).toBe(2);
    const policy = clusterPolicy({ taskSlots: 3, rescalePolicy: 'JobParallelism' });
    expect(desiredTaskManagers(policy, [{ state: 'Started', parallelism: 4 }])).toBe(2);
    expect(desiredTaskManagers({ ...policy, taskSlots: 4 }, [{ state: 'Starting', parallelism: 1 }])).toBe(1);
  });

  it('the cluster machine creates the second TaskManager', () => {
    const { next } = step(
      clusterMachine,
      clusterSnapshot({ Started: 'Idle' }, runningClusterContext({ taskSlots: 3 })),
      clusterObserved(
        T0 + SECOND,
        {
          taskManagers: { pods: 1, ready: 1 },
          flink: { reachable: true, slotsTotal: 3, jobs: [] },
          jobs: [{ name: 'a', state: 'Starting', parallelism: 4, jobId: null }],
        },
        { taskSlots: 3 },
      ),
    );
    expect(next.value).toEqual({ Started: 'AddingTaskManagers' });
    const children = (next as unknown as { children: Record<string, { getSnapshot(): { input: unknown } }> })
      .children;
    expect(children['addTaskManagers']?.getSnapshot().input).toMatchObject({
      desired: 2,
      removeIdleSurplus: false,
    });
  });
});

describe('§14.20 a job whose JobManager is gone does not wait forever to stop with a savepoint', () => {
  it('falls back to cancel, gives up after bounded time, says so, and resumes with its cluster', async () => {
    const effects = new FakeEffects().set('stopWithSavepoint', 'fail').set('cancelJob', 'fail');
    const { driver, clock, errors } = job({ savepointMode: 'Automatic', taskTimeoutSeconds: 300 }, effects);
    await driver.start();
    const pathBefore = driver.context.savepointPath;
    const gone = {
      cluster: clusterView({ state: 'Stopping', healthy: false, ready: false }),
      flinkJob: 'UNREACHABLE' as const,
    };
    const began = clock.now;
    await driver.observe(gone);
    expect(driver.value).toEqual({ Stopping: 'Idle' });
    for (let i = 0; i < 100 && !JSON.stringify(driver.value).includes('Stopped'); i += 1) {
      await clock.advance(10 * SECOND);
      await driver.observe(gone);
    }
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(clock.now - began).toBeLessThanOrEqual(2 * 300 * SECOND + 10 * SECOND);
    expect(driver.notices).toEqual(expect.arrayContaining(['StopWithSavepointFailed', 'CancelTimedOut']));
    expect(driver.notices.indexOf('StopWithSavepointFailed')).toBeLessThan(
      driver.notices.indexOf('CancelTimedOut'),
    );
    // Every retry used the same stop trigger id, and never the deprecated cancel-with-savepoint.
    const triggers = new Set(
      (effects.inputs('stopWithSavepoint') as { triggerId: string }[]).map((i) => i.triggerId),
    );
    expect(triggers.size).toBe(1);
    expect(effects.count('triggerSavepoint')).toBe(0);
    expect(effects.count('cancelJob')).toBeGreaterThan(0);
    expect(driver.context.stopReason).toBe('ClusterStopped');
    expect(driver.context.savepointPath).toBe(pathBefore);

    // The cluster comes back (next epoch): the job resumes from its last savepoint, no one intervenes.
    await driver.observe({ cluster: clusterView({ epoch: 2 }) });
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    expect(errors).toEqual([]);
  });

  it('the cluster stops waiting for its jobs after 3 × taskTimeout and restarts, saying so', async () => {
    const clock = new FakeClock(T0);
    const effects = new FakeEffects();
    const { actor } = liveCluster(effects, clock);
    const driver = new ClusterDriver(actor, clock, { taskTimeoutSeconds: 300 });
    await driver.start();
    const stuck = [{ name: 'a', state: 'Stopping' as const, parallelism: 2, jobId: 'job-a' }];
    await driver.observe({ jobManager: { pods: 0, ready: false }, flink: { reachable: false }, jobs: stuck });
    expect(driver.value).toEqual({ Stopping: 'WaitingForJobs' });
    expect(driver.context.stop).toMatchObject({ reason: 'JobManagerLost', restart: true });
    const deadline = driver.context.stop?.jobsDeadline as number;
    await clock.advance(deadline - 1 - clock.now);
    await driver.observe({ jobManager: { pods: 0, ready: false }, flink: { reachable: false }, jobs: stuck });
    expect(driver.value).toEqual({ Stopping: 'WaitingForJobs' });
    await clock.advance(1);
    expect(driver.value).toEqual({ Stopping: 'Removing' });
    expect(driver.notices).toContain('JobsDidNotStop');
    await driver.observe({ jobManager: { pods: 0, ready: false }, flink: { reachable: false }, jobs: stuck });
    expect(effects.count('deleteClusterResources')).toBe(1);
    await driver.observe({
      jobManager: { pods: 0, ready: false },
      jobManagerService: false,
      taskManagers: { pods: 0, ready: 0 },
      flink: { reachable: false },
      jobs: stuck,
    });
    expect(driver.value).toEqual({ Starting: 'Idle' });
    expect(driver.context.epoch).toBe(2);
  });
});

describe('§14.21 a job id Flink no longer knows is lost within one poll', () => {
  it('OnlyIfFailed restarts it after restartDelay, with a new job id', async () => {
    const { driver, clock } = job({ restartPolicy: 'OnlyIfFailed', restartDelaySeconds: 60 });
    await driver.start();
    const lostId = driver.context.jobId;
    await driver.observeRunning({ flinkJob: 'NOT_FOUND' });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(driver.context.stopReason).toBe('Lost');
    expect(driver.notices).toContain('JobLost');
    await driver.observe();
    expect(driver.value).toEqual({ Stopped: 'RestartPending' });
    expect(driver.context.deadlines.restartAt).toBe(driver.context.enteredAt + MINUTE);
    await clock.advance((driver.context.deadlines.restartAt as number) - clock.now);
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    await driver.observe();
    await driver.observe({ flinkJob: 'NOT_FOUND' });
    expect(driver.context.jobId).not.toBe(lostId);
    expect(driver.context.jobId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('Never leaves it stopped', async () => {
    const { driver, clock } = job({ restartPolicy: 'Never' });
    await driver.start();
    await driver.observeRunning({ flinkJob: 'NOT_FOUND' });
    await clock.advance(60 * MINUTE);
    await driver.observe();
    expect(driver.value).toEqual({ Stopped: 'Idle' });
  });
});

describe('§14.8 / §14.5 stop uses stop-with-savepoint; withoutSavepoint applies to one action', () => {
  it('STOP sends POST /jobs/:id/stop (drain=false), never cancel-with-savepoint', async () => {
    const { driver, effects } = job({ savepointMode: 'Automatic' });
    await driver.start();
    const jobId = driver.context.jobId;
    await driver.request('STOP');
    await driver.observeRunning();
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    const [stop] = effects.inputs('stopWithSavepoint') as { triggerId: string }[];
    expect(stop).toEqual({
      jobId,
      triggerId: expect.stringMatching(/^[0-9a-f]{32}$/),
      targetDirectory: 's3://savepoints',
      drain: false,
    });
    expect(effects.inputs('awaitSavepoint')).toEqual([{ jobId, triggerId: stop?.triggerId }]);
    expect(effects.count('triggerSavepoint')).toBe(0);
    expect(effects.count('cancelJob')).toBe(0);
    expect(driver.context.savepointPath).toBe('s3://savepoints/sp-new');
    expect(driver.context.jobId).toBeNull();
  });

  it('STOP withoutSavepoint cancels once; the next STOP takes a savepoint again', async () => {
    const { driver, effects } = job({ savepointMode: 'Automatic' });
    await driver.start();
    await driver.request('STOP', true);
    await driver.observeRunning();
    expect(effects.count('cancelJob')).toBe(1);
    expect(effects.count('stopWithSavepoint')).toBe(0);
    await driver.observe({ flinkJob: 'CANCELED' });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    await runAgain(driver);
    await driver.request('STOP');
    await driver.observeRunning();
    expect(effects.count('stopWithSavepoint')).toBe(1);
    expect(effects.count('cancelJob')).toBe(1);
  });

  it('START withoutSavepoint starts stateless once; later starts use new savepoints', async () => {
    const { driver, effects } = job({ savepointMode: 'Automatic' });
    await driver.start();
    await driver.request('STOP');
    await driver.observeRunning();
    await runAgain(driver, true);
    expect(effects.inputs('createBootstrap').at(-1)).toMatchObject({ savepointPath: null });
    await driver.request('STOP');
    await driver.observeRunning();
    await runAgain(driver);
    expect(effects.inputs('createBootstrap').at(-1)).toMatchObject({
      savepointPath: 's3://savepoints/sp-new',
    });
  });
});

describe('§14.9 timeouts count from entering the state, not from the last status change', () => {
  it('churn while launching does not move the start deadline', async () => {
    const { driver, clock } = job({ restartTimeoutSeconds: 180 });
    await driver.observe();
    await clock.advance(SECOND);
    await driver.observe();
    const launchedAt = clock.now;
    expect(driver.value).toEqual({ Starting: { Launching: 'Idle' } });
    const churn = [
      { bootstrap: 'succeeded' as const, bootstrapJobId: 'stale' },
      { flinkJob: 'NOT_FOUND' as const },
      { flinkJob: 'UNREACHABLE' as const, cluster: clusterView({ ready: false }) },
      { flinkJob: 'NOT_FOUND' as const },
    ];
    for (const observation of churn) {
      await clock.advance(30 * SECOND);
      await driver.observe({ ...observation });
      expect(driver.context.deadlines.restartTimeoutAt).toBe(launchedAt + 180 * SECOND);
    }
    await clock.advance(launchedAt + 180 * SECOND - 1 - clock.now);
    expect(JSON.stringify(driver.value)).toContain('Starting');
    await clock.advance(1);
    expect(driver.value).toEqual({ Stopping: 'Idle' });
  });

  it('observations while stopped do not postpone the restart', async () => {
    const { driver, clock } = job({ restartPolicy: 'Always', restartDelaySeconds: 60 });
    await driver.start();
    await driver.observeRunning({ flinkJob: 'FINISHED' });
    const stoppedAt = driver.context.enteredAt;
    for (let i = 0; i < 5; i += 1) {
      await clock.advance(10 * SECOND);
      await driver.observe({ flinkJob: i % 2 === 0 ? 'FINISHED' : 'UNREACHABLE' });
    }
    expect(driver.context.deadlines.restartAt).toBe(stoppedAt + 60 * SECOND);
    await clock.advance(stoppedAt + 60 * SECOND - clock.now);
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
  });
});

describe('§14.6 a manual STOP stays stopped, even with restartPolicy Always (ADR 0002)', () => {
  it('no restart after hours, nor when the cluster restarts; START starts it', async () => {
    const { driver, clock } = job({ restartPolicy: 'Always', restartDelaySeconds: 60 });
    await driver.start();
    await driver.request('STOP');
    await driver.observeRunning();
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(driver.context.stopReason).toBe('Manual');
    for (let i = 0; i < 12; i += 1) {
      await clock.advance(10 * MINUTE);
      await driver.observe();
      expect(driver.value).toEqual({ Stopped: 'Idle' });
    }
    await driver.observe({ cluster: clusterView({ epoch: 2 }) });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(clock.pending).toBe(0);
    await driver.request('START');
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
  });

  it('while a job stopped by its cluster resumes with the cluster, whatever its policy', async () => {
    const { driver } = job({ restartPolicy: 'Never' });
    await driver.start();
    await driver.observeRunning({
      cluster: clusterView({ state: 'Stopping', healthy: false, ready: false }),
    });
    await driver.observeRunning({
      cluster: clusterView({ state: 'Stopping', healthy: false, ready: false }),
    });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(driver.context.stopReason).toBe('ClusterStopped');
    expect(driver.context.savepointPath).toBe('s3://savepoints/sp-new');
    await driver.observe({ cluster: clusterView({ epoch: 2 }) });
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
  });
});
