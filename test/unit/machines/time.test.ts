// Time-based rules with an injected clock: waitUntil is a fake that resolves when the test moves
// the clock, so delays and timeouts are checked to the millisecond without real sleeping.
import { describe, expect, it } from 'vitest';
import {
  ClusterDriver,
  FakeClock,
  FakeEffects,
  JobDriver,
  SECOND,
  T0,
  liveCluster,
  liveJob,
} from './support.ts';

function job(policy = {}, effects = new FakeEffects()) {
  const clock = new FakeClock(T0);
  const { actor, errors } = liveJob(effects, clock);
  return { driver: new JobDriver(actor, clock, policy), clock, effects, errors };
}

describe('job timing', () => {
  it('restarts a failed job restartDelay after it stopped, with no further observation', async () => {
    const { driver, clock, errors } = job({ restartPolicy: 'OnlyIfFailed', restartDelaySeconds: 60 });
    await driver.start();
    await clock.advance(10 * SECOND);
    await driver.observeRunning({ flinkJob: 'FAILED' });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    const stoppedAt = driver.context.enteredAt;
    await clock.advance(SECOND);
    await driver.observe();
    expect(driver.value).toEqual({ Stopped: 'RestartPending' });
    await clock.advance(stoppedAt + 60 * SECOND - 1 - clock.now);
    expect(driver.value).toEqual({ Stopped: 'RestartPending' });
    await clock.advance(1);
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    expect(driver.notices).toContain('RestartedByPolicy');
    expect(errors).toEqual([]);
  });

  it('aborts a start that does not run within restartTimeout', async () => {
    const { driver, clock } = job({ restartTimeoutSeconds: 180 });
    await driver.observe();
    await clock.advance(5 * SECOND);
    await driver.observe();
    const launchedAt = clock.now;
    await clock.advance(5 * SECOND);
    await driver.observe({ flinkJob: 'NOT_FOUND' });
    expect(driver.value).toEqual({ Starting: { Launching: 'Submitted' } });
    const deadline = driver.context.deadlines.restartTimeoutAt as number;
    expect(deadline).toBe(launchedAt + 180 * SECOND);
    await clock.advance(deadline - 1 - clock.now);
    expect(driver.value).toEqual({ Starting: { Launching: 'Submitted' } });
    await clock.advance(1);
    expect(driver.value).toEqual({ Stopping: 'Idle' });
    expect(driver.context.stop?.reason).toBe('StartTimedOut');
  });

  it('takes a periodic savepoint every savepointInterval', async () => {
    const { driver, clock, effects } = job({ savepointIntervalSeconds: 60 });
    await driver.start();
    const startedAt = driver.context.enteredAt;
    await clock.advance(startedAt + 60 * SECOND - 1 - clock.now);
    expect(effects.count('triggerSavepoint')).toBe(0);
    await clock.advance(1);
    expect(effects.count('triggerSavepoint')).toBe(1);
    expect(driver.value).toEqual({ Started: 'Running' });
    expect(driver.context.savepointPath).toBe('s3://savepoints/sp-new');
    await clock.advance(60 * SECOND);
    expect(effects.count('triggerSavepoint')).toBe(2);
    const [first, second] = effects.inputs('triggerSavepoint') as { triggerId: string }[];
    expect(first?.triggerId).not.toBe(second?.triggerId);
  });

  it('abandons a savepoint that does not complete within taskTimeout; the job keeps running', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', 'hold');
    const { driver, clock } = job({ taskTimeoutSeconds: 300, savepointIntervalSeconds: 0 }, effects);
    await driver.start();
    await driver.request('TRIGGER_SAVEPOINT');
    expect(driver.value).toEqual({ Started: { Savepointing: 'Awaiting' } });
    const savepoint = driver.context.savepoint;
    expect(savepoint?.deadline).toBe((savepoint?.requestedAt ?? 0) + 300 * SECOND);
    await clock.advance((savepoint?.deadline ?? 0) - 1 - clock.now);
    expect(driver.value).toEqual({ Started: { Savepointing: 'Awaiting' } });
    await clock.advance(1);
    expect(driver.value).toEqual({ Started: 'Running' });
    expect(driver.context.savepoint).toBeNull();
    expect(driver.notices).toContain('SavepointAbandoned');
    expect(effects.count('cancelJob') + effects.count('stopWithSavepoint')).toBe(0);
  });
});

describe('cluster timing', () => {
  function cluster(policy = {}, effects = new FakeEffects()) {
    const clock = new FakeClock(T0);
    const { actor } = liveCluster(effects, clock);
    return { driver: new ClusterDriver(actor, clock, policy), clock, effects };
  }

  it('removes idle surplus TaskManagers rescaleDelay after the surplus appeared', async () => {
    const { driver, clock, effects } = cluster({ rescaleDelaySeconds: 60 });
    await driver.start();
    expect(driver.value).toEqual({ Started: 'Idle' });
    await driver.observe({ taskManagers: { pods: 3, ready: 3 } });
    expect(driver.value).toEqual({ Started: 'ScaleDownPending' });
    await clock.advance(60 * SECOND - 2);
    expect(effects.count('scaleTaskManagers')).toBe(0);
    await driver.observe({ taskManagers: { pods: 3, ready: 3 } });
    expect(driver.value).toEqual({ Started: 'ScaleDownPending' });
    await clock.advance(10);
    expect(effects.inputs('scaleTaskManagers')).toEqual([
      { epoch: 1, taskSlots: 2, desired: 1, removeIdleSurplus: true },
    ]);
  });

  it('restarts the cluster when the REST API stays unreachable for taskTimeout', async () => {
    const { driver, clock } = cluster({ taskTimeoutSeconds: 300 });
    await driver.start();
    await driver.observe({ flink: { reachable: false } });
    expect(driver.value).toEqual({ Started: 'Unreachable' });
    const since = driver.context.unreachableSince ?? 0;
    expect(driver.context.deadlines.unhealthyAt).toBe(since + 300 * SECOND);
    await clock.advance(since + 299 * SECOND - clock.now);
    await driver.observe({ flink: { reachable: false } });
    expect(driver.value).toEqual({ Started: 'Unreachable' });
    await clock.advance(SECOND);
    expect(driver.value).toEqual({ Stopping: 'WaitingForJobs' });
    expect(driver.context.stop).toMatchObject({ reason: 'Unhealthy', restart: true });
  });

  it('keeps the cluster when the REST API answers again before taskTimeout', async () => {
    const { driver, clock } = cluster({ taskTimeoutSeconds: 300 });
    await driver.start();
    await driver.observe({ flink: { reachable: false } });
    await clock.advance(200 * SECOND);
    await driver.observe();
    expect(driver.value).toEqual({ Started: 'Idle' });
    await clock.advance(200 * SECOND);
    expect(driver.value).toEqual({ Started: 'Idle' });
    expect(clock.pending).toBe(0);
  });
});
