// The health gate of an upgrade and its rollback, through a whole supervisor on in-memory ports: a
// spec change is deployed, the upgraded job keeps restarting in Flink, and the supervisor resubmits
// the last stable spec (its settings from status.lastStableSpec) from the savepoint taken before the
// upgrade; the FlinkJob still asking for the failed spec does not start another upgrade.
import type { V1Job } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { FLINK_JOB } from '../../../src/api/names.ts';
import { fixture, NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

const NAME = 'minimal-wordcount';

function gatedJob(rollback: boolean) {
  const job = fixture('job-minimal.yaml') as unknown as { spec: Record<string, unknown> };
  job.spec['bootstrap'] = { ...(job.spec['bootstrap'] as object), arguments: ['--label', 'v1'] };
  job.spec['savepoint'] = { savepointMode: 'Automatic', savepointTargetPath: 'file:///savepoints' };
  job.spec['upgrade'] = { healthCheckWindow: 60, rollback };
  return job as unknown as ReturnType<typeof fixture>;
}

function argumentsOf(job: V1Job | undefined): string[] {
  return job?.spec?.template.spec?.containers[0]?.args ?? [];
}

async function running(rollback: boolean) {
  const t = setup(gatedJob(rollback));
  cleanup = () => {
    t.leadership.abort();
    t.supervisor.stop();
  };
  await t.supervisor.start();
  void t.supervisor.lead(t.leadership.signal);
  await t.settle();
  const polls = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
  };
  /** Polls until `done` holds (at most 12 polls: a minute of the supervisor's time). */
  const pollUntil = async (done: () => boolean) => {
    for (let i = 0; i < 12 && !done(); i++) await polls(1);
    expect(done()).toBe(true);
  };
  return { ...t, polls, pollUntil };
}

