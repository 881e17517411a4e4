import { describe, expect, it } from 'vitest';
import { FINALIZERS } from '../../../src/api/names.ts';
import { ClusterReconciler } from '../../../src/operator/cluster-reconciler.ts';
import {
  clusterDeletionBound,
  deploymentDeletionBound,
  jobDeletionBound,
  taskTimeoutSecondsOf,
} from '../../../src/operator/deletion-bounds.ts';
import { operatorWorld } from '../../support/operator-fakes.ts';
import {
  addSupervisorFinalizer,
  clusterObject,
  deploymentObject,
  FLINK_CLUSTER,
  mustGet,
  NAMESPACE,
} from './fixtures.ts';

const withTaskTimeout = (taskTimeout: unknown) => {
  const cluster = clusterObject('demo', [FINALIZERS.operator]);
  return { ...cluster, spec: { ...cluster.spec, supervisor: { image: 'flinkvisor:0.1.0', taskTimeout } } };
};

describe('deletion bounds follow taskTimeout', () => {
  it('FlinkJob 2T + 60 s, FlinkCluster and FlinkDeployment 4T + 60 s; the default T is 300 s', () => {
    expect(jobDeletionBound(withTaskTimeout(30), undefined)).toBe(120_000);
    expect(clusterDeletionBound(withTaskTimeout(30), undefined)).toBe(180_000);
    expect(clusterDeletionBound(withTaskTimeout(900), undefined)).toBe(3_660_000);
    expect(clusterDeletionBound(clusterObject('demo'), undefined)).toBe(1_260_000);
    expect(jobDeletionBound(undefined, undefined)).toBe(660_000);
    const deployment = deploymentObject('demo', []);
    const cluster = deployment.spec?.['cluster'] as Record<string, unknown>;
    expect(
      deploymentDeletionBound(
        {
          ...deployment,
          spec: { ...deployment.spec, cluster: { ...cluster, supervisor: { taskTimeout: 45 } } },
        },
        undefined,
      ),
    ).toBe(240_000);
    expect(clusterDeletionBound(withTaskTimeout(30), 5000)).toBe(5000);
  });

  it('a stored spec that does not parse still has a bound (the default taskTimeout)', () => {
    for (const odd of ['300', -1, 0, Number.NaN, null, undefined, Number.POSITIVE_INFINITY])
      expect(taskTimeoutSecondsOf({ supervisor: { taskTimeout: odd } })).toBe(300);
    expect(taskTimeoutSecondsOf(undefined)).toBe(300);
  });

  it('a long taskTimeout is not cut short at the old fixed 600 s; a short one is not kept waiting for it', async () => {
    for (const [taskTimeout, forcedAfterS] of [
      [900, 3660],
      [30, 180],
    ] as const) {
      const world = operatorWorld();
      world.resources.put(FLINK_CLUSTER, NAMESPACE, withTaskTimeout(taskTimeout));
      const reconciler = new ClusterReconciler({
        ...world,
        supervisorDeployments: world.supervisorDeployments,
      });
      await reconciler.reconcile(NAMESPACE, 'demo');
      await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
      await world.resources.delete(FLINK_CLUSTER, NAMESPACE, 'demo');
      await world.clock.advance(forcedAfterS * 1000 - 1000);
      await reconciler.reconcile(NAMESPACE, 'demo');
      expect(mustGet(world, FLINK_CLUSTER, 'demo').metadata.finalizers).toContain(FINALIZERS.supervisor);
      await world.clock.advance(1001);
      await reconciler.reconcile(NAMESPACE, 'demo');
      expect(mustGet(world, FLINK_CLUSTER, 'demo').metadata.finalizers ?? []).not.toContain(
        FINALIZERS.supervisor,
      );
      expect(world.events.events.filter((e) => e.reason === 'DeletionForced')).toHaveLength(1);
    }
  });
});
