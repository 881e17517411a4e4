// Upgrade modes end to end on the job machine (docs/upgrades.md): a spec change restarts the job by
// its upgradeMode, falls back from a failed savepoint to a young enough checkpoint, and otherwise
// stops and asks. Also the two savepoint bugs of issue 16: a stop-with-savepoint whose outcome was
// not read before a long Flink outage, and a savepoint whose status could not be read once.
import { describe, expect, it } from 'vitest';
import type { CompletedSnapshot, JobObservation } from '../../../src/machines/observations.ts';
import type { JobPolicy } from '../../../src/machines/policies.ts';
import { FakeClock, FakeEffects, JobDriver, SECOND, T0, liveJob } from './support.ts';

const CHANGED = { specDigest: 'bootstrap-2' } as const;

function job(policy: Partial<JobPolicy> = {}, effects = new FakeEffects()) {
  const clock = new FakeClock(T0);
  const { actor, errors } = liveJob(effects, clock);
  return { driver: new JobDriver(actor, clock, policy), clock, effects, errors };
}

/** A running job whose spec changes: the observations that stop it (Stopping from Started). */
async function changeSpec(driver: JobDriver, observation: Partial<JobObservation> = {}): Promise<void> {
  await driver.observeRunning({ ...CHANGED, ...observation });
  expect(driver.value).toMatchObject({ Stopping: expect.anything() });
}

/** From Starting: the observations of a resubmission with the changed spec. */
async function resubmit(driver: JobDriver): Promise<void> {
  await driver.observe(CHANGED);
  await driver.observe({ ...CHANGED, flinkJob: 'NOT_FOUND' });
  expect(driver.value).toEqual({ Starting: { Launching: 'Submitted' } });
}

/** The order of the effects of interest, as called. */
function order(effects: FakeEffects, ...srcs: string[]): string[] {
  return effects.calls.map((call) => call.src).filter((src) => srcs.includes(src));
}

function lastBootstrap(effects: FakeEffects): unknown {
  return effects.inputs('createBootstrap').at(-1);
}

