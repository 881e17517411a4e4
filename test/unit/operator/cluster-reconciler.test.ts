import { describe, expect, it } from 'vitest';
import { CONDITION_REASONS, CONDITION_TYPES } from '../../../src/api/conditions.ts';
import { ANNOTATIONS, FINALIZERS } from '../../../src/api/names.ts';
import type { Condition } from '../../../src/api/status.ts';
import { TerminalError } from '../../../src/kube/work-queue.ts';
import {
  ClusterReconciler,
  REQUEUE_WHILE_SUPERVISOR_STOPS_MS,
} from '../../../src/operator/cluster-reconciler.ts';
import { REQUEUE_WHILE_DELETING_MS } from '../../../src/operator/reconcile-support.ts';
import {
  clusterDeletionBoundMs,
  DEFAULT_TASK_TIMEOUT_SECONDS,
} from '../../../src/operator/deletion-bounds.ts';
import { SUPERVISOR_DIGEST_ANNOTATION } from '../../../src/operator/supervisor-deployment.ts';
import { operatorWorld } from '../../support/operator-fakes.ts';
import {
  addSupervisorFinalizer,
  clusterObject,
  FLINK_CLUSTER,
  FLINK_JOB,
  jobObject,
  mustGet,
  NAMESPACE,
  stored,
} from './fixtures.ts';

function setUp(options: { supervisorArgs?: readonly string[] } = {}) {
  const world = operatorWorld();
  world.resources.put(FLINK_CLUSTER, NAMESPACE, clusterObject('demo', [FINALIZERS.operator]));
  const reconciler = new ClusterReconciler({
    ...world,
    ...options,
    supervisorDeployments: world.supervisorDeployments,
  });
  return { world, reconcile: () => reconciler.reconcile(NAMESPACE, 'demo') };
}

