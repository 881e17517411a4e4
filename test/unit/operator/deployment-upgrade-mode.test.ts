import { describe, expect, it } from 'vitest';
import { FINALIZERS } from '../../../src/api/names.ts';
import { parseFlinkDeployment } from '../../../src/api/parse.ts';
import { jobDigests } from '../../../src/operator/deployment-children.ts';
import { DeploymentReconciler } from '../../../src/operator/deployment-reconciler.ts';
import { specDigest } from '../../../src/machines/ids.ts';
import { operatorWorld } from '../../support/operator-fakes.ts';
import { deploymentObject, FLINK_DEPLOYMENT, FLINK_JOB, mustGet, NAMESPACE } from './fixtures.ts';

// A FlinkDeployment's job entries carry the upgrade settings (docs/upgrades.md) to their FlinkJobs,
// and a change of them is propagated like any other job field.

describe('upgrade settings of a FlinkDeployment’s jobs', () => {
  it('at their defaults, the restart digest is the one jobs had before upgrade modes existed', () => {
    const deployment = parseFlinkDeployment(deploymentObject('demo', ['a'], []));
    const job = deployment.spec.jobs[0];
    if (!job) throw new Error('no job');
    expect(job.spec).toMatchObject({ upgradeMode: 'savepoint', drainOnStop: false, maxCheckpointAge: 600 });
    expect(jobDigests(deployment, job).restart).toBe(
      specDigest({
        restart: job.spec.restart,
        min: job.spec.minJobParallelism,
        max: job.spec.maxJobParallelism,
      }),
    );
    const lastState = { ...job, spec: { ...job.spec, upgradeMode: 'last-state' as const } };
    expect(jobDigests(deployment, lastState).restart).not.toBe(jobDigests(deployment, job).restart);
  });

  it('are passed to the FlinkJob, and a change of them is propagated', async () => {
    const world = operatorWorld();
    const deployment = deploymentObject('demo', ['a'], [FINALIZERS.operator]);
    const jobs = (deployment.spec as { jobs: { spec: Record<string, unknown> }[] }).jobs;
    Object.assign(jobs[0]?.spec ?? {}, { upgradeMode: 'last-state', maxCheckpointAge: 300 });
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deployment);
    const reconciler = new DeploymentReconciler(world);
    for (let pass = 0; pass < 3; pass++) await reconciler.reconcile(NAMESPACE, 'demo');
    expect(mustGet(world, FLINK_JOB, 'demo-a').spec).toMatchObject({
      upgradeMode: 'last-state',
      maxCheckpointAge: 300,
    });

    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
      spec: {
        jobs: [{ ...jobs[0], spec: { ...jobs[0]?.spec, upgradeMode: 'stateless', drainOnStop: true } }],
      },
    });
    for (let pass = 0; pass < 3; pass++) await reconciler.reconcile(NAMESPACE, 'demo');
    expect(mustGet(world, FLINK_JOB, 'demo-a').spec).toMatchObject({
      upgradeMode: 'stateless',
      drainOnStop: true,
    });
  });

  it('an autoscaler is passed to the FlinkJob, and turning it on or switching its mode is propagated', async () => {
    const world = operatorWorld();
    const deployment = deploymentObject('demo', ['a'], [FINALIZERS.operator]);
    const jobs = (deployment.spec as { jobs: { spec: Record<string, unknown> }[] }).jobs;
    Object.assign(jobs[0]?.spec ?? {}, { autoscaler: { enabled: true, mode: 'recommend' } });
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deployment);
    const reconciler = new DeploymentReconciler(world);
    for (let pass = 0; pass < 3; pass++) await reconciler.reconcile(NAMESPACE, 'demo');
    expect(mustGet(world, FLINK_JOB, 'demo-a').spec).toMatchObject({
      autoscaler: { enabled: true, mode: 'recommend' },
    });

    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
      spec: {
        jobs: [{ ...jobs[0], spec: { ...jobs[0]?.spec, autoscaler: { enabled: true, mode: 'act' } } }],
      },
    });
    for (let pass = 0; pass < 3; pass++) await reconciler.reconcile(NAMESPACE, 'demo');
    expect(mustGet(world, FLINK_JOB, 'demo-a').spec).toMatchObject({ autoscaler: { mode: 'act' } });
  });
});