describe('upgradeMode savepoint (the default)', () => {
  it('stops with a savepoint, drained per drainOnStop, and resubmits from it; restoredFrom names it', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', {
      status: 'COMPLETED',
      location: 's3://savepoints/upgrade',
    });
    const { driver, errors } = job({ drainOnStop: true }, effects);
    await driver.start();
    expect(driver.context.restoredFrom).toEqual({ path: null, kind: 'none' });
    await changeSpec(driver);
    await driver.observeRunning(CHANGED);
    expect(effects.inputs('stopWithSavepoint')).toEqual([expect.objectContaining({ drain: true })]);
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://savepoints/upgrade' });
    expect(driver.context.restoredFrom).toEqual({ path: 's3://savepoints/upgrade', kind: 'savepoint' });
    expect(driver.notices).toContain('RestoringState');
    expect(driver.context.notice?.message).toContain('from savepoint s3://savepoints/upgrade');
    expect(errors).toEqual([]);
  });

  it('drain is off unless asked', async () => {
    const { driver, effects } = job();
    await driver.start();
    await driver.request('STOP');
    await driver.observeRunning();
    expect(effects.inputs('stopWithSavepoint')).toEqual([expect.objectContaining({ drain: false })]);
  });

  it('a failed savepoint falls back to the newest checkpoint within maxCheckpointAge, recorded before the cancel', async () => {
    const effects = new FakeEffects()
      .set('awaitSavepoint', { status: 'FAILED', reason: 'target directory not writable' })
      .set('readSnapshots', 'fail');
    const { driver, clock, errors } = job({ maxCheckpointAgeSeconds: 600 }, effects);
    await driver.start();
    const checkpoint: CompletedSnapshot = { path: 's3://checkpoints/chk-42', completedAt: clock.now };
    await driver.observeRunning({ latestCheckpoint: checkpoint });
    expect(driver.context.lastCheckpoint).toEqual(checkpoint);
    await clock.advance(120 * SECOND);
    await changeSpec(driver);
    await driver.observeRunning(CHANGED); // stop-with-savepoint, which fails
    expect(driver.value).toEqual({ Stopping: 'Idle' });
    expect(driver.notices).toContain('StopWithSavepointFailed');
    await driver.observeRunning(CHANGED); // JobManager unreachable for the read: the recorded checkpoint
    expect(driver.context.stop?.checkpoint).toEqual(checkpoint);
    await driver.observeRunning(CHANGED); // cancel
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    // Recorded before the cancel; read again after it (J.Stopping.D4): Flink does not answer, the
    // choice stands (J.Stopping.K8), nothing more to record.
    expect(order(effects, 'persist', 'cancelJob').slice(-2)).toEqual(['persist', 'cancelJob']);
    expect(effects.count('readSnapshots')).toBe(2);
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://checkpoints/chk-42' });
    expect(driver.context.restoredFrom).toEqual({ path: 's3://checkpoints/chk-42', kind: 'checkpoint' });
    expect(errors).toEqual([]);
  });

  it('no savepoint and no young checkpoint: stops and asks, never starts empty; START --without-savepoint does', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', { status: 'FAILED', reason: 'declined' });
    const { driver, clock, errors } = job({ maxCheckpointAgeSeconds: 60 }, effects);
    await driver.start();
    await driver.observeRunning({
      latestCheckpoint: { path: 's3://checkpoints/old', completedAt: clock.now },
    });
    await clock.advance(3600 * SECOND);
    await changeSpec(driver);
    await driver.observeRunning(CHANGED);
    await driver.observeRunning(CHANGED); // Flink names no newer checkpoint: stop and ask
    expect(driver.context.notice?.reason).toBe('SnapshotUnavailable');
    expect(driver.context.notice?.message).toContain('s3://checkpoints/old');
    await driver.observeRunning(CHANGED);
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(driver.context.stopReason).toBe('SnapshotUnavailable');
    const submissions = effects.count('createBootstrap');
    await clock.advance(3600 * SECOND);
    await driver.observe(CHANGED, { restartPolicy: 'Always' });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(effects.count('createBootstrap')).toBe(submissions);
    await driver.request('START', true);
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: null });
    expect(driver.context.restoredFrom).toEqual({ path: null, kind: 'none' });
    expect(errors).toEqual([]);
  });

  it("a failed savepoint with no checkpoint yet falls back to the job's own savepoint within maxCheckpointAge", async () => {
    // A job restored from a savepoint a moment ago has completed no checkpoint; Flink refuses a
    // savepoint until all its tasks run. The state it restored from is then the newest there is.
    let awaited = 0;
    const effects = new FakeEffects()
      .set('awaitSavepoint', () =>
        ++awaited === 1
          ? { status: 'COMPLETED', location: 's3://savepoints/own' }
          : { status: 'FAILED', reason: 'not all required tasks are currently running' },
      )
      .set('readSnapshots', { checkpoint: null, savepoint: null });
    const { driver, clock, errors } = job({ maxCheckpointAgeSeconds: 600 }, effects);
    await driver.start();
    await driver.request('TRIGGER_SAVEPOINT');
    await driver.observeRunning();
    await driver.observeRunning();
    expect(driver.context.savepointPath).toBe('s3://savepoints/own');
    await clock.advance(30 * SECOND);
    await changeSpec(driver);
    await driver.observeRunning(CHANGED); // stop-with-savepoint, which Flink refuses
    await driver.observeRunning(CHANGED); // no checkpoint: the job's own savepoint
    expect(driver.context.stop?.checkpoint?.path).toBe('s3://savepoints/own');
    await driver.observeRunning(CHANGED); // cancel
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://savepoints/own' });
    expect(driver.context.restoredFrom).toEqual({ path: 's3://savepoints/own', kind: 'savepoint' });
    expect(driver.context.stopReason).not.toBe('SnapshotUnavailable');
    expect(errors).toEqual([]);
  });

  it('after a stop-and-ask, START restores the snapshot the user names in initialSavepointPath', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', { status: 'FAILED', reason: 'declined' });
    const { driver, errors } = job({}, effects);
    await driver.start();
    await changeSpec(driver);
    await driver.observeRunning(CHANGED);
    await driver.observeRunning(CHANGED);
    await driver.observeRunning(CHANGED);
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    expect(driver.context.stopReason).toBe('SnapshotUnavailable');
    driver.policy = { initialSavepointPath: 's3://savepoints/chosen' };
    await driver.observe(CHANGED);
    await driver.request('START');
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://savepoints/chosen' });
    expect(errors).toEqual([]);
  });
});

