import { describe, expect, it } from 'vitest';
import { FINALIZERS } from '../../../src/api/names.ts';
import { DeploymentReconciler } from '../../../src/operator/deployment-reconciler.ts';
import { operatorWorld, type OperatorWorld } from '../../support/operator-fakes.ts';
import { deploymentObject, FLINK_DEPLOYMENT, FLINK_JOB, mustGet, NAMESPACE } from './fixtures.ts';

// A FlinkJob created from a FlinkDeployment gets its savepoint target from the deployment's
// cluster.storage when the job names none. That default must follow a storage change; a target the
// user wrote must not.

const EXPLICIT_TARGET = 's3://team-bucket/my-own-savepoints';

/** Job `derived` leaves the target to storage; job `explicit` names its own. */
function deploymentWithStorage() {
  const deployment = deploymentObject('demo', ['derived', 'explicit'], [FINALIZERS.operator]);
  const spec = deployment.spec as {
    cluster: Record<string, unknown>;
    jobs: { name: string; spec: Record<string, unknown> }[];
  };
  spec.cluster['storage'] = { scheme: 'file', baseDir: '/flink-data' };
  for (const job of spec.jobs) {
    job.spec['savepoint'] =
      job.name === 'explicit'
        ? { savepointMode: 'Automatic', savepointTargetPath: EXPLICIT_TARGET }
        : { savepointMode: 'Automatic' };
  }
  return deployment;
}

async function settle(world: OperatorWorld, reconcile: () => Promise<unknown>, limit = 5): Promise<void> {
  for (let pass = 0; pass < limit; pass++) {
    const before = world.resources.writes.length;
    await reconcile();
    if (world.resources.writes.length === before) return;
  }
  throw new Error(`still writing after ${limit} passes`);
}

function savepointTarget(world: OperatorWorld, name: string): unknown {
  return (mustGet(world, FLINK_JOB, name).spec?.['savepoint'] as Record<string, unknown> | undefined)?.[
    'savepointTargetPath'
  ];
}

describe('the default savepoint target of a FlinkDeployment’s FlinkJobs', () => {
  it('follows a change of cluster.storage, and never replaces a target the user wrote', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deploymentWithStorage());
    const reconciler = new DeploymentReconciler(world);
    const reconcile = () => reconciler.reconcile(NAMESPACE, 'demo');
    await settle(world, reconcile);
    expect(savepointTarget(world, 'demo-derived')).toBe(
      'file:///flink-data/savepoints/team-a/demo/demo-derived',
    );
    expect(savepointTarget(world, 'demo-explicit')).toBe(EXPLICIT_TARGET);

    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
      spec: { cluster: { storage: { scheme: 's3', baseDir: 'new-bucket/flink' } } },
    });
    world.resources.writes.length = 0;
    world.events.events.length = 0;
    await settle(world, reconcile);

    expect(savepointTarget(world, 'demo-derived')).toBe(
      's3://new-bucket/flink/savepoints/team-a/demo/demo-derived',
    );
    expect(savepointTarget(world, 'demo-explicit')).toBe(EXPLICIT_TARGET);
    // Only the job whose target was derived is patched; the other FlinkJob is not written at all.
    const jobPatches = world.resources.writes.filter(
      (w) => w.op === 'jsonPatch' && w.kind === FLINK_JOB.kind,
    );
    expect(jobPatches.map((w) => w.name)).toEqual(['demo-derived']);
    expect(world.events.events.filter((e) => e.reason === 'JobUpdated').map((e) => e.message)).toEqual([
      'propagated job derived to FlinkJob demo-derived',
    ]);
  });

  it('after the change has propagated, a further pass writes nothing', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deploymentWithStorage());
    const reconciler = new DeploymentReconciler(world);
    const reconcile = () => reconciler.reconcile(NAMESPACE, 'demo');
    await settle(world, reconcile);
    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
      spec: { cluster: { storage: { scheme: 'file', baseDir: '/elsewhere' } } },
    });
    await settle(world, reconcile);
    world.resources.writes.length = 0;

    await reconcile();

    expect(world.resources.writes).toEqual([]);
    expect(savepointTarget(world, 'demo-derived')).toBe(
      'file:///elsewhere/savepoints/team-a/demo/demo-derived',
    );
  });
});