describe('an upgrade that fails its health gate', () => {
  it('rollback on: the last stable spec is resubmitted from the savepoint taken before the upgrade, once', async () => {
    const t = await running(true);
    expect(t.jobStatus()['lastStableSpec']).toMatchObject({
      parallelism: 1,
      bootstrap: { arguments: ['--label', 'v1'] },
    });
    const stableDigest = (t.jobStatus()['lastStableSpec'] as { specDigest: string }).specDigest;

    await t.resources.patch(FLINK_JOB, NS, NAME, { spec: { bootstrap: { arguments: ['--label', 'v2'] } } });
    await t.pollUntil(() => t.objects.jobs.length === 1);
    expect(t.objects.jobs).toHaveLength(1);
    expect(argumentsOf(t.objects.jobs[0])).toEqual(
      expect.arrayContaining(['--argument=v2', '--savepoint-path=file:///savepoints/sp-1']),
    );
    const upgraded = String(t.jobStatus()['jobId']);
    t.flink.jobs.set(upgraded, 'RUNNING');
    await t.polls(1);
    expect(t.jobStatus()['upgrade']).toMatchObject({ phase: 'Verifying', restarts: 0 });
    expect(t.condition('UpgradeHealthy')).toMatchObject({ status: 'Unknown', reason: 'Verifying' });
    // The stable spec's settings stay in status while the FlinkJob asks for another.
    expect((t.jobStatus()['lastStableSpec'] as { specDigest: string }).specDigest).toBe(stableDigest);

    t.flink.jobs.set(upgraded, 'RESTARTING');
    await t.pollUntil(() => t.objects.jobs.length === 2);
    expect(t.flink.calls).toContain(`cancel ${upgraded}`);
    expect(t.objects.jobs).toHaveLength(2);
    expect(argumentsOf(t.objects.jobs[1])).toEqual(
      expect.arrayContaining(['--argument=v1', '--savepoint-path=file:///savepoints/sp-1']),
    );
    expect(argumentsOf(t.objects.jobs[1])).not.toContain('--argument=v2');
    const rolledBack = String(t.jobStatus()['jobId']);
    expect(rolledBack).not.toBe(upgraded);
    t.flink.jobs.set(rolledBack, 'RUNNING');
    await t.polls(3);
    expect(t.jobStatus()['supervisorStatus']).toBe('Started');
    expect(t.jobStatus()['upgrade']).toMatchObject({
      phase: 'RolledBack',
      snapshot: { path: 'file:///savepoints/sp-1', kind: 'savepoint' },
    });
    expect(t.condition('UpgradeHealthy')).toMatchObject({ status: 'False', reason: 'RolledBack' });
    const reasons = t.events.events.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'RollingBack')).toHaveLength(1);
    expect(t.events.events.find((e) => e.reason === 'RollingBack')?.type).toBe('Warning');
    expect(reasons.filter((r) => r === 'RolledBack')).toHaveLength(1);

    // The FlinkJob still says v2: no new upgrade, no new submission.
    await t.polls(5);
    expect(t.objects.jobs).toHaveLength(2);
    expect(t.flink.calls.filter((c) => c.startsWith('stop') || c.startsWith('cancel'))).toHaveLength(2);

    // A new spec is an upgrade again, from the stable one.
    await t.resources.patch(FLINK_JOB, NS, NAME, { spec: { bootstrap: { arguments: ['--label', 'v3'] } } });
    t.flink.jobs.set(rolledBack, 'RUNNING');
    await t.pollUntil(() => t.objects.jobs.length === 3);
    expect(t.objects.jobs).toHaveLength(3);
    expect(argumentsOf(t.objects.jobs[2])).toContain('--argument=v3');
  }, 30_000);

  it('rollback off: the upgraded job is left as it is, UpgradeHealthy=False, no resubmission', async () => {
    const t = await running(false);
    await t.resources.patch(FLINK_JOB, NS, NAME, { spec: { bootstrap: { arguments: ['--label', 'v2'] } } });
    await t.pollUntil(() => t.objects.jobs.length === 1);
    const upgraded = String(t.jobStatus()['jobId']);
    t.flink.jobs.set(upgraded, 'RUNNING');
    await t.polls(1);
    t.flink.jobs.set(upgraded, 'RESTARTING');
    await t.polls(3);
    expect(t.jobStatus()['upgrade']).toMatchObject({ phase: 'Failed', restarts: 1 });
    expect(t.condition('UpgradeHealthy')).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(t.condition('UpgradeHealthy')?.message).toContain('rollback is off');
    expect(t.objects.jobs).toHaveLength(1);
    expect(t.flink.calls).not.toContain(`cancel ${upgraded}`);
  }, 30_000);

  it('a healthy upgrade: once healthCheckWindow passed and all its tasks run, its spec becomes the stable one', async () => {
    const t = await running(true);
    await t.resources.patch(FLINK_JOB, NS, NAME, { spec: { bootstrap: { arguments: ['--label', 'v2'] } } });
    await t.pollUntil(() => t.objects.jobs.length === 1);
    const upgraded = String(t.jobStatus()['jobId']);
    t.flink.jobs.set(upgraded, 'RUNNING');
    // One of its tasks is not running yet when the window ends: not healthy yet.
    t.flink.idleTasks.set(upgraded, 1);
    await t.polls(Math.ceil(60_000 / POLL_MS) + 2);
    expect(t.jobStatus()['upgrade']).toMatchObject({ phase: 'Verifying', restarts: 0 });
    t.flink.idleTasks.delete(upgraded);
    await t.polls(1);
    expect(t.jobStatus()['upgrade']).toMatchObject({ phase: 'Healthy', restarts: 0 });
    expect(t.condition('UpgradeHealthy')).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(t.jobStatus()['lastStableSpec']).toMatchObject({ bootstrap: { arguments: ['--label', 'v2'] } });
    expect(t.objects.jobs).toHaveLength(1);
  }, 30_000);
});