describe('upgradeMode last-state', () => {
  it('takes no savepoint: records the newest checkpoint Flink names, then cancels and resubmits from it', async () => {
    const newest = { path: 's3://checkpoints/chk-9', completedAt: T0 + 5 * SECOND };
    const effects = new FakeEffects().set('readSnapshots', { checkpoint: newest, savepoint: null });
    const { driver, clock, errors } = job({ upgradeMode: 'last-state' }, effects);
    await driver.start();
    await clock.advance(10 * SECOND);
    await changeSpec(driver);
    await driver.observeRunning(CHANGED); // choose and record
    await driver.observeRunning(CHANGED); // cancel
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    expect(effects.count('stopWithSavepoint')).toBe(0);
    // Read again after the cancel: Flink names the same one, the choice stands (J.Stopping.K7).
    expect(order(effects, 'persist', 'cancelJob').slice(-2)).toEqual(['persist', 'cancelJob']);
    expect(effects.count('readSnapshots')).toBe(2);
    const persisted = effects.inputs('persist').at(-1) as { envelope: { context: { stop: unknown } } };
    expect(persisted.envelope.context.stop).toMatchObject({ checkpoint: newest });
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://checkpoints/chk-9' });
    expect(driver.notices).toContain('CheckpointChosen');
    expect(errors).toEqual([]);
  });

  it('after the cancel, restores the newest checkpoint Flink retained, not the one chosen while the job ran (subsumed since)', async () => {
    // Flink keeps state.checkpoints.num-retained checkpoints (1 by default): the one chosen while
    // the job ran is deleted when the next completes, before the cancel lands.
    const chosen = { path: 's3://checkpoints/chk-9', completedAt: T0 + 5 * SECOND };
    const retained = { path: 's3://checkpoints/chk-10', completedAt: T0 + 7 * SECOND };
    const effects = new FakeEffects().set('readSnapshots', { checkpoint: chosen, savepoint: null });
    const { driver, clock, errors } = job({ upgradeMode: 'last-state' }, effects);
    await driver.start();
    await clock.advance(10 * SECOND);
    await changeSpec(driver);
    await driver.observeRunning(CHANGED); // choose chk-9 and record it
    expect(driver.context.stop?.checkpoint).toEqual(chosen);
    effects.set('readSnapshots', { checkpoint: retained, savepoint: null });
    await driver.observeRunning(CHANGED); // cancel; chk-10 completes meanwhile
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    const persisted = effects.inputs('persist').at(-1) as { envelope: { context: { stop: unknown } } };
    expect(persisted.envelope.context.stop).toMatchObject({
      checkpoint: retained,
      checkpointConfirmed: true,
    });
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://checkpoints/chk-10' });
    expect(driver.context.restoredFrom).toEqual({ path: 's3://checkpoints/chk-10', kind: 'checkpoint' });
    expect(effects.count('readSnapshots')).toBe(2);
    expect(errors).toEqual([]);
  });

  it('with the JobManager gone, restores the checkpoint recorded from the watch earlier', async () => {
    const effects = new FakeEffects().set('readSnapshots', 'fail').set('cancelJob', 'fail');
    const { driver, clock } = job({ upgradeMode: 'last-state' }, effects);
    await driver.start();
    const recorded = { path: 's3://checkpoints/chk-3', completedAt: clock.now };
    await driver.observeRunning({ latestCheckpoint: recorded });
    await clock.advance(30 * SECOND);
    await changeSpec(driver, { flinkJob: 'UNREACHABLE' });
    await driver.observe({ ...CHANGED, flinkJob: 'UNREACHABLE' });
    expect(driver.context.stop?.checkpoint).toEqual(recorded);
    // The JobManager is gone for good: the cluster restarts it; the restart restores the checkpoint.
    await driver.observe({ ...CHANGED, flinkJob: 'NOT_FOUND' });
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://checkpoints/chk-3' });
  });
});