describe('ClusterReconciler', () => {
  it('adds its finalizer before anything else', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_CLUSTER, NAMESPACE, clusterObject('demo'));
    const reconciler = new ClusterReconciler({
      ...world,
      supervisorDeployments: world.supervisorDeployments,
    });
    expect(await reconciler.reconcile(NAMESPACE, 'demo')).toEqual({});
    expect(mustGet(world, FLINK_CLUSTER, 'demo').metadata.finalizers).toEqual([FINALIZERS.operator]);
    expect(world.supervisorDeployments.applied).toEqual([]);
  });

  it('creates the supervisor Deployment once, owned by the cluster, and then leaves it alone', async () => {
    const { world, reconcile } = setUp({ supervisorArgs: ['--allow-private-networks'] });
    expect(await reconcile()).toEqual({});
    const [applied] = world.supervisorDeployments.applied;
    expect(applied?.metadata).toMatchObject({ name: 'supervisor-demo', namespace: NAMESPACE });
    expect(applied?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'FlinkCluster',
        name: 'demo',
        uid: mustGet(world, FLINK_CLUSTER, 'demo').metadata.uid,
      }),
    ]);
    expect(applied?.metadata?.annotations?.[SUPERVISOR_DIGEST_ANNOTATION]).toMatch(/^[0-9a-f]{32}$/);
    expect(applied?.spec?.template.spec?.containers[0]?.args).toContain('--allow-private-networks');
    expect(world.events.events.map((e) => e.reason)).toEqual(['SupervisorCreated']);

    expect(await reconcile()).toEqual({});
    expect(world.supervisorDeployments.applied).toHaveLength(1);
    expect(world.resources.writes).toEqual([]);
  });

  it('rolls the supervisor Deployment when spec.supervisor changes', async () => {
    const { world, reconcile } = setUp();
    await reconcile();
    const before =
      world.supervisorDeployments.applied[0]?.metadata?.annotations?.[SUPERVISOR_DIGEST_ANNOTATION];
    await world.resources.patch(FLINK_CLUSTER, NAMESPACE, 'demo', {
      spec: { supervisor: { pollingInterval: 3 } },
    });

    await reconcile();

    expect(world.supervisorDeployments.applied).toHaveLength(2);
    const after =
      world.supervisorDeployments.applied[1]?.metadata?.annotations?.[SUPERVISOR_DIGEST_ANNOTATION];
    expect(after).not.toBe(before);
    expect(world.events.events.map((e) => e.reason)).toEqual(['SupervisorCreated', 'SupervisorUpdated']);
  });

  it('paused: does not roll the supervisor Deployment to a new spec.supervisor; resumed, it does', async () => {
    const { world, reconcile } = setUp();
    await reconcile();
    await world.resources.patch(FLINK_CLUSTER, NAMESPACE, 'demo', {
      metadata: { annotations: { [ANNOTATIONS.paused]: 'true' } },
      spec: { supervisor: { pollingInterval: 3 } },
    });
    await reconcile();
    expect(world.supervisorDeployments.applied).toHaveLength(1);

    await world.resources.patch(FLINK_CLUSTER, NAMESPACE, 'demo', {
      metadata: { annotations: { [ANNOTATIONS.paused]: null } },
    });
    await reconcile();
    expect(world.supervisorDeployments.applied).toHaveLength(2);
  });

  it('says why its supervisor cannot start (Ready and SupervisorReady from the Deployment), then that it runs', async () => {
    const { world, reconcile } = setUp();
    await reconcile();
    const running = world.supervisorDeployments.stored.get(`${NAMESPACE}/supervisor-demo`);
    if (!running) throw new Error('no supervisor Deployment');
    const failure = 'serviceaccount "flinkvisor-supervisor" not found';
    running.status = {
      availableReplicas: 0,
      conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure }],
    };
    await reconcile();
    const conditionsOf = () =>
      (mustGet(world, FLINK_CLUSTER, 'demo').status?.['conditions'] ?? []) as Condition[];
    const byType = (type: string) => conditionsOf().find((c) => c.type === type);
    expect(byType(CONDITION_TYPES.supervisorReady)).toMatchObject({
      status: 'False',
      reason: 'FailedCreate',
    });
    expect(byType(CONDITION_TYPES.ready)).toMatchObject({
      status: 'False',
      reason: CONDITION_REASONS.supervisorNotStarted,
    });
    expect(byType(CONDITION_TYPES.ready)?.message).toContain(failure);
    expect(world.events.events.map((e) => e.reason)).toContain(CONDITION_REASONS.supervisorNotStarted);

    // Nothing new: nothing written, no second event.
    const writes = world.resources.writes.length;
    await reconcile();
    expect(world.resources.writes).toHaveLength(writes);
    expect(
      world.events.events.filter((e) => e.reason === CONDITION_REASONS.supervisorNotStarted),
    ).toHaveLength(1);

    // The ServiceAccount created: the pod is created, not yet available.
    running.status = { availableReplicas: 0, conditions: [] };
    await reconcile();
    expect(byType(CONDITION_TYPES.supervisorReady)).toMatchObject({ status: 'Unknown', reason: 'Starting' });
    expect(byType(CONDITION_TYPES.ready)?.message).toContain('is creating or starting its pod');

    running.status = { availableReplicas: 1, conditions: [] };
    await reconcile();
    expect(byType(CONDITION_TYPES.supervisorReady)).toMatchObject({ status: 'True', reason: 'Running' });
  });

  it('writes no status for a supervisor that starts or runs and never failed', async () => {
    const { world, reconcile } = setUp();
    await reconcile();
    const writes = world.resources.writes.length;
    await reconcile();
    const running = world.supervisorDeployments.stored.get(`${NAMESPACE}/supervisor-demo`);
    if (running) running.status = { availableReplicas: 1 };
    await reconcile();
    expect(world.resources.writes).toHaveLength(writes);
  });

  it('keeps the supervisor running while it stops Flink, then deletes it and lets go', async () => {
    const { world, reconcile } = setUp();
    await reconcile();
    await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
    await world.resources.delete(FLINK_CLUSTER, NAMESPACE, 'demo');
    world.supervisorDeployments.stored.clear(); // someone deleted it: it must come back

    expect(await reconcile()).toEqual({ requeueAfterMs: REQUEUE_WHILE_SUPERVISOR_STOPS_MS });
    expect(world.supervisorDeployments.applied).toHaveLength(2);
    expect(world.supervisorDeployments.deleted).toEqual([]);

    // The supervisor has stopped Flink and removes its finalizer.
    await world.resources.patch(FLINK_CLUSTER, NAMESPACE, 'demo', {
      metadata: { finalizers: [FINALIZERS.operator] },
    });
    expect(await reconcile()).toEqual({});
    expect(world.supervisorDeployments.deleted).toEqual([{ namespace: NAMESPACE, name: 'supervisor-demo' }]);
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();
  });

  it('past the bound, forces the supervisor finalizers off the cluster and its jobs, with a Warning event', async () => {
    const { world, reconcile } = setUp();
    world.resources.put(FLINK_JOB, NAMESPACE, jobObject('demo-a', 'demo', [FINALIZERS.supervisor]));
    world.resources.put(FLINK_JOB, NAMESPACE, jobObject('other', 'elsewhere', [FINALIZERS.supervisor]));
    await reconcile();
    await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
    await world.resources.delete(FLINK_CLUSTER, NAMESPACE, 'demo');
    await world.clock.advance(clusterDeletionBoundMs(DEFAULT_TASK_TIMEOUT_SECONDS) + 1);

    expect(await reconcile()).toEqual({ requeueAfterMs: REQUEUE_WHILE_DELETING_MS });
    expect(mustGet(world, FLINK_JOB, 'demo-a').metadata.finalizers).toEqual([]);
    expect(mustGet(world, FLINK_JOB, 'other').metadata.finalizers).toEqual([FINALIZERS.supervisor]);
    expect(mustGet(world, FLINK_CLUSTER, 'demo').metadata.finalizers).toEqual([FINALIZERS.operator]);
    expect(world.events.events.filter((e) => e.type === 'Warning').map((e) => e.reason)).toEqual([
      'DeletionForced',
    ]);

    expect(await reconcile()).toEqual({});
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();
    expect(world.supervisorDeployments.deleted).toHaveLength(1);
  });

  it('refuses an invalid spec with a Warning event and no supervisor', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_CLUSTER, NAMESPACE, {
      metadata: { name: 'demo', finalizers: [FINALIZERS.operator] },
      spec: { runtime: 'not an object' },
    });
    const reconciler = new ClusterReconciler({
      ...world,
      supervisorDeployments: world.supervisorDeployments,
    });
    await expect(reconciler.reconcile(NAMESPACE, 'demo')).rejects.toBeInstanceOf(TerminalError);
    expect(world.events.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning InvalidSpec']);
    expect(world.supervisorDeployments.applied).toEqual([]);
  });
});
