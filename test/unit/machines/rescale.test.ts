// A new parallelism on the job machine (ADR 0017): in place through the adaptive scheduler (no
// savepoint, same job id, the target recorded first), otherwise through the upgrade mode (one
// savepoint, one resubmission), and in place refused falls back to the upgrade mode.
import { describe, expect, it } from 'vitest';
import { jobSummary } from '../../../src/machines/views.ts';
import type { JobPolicy } from '../../../src/machines/policies.ts';
import { FakeClock, FakeEffects, JobDriver, T0, liveJob } from './support.ts';

function job(policy: Partial<JobPolicy>, effects = new FakeEffects()) {
  const clock = new FakeClock(T0);
  const { actor, errors } = liveJob(effects, clock);
  return { driver: new JobDriver(actor, clock, { jobParallelism: 2, ...policy }), effects, errors };
}

/** The effects of interest, in the order they were called. */
function order(effects: FakeEffects, ...srcs: string[]): string[] {
  return effects.calls.map((call) => call.src).filter((src) => srcs.includes(src));
}

const summary = (driver: JobDriver) => jobSummary('j', driver.actor.getSnapshot());

/** A rescaleInPlace behaviour that answers once the test says Flink is done. */
function flinkRescaling() {
  let done: (output: unknown) => void = () => undefined;
  const answer = new Promise((resolve) => (done = resolve));
  return { behaviour: () => answer, finish: (output: unknown) => done(output) };
}