describe('upgradeMode stateless', () => {
  it('cancels without a savepoint and resubmits without state', async () => {
    const { driver, effects, errors } = job({ upgradeMode: 'stateless' });
    await driver.start();
    await driver.request('TRIGGER_SAVEPOINT');
    expect(driver.context.savepointPath).not.toBeNull();
    await changeSpec(driver);
    await driver.observeRunning(CHANGED);
    await driver.observe({ ...CHANGED, flinkJob: 'CANCELED' });
    expect(effects.count('stopWithSavepoint')).toBe(0);
    await resubmit(driver);
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: null });
    expect(driver.context.restoredFrom).toEqual({ path: null, kind: 'none' });
    expect(driver.notices).toContain('StatelessUpgrade');
    expect(errors).toEqual([]);
  });
});

describe('issue 16 bugs', () => {
  it('(a) a stop-with-savepoint whose outcome was not read before a 6-minute outage keeps the new savepoint', async () => {
    const effects = new FakeEffects()
      .set('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/older' })
      .set('cancelJob', 'fail');
    const { driver, clock, errors } = job({ taskTimeoutSeconds: 300 }, effects);
    await driver.start();
    await driver.request('TRIGGER_SAVEPOINT');
    expect(driver.context.savepointPath).toBe('s3://savepoints/older');
    effects.set('awaitSavepoint', 'hold');
    await driver.request('STOP');
    await driver.observeRunning(); // stop-with-savepoint sent; Flink completes it, then goes quiet
    expect(driver.value).toEqual({ Stopping: { SavepointStop: 'Awaiting' } });
    await clock.advance(360 * SECOND); // the 5-minute bound passes during the outage
    await driver.observe({ flinkJob: 'UNREACHABLE' });
    effects.set('readSnapshots', {
      checkpoint: null,
      savepoint: { path: 's3://savepoints/final', completedAt: clock.now - 350 * SECOND },
    });
    await driver.observe({ flinkJob: 'FINISHED' }); // Flink is back: the job finished with its savepoint
    await driver.observe({ flinkJob: 'FINISHED' });
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    expect(driver.context.savepointPath).toBe('s3://savepoints/final');
    await driver.request('START');
    await driver.observe();
    await driver.observe({ flinkJob: 'NOT_FOUND' });
    expect(lastBootstrap(effects)).toMatchObject({ savepointPath: 's3://savepoints/final' });
    expect(errors).toEqual([]);
  });

  it('(b) a savepoint whose status could not be read is polled again until its deadline, not abandoned', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', 'fail');
    const { driver, errors } = job({}, effects);
    await driver.start();
    await driver.request('TRIGGER_SAVEPOINT');
    expect(driver.value).toEqual({ Started: { Savepointing: 'Unread' } });
    expect(driver.context.savepoint).not.toBeNull();
    expect(driver.notices).not.toContain('SavepointAbandoned');
    effects.set('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/late' });
    await driver.observeRunning();
    expect(driver.value).toEqual({ Started: 'Running' });
    expect(driver.context.savepointPath).toBe('s3://savepoints/late');
    expect(effects.count('awaitSavepoint')).toBe(2);
    expect(errors).toEqual([]);
  });

  it('(b) still bounded: at its deadline the unread savepoint is abandoned', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', 'fail');
    const { driver, clock } = job({ taskTimeoutSeconds: 300 }, effects);
    await driver.start();
    await driver.request('TRIGGER_SAVEPOINT');
    await clock.advance(301 * SECOND);
    expect(driver.value).toEqual({ Started: 'Running' });
    expect(driver.context.savepoint).toBeNull();
    expect(driver.notices).toContain('SavepointAbandoned');
  });
});
