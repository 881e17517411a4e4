import { describe, expect, it } from 'vitest';
import { CONDITION_REASONS } from '../../../src/api/conditions.ts';
import { FINALIZERS } from '../../../src/api/names.ts';
import type { Condition } from '../../../src/api/status.ts';
import { OrphanJobReconciler } from '../../../src/operator/orphan-job-reconciler.ts';
import { operatorWorld } from '../../support/operator-fakes.ts';
import {
  clusterObject,
  FLINK_CLUSTER,
  FLINK_JOB,
  jobObject,
  mustGet,
  NAMESPACE,
  stored,
} from './fixtures.ts';

describe('OrphanJobReconciler', () => {
  it('marks a FlinkJob whose cluster does not exist Unknown with a ClusterNotFound condition, once', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_JOB, NAMESPACE, jobObject('lost', 'nowhere'));
    const reconciler = new OrphanJobReconciler(world);

    expect(await reconciler.reconcile(NAMESPACE, 'lost')).toEqual({});

    const status = mustGet(world, FLINK_JOB, 'lost').status ?? {};
    expect(status).toMatchObject({ supervisorStatus: 'Unknown', resourceStatus: 'Unknown', jobId: '' });
    expect((status['conditions'] as Condition[]).find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: CONDITION_REASONS.clusterNotFound,
      message: `FlinkCluster nowhere does not exist in ${NAMESPACE}`,
      observedGeneration: 1,
    });
    expect(world.events.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning ClusterNotFound']);

    world.resources.writes.length = 0;
    await world.clock.advance(60_000);
    await reconciler.reconcile(NAMESPACE, 'lost');
    expect(world.resources.writes).toEqual([]);
    expect(world.events.events).toHaveLength(1);
  });

  it('leaves a FlinkJob whose cluster exists to its supervisor', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_CLUSTER, NAMESPACE, clusterObject('demo'));
    world.resources.put(FLINK_JOB, NAMESPACE, jobObject('demo-a', 'demo', [FINALIZERS.supervisor]));
    await world.resources.delete(FLINK_JOB, NAMESPACE, 'demo-a');
    world.resources.writes.length = 0;

    await new OrphanJobReconciler(world).reconcile(NAMESPACE, 'demo-a');

    expect(world.resources.writes).toEqual([]);
    expect(mustGet(world, FLINK_JOB, 'demo-a').metadata.finalizers).toEqual([FINALIZERS.supervisor]);
  });

  it("removes the supervisor's finalizer from a deleted orphan, so its deletion never hangs", async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_JOB, NAMESPACE, jobObject('lost', 'nowhere', [FINALIZERS.supervisor]));
    await world.resources.delete(FLINK_JOB, NAMESPACE, 'lost');

    await new OrphanJobReconciler(world).reconcile(NAMESPACE, 'lost');

    expect(stored(world, FLINK_JOB, 'lost')).toBeUndefined();
    expect(world.events.events).toEqual([]);
  });
});

describe('a lone FlinkJob deletion whose cluster exists', () => {
  /** A cluster whose taskTimeout is 30 s: its jobs' deletions are forced after 2 × 30 + 60 = 120 s. */
  function world30() {
    const world = operatorWorld();
    const cluster = clusterObject('demo');
    world.resources.put(FLINK_CLUSTER, NAMESPACE, {
      ...cluster,
      spec: { ...cluster.spec, supervisor: { image: 'flinkvisor:0.1.0', taskTimeout: 30 } },
    });
    world.resources.put(FLINK_JOB, NAMESPACE, jobObject('demo-a', 'demo', [FINALIZERS.supervisor]));
    return world;
  }

  it('is the supervisor’s until 2 × taskTimeout + 60 s, then its finalizer is forced off with a Warning', async () => {
    const world = world30();
    const reconciler = new OrphanJobReconciler(world);
    expect(await reconciler.reconcile(NAMESPACE, 'demo-a')).toEqual({});
    await world.resources.delete(FLINK_JOB, NAMESPACE, 'demo-a');

    const first = await reconciler.reconcile(NAMESPACE, 'demo-a');
    expect(first.requeueAfterMs).toBe(120_000);
    await world.clock.advance(119_000);
    await reconciler.reconcile(NAMESPACE, 'demo-a');
    expect(mustGet(world, FLINK_JOB, 'demo-a').metadata.finalizers).toEqual([FINALIZERS.supervisor]);
    expect(world.events.events).toEqual([]);

    await world.clock.advance(1001);
    expect(await reconciler.reconcile(NAMESPACE, 'demo-a')).toEqual({});
    expect(stored(world, FLINK_JOB, 'demo-a')).toBeUndefined();
    expect(world.events.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning DeletionForced']);
  });

  it('a job that is not being deleted, or whose supervisor let go, is left alone', async () => {
    const world = world30();
    const reconciler = new OrphanJobReconciler(world);
    await world.clock.advance(3_600_000);
    expect(await reconciler.reconcile(NAMESPACE, 'demo-a')).toEqual({});
    expect(mustGet(world, FLINK_JOB, 'demo-a').metadata.finalizers).toEqual([FINALIZERS.supervisor]);
    expect(world.resources.writes).toEqual([]);
  });

  it('--force-deletion-after replaces the derived bound', async () => {
    const world = world30();
    const reconciler = new OrphanJobReconciler({ ...world, forceDeletionAfterMs: 5000 });
    await world.resources.delete(FLINK_JOB, NAMESPACE, 'demo-a');
    expect((await reconciler.reconcile(NAMESPACE, 'demo-a')).requeueAfterMs).toBe(5000);
    await world.clock.advance(5001);
    await reconciler.reconcile(NAMESPACE, 'demo-a');
    expect(stored(world, FLINK_JOB, 'demo-a')).toBeUndefined();
  });
});