describe('rescale in place (adaptive scheduler)', () => {
  it('records the target, asks Flink, and runs at it: same job id, no savepoint, no resubmission', async () => {
    const flink = flinkRescaling();
    const effects = new FakeEffects().set('rescaleInPlace', flink.behaviour);
    const { driver, errors } = job({ adaptiveScheduler: true }, effects);
    await driver.start();
    const jobId = driver.context.jobId;
    const before = effects.calls.length;
    driver.policy = { ...driver.policy, jobParallelism: 5 };
    await driver.observeRunning();
    expect(driver.value).toEqual({ Started: { Rescaling: 'Applying' } });
    // Write-ahead: the persisted envelope carries the target before Flink is asked.
    const after = effects.calls.slice(before);
    expect(after.map((c) => c.src)).toEqual(['persist', 'rescaleInPlace']);
    expect(JSON.stringify(after[0]?.input)).toContain('"rescale":{"from":2,"to":5');
    expect(after[1]?.input).toEqual({ jobId, from: 2, to: 5 });
    // The slots of the new parallelism are asked for from the start: TaskManagers come first.
    expect(summary(driver).parallelism).toBe(5);
    expect(driver.context.parallelism).toBe(2);
    // Observations while Flink rescales (RESTARTING in between) neither stop nor ask again.
    await driver.observeRunning({ flinkJob: 'RESTARTING' });
    await driver.observeRunning();
    expect(driver.value).toEqual({ Started: { Rescaling: 'Applying' } });
    expect(effects.count('rescaleInPlace')).toBe(1);
    flink.finish({ applied: true });
    await driver.observeRunning();
    expect(driver.value).toEqual({ Started: 'Running' });
    expect(driver.context).toMatchObject({ jobId, parallelism: 5, rescale: null, submission: 1 });
    expect(order(effects, 'stopWithSavepoint', 'triggerSavepoint', 'cancelJob')).toEqual([]);
    expect(effects.count('createBootstrap')).toBe(1);
    expect(driver.notices).toEqual(expect.arrayContaining(['Rescaling', 'Rescaled']));
    expect(errors).toEqual([]);
  });

  it('a scale-down keeps the slots until Flink runs smaller; then the surplus TaskManagers can go', async () => {
    const flink = flinkRescaling();
    const effects = new FakeEffects().set('rescaleInPlace', flink.behaviour);
    const { driver } = job({ adaptiveScheduler: true, jobParallelism: 4 }, effects);
    await driver.start();
    driver.policy = { ...driver.policy, jobParallelism: 1 };
    await driver.observeRunning();
    expect(summary(driver).parallelism).toBe(4);
    flink.finish({ applied: true });
    await driver.observeRunning();
    expect(summary(driver).parallelism).toBe(1);
  });

  it("the autoscaler's parallelism (act mode) goes the same way, and kubectl scale replaces it", async () => {
    const effects = new FakeEffects().set('rescaleInPlace', { applied: true });
    const { driver } = job({ adaptiveScheduler: true }, effects);
    await driver.start();
    driver.policy = { ...driver.policy, autoscalerParallelism: 3 };
    await driver.observeRunning();
    await driver.observeRunning();
    expect(driver.context.parallelism).toBe(3);
    // The override is gone (the spec asks for another parallelism): the spec's is in effect.
    driver.policy = { ...driver.policy, jobParallelism: 6, autoscalerParallelism: null };
    await driver.observeRunning();
    await driver.observeRunning();
    expect(driver.context.parallelism).toBe(6);
    expect(effects.inputs('rescaleInPlace')).toEqual([
      expect.objectContaining({ from: 2, to: 3 }),
      expect.objectContaining({ from: 3, to: 6 }),
    ]);
    expect(effects.count('stopWithSavepoint')).toBe(0);
  });

  it('refused in place (Flink before 1.18): one savepoint, one resubmission at the new parallelism', async () => {
    const effects = new FakeEffects()
      .set('rescaleInPlace', { applied: false, reason: 'Flink 1.17.2 has no resource-requirements endpoint' })
      .set('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/rescale' });
    const { driver, errors } = job({ adaptiveScheduler: true }, effects);
    await driver.start();
    driver.policy = { ...driver.policy, jobParallelism: 3 };
    await driver.observeRunning();
    expect(driver.value).toEqual({ Started: 'Running' });
    expect(driver.context.inPlaceRefused).toBe(3);
    expect(driver.notices).toContain('RescaleInPlaceFailed');
    // The next observation takes the upgrade mode.
    await driver.observeRunning();
    expect(driver.value).toMatchObject({ Stopping: expect.anything() });
    await driver.observeRunning();
    expect(effects.count('stopWithSavepoint')).toBe(1);
    expect(driver.value).toEqual({ Starting: 'WaitingForCluster' });
    await driver.observe();
    await driver.observe({ flinkJob: 'NOT_FOUND' });
    expect(effects.inputs('createBootstrap').at(-1)).toMatchObject({
      parallelism: 3,
      savepointPath: 's3://savepoints/rescale',
    });
    expect(effects.count('createBootstrap')).toBe(2);
    expect(effects.count('rescaleInPlace')).toBe(1);
    expect(driver.context.inPlaceRefused).toBeNull();
    expect(errors).toEqual([]);
  });
});

describe('rescale without the adaptive scheduler', () => {
  it('one savepoint, one resubmission from it, at the new parallelism; nothing asked in place', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', {
      status: 'COMPLETED',
      location: 's3://savepoints/rescale',
    });
    const { driver, errors } = job({}, effects);
    await driver.start();
    driver.policy = { ...driver.policy, jobParallelism: 3 };
    await driver.observeRunning();
    expect(driver.value).toMatchObject({ Stopping: expect.anything() });
    expect(driver.context.stop).toMatchObject({ reason: 'Rescale', restart: true });
    await driver.observeRunning();
    await driver.observe();
    await driver.observe({ flinkJob: 'NOT_FOUND' });
    expect(effects.count('stopWithSavepoint')).toBe(1);
    expect(effects.count('createBootstrap')).toBe(2);
    expect(effects.inputs('createBootstrap').at(-1)).toMatchObject({
      parallelism: 3,
      savepointPath: 's3://savepoints/rescale',
    });
    expect(effects.count('rescaleInPlace')).toBe(0);
    expect(errors).toEqual([]);
  });
});
