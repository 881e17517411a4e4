import { describe, expect, it } from 'vitest';
import { CONDITION_REASONS } from '../../../src/api/conditions.ts';
import { ANNOTATIONS, FINALIZERS, isPausedObject, LABELS, type KindNames } from '../../../src/api/names.ts';
import type { Condition } from '../../../src/api/status.ts';
import { TerminalError } from '../../../src/kube/work-queue.ts';
import {
  DeploymentReconciler,
  REQUEUE_AFTER_CHILDREN_CHANGED_MS,
} from '../../../src/operator/deployment-reconciler.ts';
import { REQUEUE_WHILE_DELETING_MS } from '../../../src/operator/reconcile-support.ts';
import {
  clusterDeletionBoundMs,
  DEFAULT_TASK_TIMEOUT_SECONDS,
} from '../../../src/operator/deletion-bounds.ts';
import { operatorWorld, type OperatorWorld } from '../../support/operator-fakes.ts';
import {
  addSupervisorFinalizer,
  clusterObject,
  deploymentObject,
  jobObject,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  mustGet,
  NAMESPACE,
  stored,
} from './fixtures.ts';

function setUp(jobs: readonly string[] = ['a', 'b']) {
  const world = operatorWorld();
  world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deploymentObject('demo', jobs, [FINALIZERS.operator]));
  const reconciler = new DeploymentReconciler(world);
  return { world, reconcile: () => reconciler.reconcile(NAMESPACE, 'demo') };
}

/** Reconciles until a pass writes nothing (at most `limit` passes). */
async function settle(world: OperatorWorld, reconcile: () => Promise<unknown>, limit = 5): Promise<void> {
  for (let pass = 0; pass < limit; pass++) {
    const before = world.resources.writes.length;
    await reconcile();
    if (world.resources.writes.length === before) return;
  }
  throw new Error(`still writing after ${limit} passes`);
}

function readyCondition(world: OperatorWorld): Condition | undefined {
  const conditions = mustGet(world, FLINK_DEPLOYMENT, 'demo').status?.['conditions'] as
    Condition[] | undefined;
  return conditions?.find((c) => c.type === 'Ready');
}

describe('DeploymentReconciler', () => {
  describe('pause (ADR 0019)', () => {
    const pausedOf = (world: OperatorWorld, kind: KindNames, name: string) =>
      isPausedObject(mustGet(world, kind, name).metadata);
    const setPaused = (world: OperatorWorld, paused: boolean) =>
      world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
        metadata: { annotations: { [ANNOTATIONS.paused]: paused ? 'true' : null } },
      });

    it('a deployment created paused creates no children and says it is paused', async () => {
      const { world, reconcile } = setUp();
      await setPaused(world, true);
      await settle(world, reconcile);
      expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();
      expect(stored(world, FLINK_JOB, 'demo-a')).toBeUndefined();
      const status = mustGet(world, FLINK_DEPLOYMENT, 'demo').status;
      expect(status?.['paused']).toBe(true);
      expect(
        (status?.['conditions'] as Condition[]).find((c) => c.type === 'ReconciliationPaused'),
      ).toMatchObject({ status: 'True', reason: CONDITION_REASONS.paused });

      await setPaused(world, false);
      await settle(world, reconcile);
      expect(stored(world, FLINK_CLUSTER, 'demo')).toBeDefined();
      expect(stored(world, FLINK_JOB, 'demo-b')).toBeDefined();
      const resumed = mustGet(world, FLINK_DEPLOYMENT, 'demo').status;
      expect(resumed?.['paused']).toBe(false);
      expect((resumed?.['conditions'] as Condition[]).map((c) => c.type)).not.toContain(
        'ReconciliationPaused',
      );
    });

    it('pauses its children, holds spec changes, and on resume propagates them and unpauses the children', async () => {
      const { world, reconcile } = setUp();
      await settle(world, reconcile);
      await setPaused(world, true);
      await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
        spec: { cluster: { runtime: { image: 'flink:1.20.3' } } },
      });
      await settle(world, reconcile);
      expect(pausedOf(world, FLINK_CLUSTER, 'demo')).toBe(true);
      expect(pausedOf(world, FLINK_JOB, 'demo-a')).toBe(true);
      expect(pausedOf(world, FLINK_JOB, 'demo-b')).toBe(true);
      expect(mustGet(world, FLINK_CLUSTER, 'demo').spec?.['runtime']).toMatchObject({ image: 'flink:1.20' });
      expect(world.events.events.map((e) => e.reason)).toContain('Paused');

      await setPaused(world, false);
      await settle(world, reconcile);
      expect(mustGet(world, FLINK_CLUSTER, 'demo').spec?.['runtime']).toMatchObject({
        image: 'flink:1.20.3',
      });
      expect(pausedOf(world, FLINK_CLUSTER, 'demo')).toBe(false);
      expect(pausedOf(world, FLINK_JOB, 'demo-a')).toBe(false);
      expect(world.events.events.map((e) => e.reason)).toContain('Resumed');
    });

    it("reports its cluster's supervisor that cannot start in its own Ready condition", async () => {
      const { world, reconcile } = setUp();
      await settle(world, reconcile);
      await world.resources.patchStatus(FLINK_CLUSTER, NAMESPACE, 'demo', {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: CONDITION_REASONS.supervisorNotStarted,
              message:
                'supervisor Deployment supervisor-demo cannot create its pod: serviceaccount not found',
              lastTransitionTime: '2026-01-01T00:00:00Z',
              observedGeneration: 1,
            },
          ],
        },
      });
      await settle(world, reconcile);
      expect(readyCondition(world)).toMatchObject({
        status: 'False',
        reason: CONDITION_REASONS.supervisorNotStarted,
      });
      expect(readyCondition(world)?.message).toContain(
        'FlinkCluster demo: supervisor Deployment supervisor-demo',
      );
    });
  });

  it('adds its finalizer before anything else', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deploymentObject('demo', ['a']));
    const result = await new DeploymentReconciler(world).reconcile(NAMESPACE, 'demo');
    expect(result).toEqual({});
    expect(world.resources.writes.map((w) => w.op)).toEqual(['patch']);
    expect(mustGet(world, FLINK_DEPLOYMENT, 'demo').metadata.finalizers).toEqual([FINALIZERS.operator]);
  });

  it('expands a FlinkDeployment into its FlinkCluster and one FlinkJob per declared job', async () => {
    const { world, reconcile } = setUp();
    const result = await reconcile();
    expect(result).toEqual({ requeueAfterMs: REQUEUE_AFTER_CHILDREN_CHANGED_MS });
    const owner = mustGet(world, FLINK_DEPLOYMENT, 'demo');
    const cluster = mustGet(world, FLINK_CLUSTER, 'demo');
    expect(cluster.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'FlinkDeployment',
        name: 'demo',
        uid: owner.metadata.uid,
        controller: true,
      }),
    ]);
    expect(cluster.metadata.labels?.[LABELS.deployment]).toBe('demo');
    expect(cluster.spec?.['taskManagers']).toBe(0);
    for (const job of ['demo-a', 'demo-b']) {
      const created = mustGet(world, FLINK_JOB, job);
      expect(created.spec?.['clusterName']).toBe('demo');
      expect(created.metadata.labels?.[LABELS.job]).toBe(job);
      expect(created.metadata.ownerReferences?.[0]?.uid).toBe(owner.metadata.uid);
    }
    expect(world.events.events.map((e) => e.reason)).toEqual(['ClusterCreated', 'JobCreated', 'JobCreated']);
    expect(owner.status?.['resourceStatus']).toBe('Updating');
    expect(readyCondition(world)).toMatchObject({ status: 'False', reason: CONDITION_REASONS.updating });
  });

  it('at rest, a second pass writes nothing: no status write, no new timestamp (the fleet issue)', async () => {
    const { world, reconcile } = setUp();
    await reconcile(); // creates the children
    await reconcile(); // reports them: Updated, Ready=False while the cluster is Unknown
    const timestamp = mustGet(world, FLINK_DEPLOYMENT, 'demo').status?.['timestamp'];
    expect(mustGet(world, FLINK_DEPLOYMENT, 'demo').status?.['resourceStatus']).toBe('Updated');
    world.resources.writes.length = 0;
    await world.clock.advance(60_000);

    const result = await reconcile();

    expect(world.resources.writes).toEqual([]);
    expect(result).toEqual({});
    expect(mustGet(world, FLINK_DEPLOYMENT, 'demo').status?.['timestamp']).toBe(timestamp);
  });

  it("writes the status once when the cluster's state changes, then nothing again", async () => {
    const { world, reconcile } = setUp(['a']);
    await settle(world, reconcile);
    await world.resources.patchStatus(FLINK_CLUSTER, NAMESPACE, 'demo', {
      status: { supervisorStatus: 'Started' },
    });
    world.resources.writes.length = 0;
    await world.clock.advance(1000);

    await reconcile();
    expect(world.resources.writes.map((w) => `${w.op} ${w.kind}`)).toEqual(['patchStatus FlinkDeployment']);
    expect(readyCondition(world)).toMatchObject({ status: 'True', reason: 'Started' });
    expect(mustGet(world, FLINK_DEPLOYMENT, 'demo').status?.['timestamp']).toBe(
      new Date(world.clock.now()).toISOString(),
    );

    world.resources.writes.length = 0;
    await reconcile();
    expect(world.resources.writes).toEqual([]);
  });

  it('propagates a spec change with a JSON patch tested against the child resourceVersion, taskManagers aside', async () => {
    const { world, reconcile } = setUp(['a']);
    await settle(world, reconcile);
    const clusterVersion = mustGet(world, FLINK_CLUSTER, 'demo').metadata.resourceVersion;
    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
      spec: { cluster: { taskManagers: 3, supervisor: { pollingInterval: 3 } } },
    });
    world.resources.writes.length = 0;

    const result = await reconcile();

    const patches = world.resources.writes.filter((w) => w.op === 'jsonPatch');
    expect(patches.map((w) => `${w.kind}/${w.name}`)).toEqual(['FlinkCluster/demo']);
    const operations = patches[0]?.body as { op: string; path: string; value?: unknown }[];
    expect(operations[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: clusterVersion });
    expect(operations.slice(1)).toEqual([
      { op: 'add', path: '/spec/supervisor', value: { image: 'flinkvisor:0.1.0', pollingInterval: 3 } },
    ]);
    const cluster = mustGet(world, FLINK_CLUSTER, 'demo');
    expect(cluster.spec?.['supervisor']).toMatchObject({ pollingInterval: 3 });
    expect(cluster.spec?.['taskManagers']).toBe(0);
    expect(world.events.events.map((e) => e.reason)).toContain('ClusterUpdated');
    expect(result).toEqual({ requeueAfterMs: REQUEUE_AFTER_CHILDREN_CHANGED_MS });
    await settle(world, reconcile);
  });

  it('propagates a job change but never jobParallelism', async () => {
    const { world, reconcile } = setUp(['a']);
    await settle(world, reconcile);
    const spec = structuredClone(mustGet(world, FLINK_DEPLOYMENT, 'demo').spec) as {
      jobs: { spec: Record<string, unknown> }[];
    };
    const job = spec.jobs[0];
    if (!job) throw new Error('no job');
    job.spec['jobParallelism'] = 2;
    job.spec['bootstrap'] = { image: 'flinkvisor:0.1.0', jarPath: '/other.jar' };
    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', { spec: { jobs: spec.jobs } });
    world.resources.writes.length = 0;

    await reconcile();

    expect(world.resources.writes.filter((w) => w.op === 'jsonPatch').map((w) => w.name)).toEqual(['demo-a']);
    const updated = mustGet(world, FLINK_JOB, 'demo-a');
    expect(updated.spec?.['bootstrap']).toMatchObject({ jarPath: '/other.jar' });
    expect(updated.spec?.['jobParallelism']).toBe(0);
    expect(world.events.events.map((e) => e.reason)).toContain('JobUpdated');
  });

  it('deletes a job no longer declared', async () => {
    const { world, reconcile } = setUp(['a', 'b']);
    await settle(world, reconcile);
    const spec = mustGet(world, FLINK_DEPLOYMENT, 'demo').spec as { jobs: { name: string }[] };
    await world.resources.patch(FLINK_DEPLOYMENT, NAMESPACE, 'demo', {
      spec: { jobs: spec.jobs.filter((j) => j.name === 'a') },
    });
    world.resources.writes.length = 0;

    await reconcile();

    expect(world.resources.writes.filter((w) => w.op === 'delete').map((w) => w.name)).toEqual(['demo-b']);
    expect(stored(world, FLINK_JOB, 'demo-b')).toBeUndefined();
    expect(stored(world, FLINK_JOB, 'demo-a')).toBeDefined();
    expect(world.events.events.map((e) => e.reason)).toContain('JobDeleted');
  });

  it('never adopts a FlinkCluster of its name it did not create: Ready=False NotOwned, nothing written to it, no job created', async () => {
    const { world, reconcile } = setUp(['a']);
    const foreign = world.resources.put(FLINK_CLUSTER, NAMESPACE, clusterObject('demo'));
    const before = structuredClone(foreign);
    world.resources.writes.length = 0;

    expect(await reconcile()).toEqual({});

    // The only write is the deployment's own status; the foreign cluster is as it was.
    expect(world.resources.writes.map((w) => `${w.op} ${w.kind} ${w.name}`)).toEqual([
      'patchStatus FlinkDeployment demo',
    ]);
    expect(mustGet(world, FLINK_CLUSTER, 'demo')).toEqual(before);
    expect(stored(world, FLINK_JOB, 'demo-a')).toBeUndefined();
    const ready = readyCondition(world);
    expect(ready).toMatchObject({ status: 'False', reason: CONDITION_REASONS.notOwned });
    expect(ready?.message).toContain('FlinkCluster demo exists (no owner)');
    expect(world.events.events.filter((e) => e.reason === 'NotOwned')).toHaveLength(1);

    // Said once: a second pass writes nothing and records no second event.
    world.resources.writes.length = 0;
    await reconcile();
    expect(world.resources.writes).toEqual([]);
    expect(world.events.events.filter((e) => e.reason === 'NotOwned')).toHaveLength(1);

    // Its deletion leaves the foreign cluster alone too.
    await world.resources.delete(FLINK_DEPLOYMENT, NAMESPACE, 'demo');
    await reconcile();
    expect(stored(world, FLINK_CLUSTER, 'demo')?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('once the foreign FlinkCluster is gone, creates its own as usual', async () => {
    const { world, reconcile } = setUp(['a']);
    world.resources.put(FLINK_CLUSTER, NAMESPACE, clusterObject('demo'));
    await reconcile();
    await world.resources.delete(FLINK_CLUSTER, NAMESPACE, 'demo');
    await settle(world, reconcile);
    const owner = mustGet(world, FLINK_DEPLOYMENT, 'demo');
    expect(mustGet(world, FLINK_CLUSTER, 'demo').metadata.ownerReferences?.[0]?.uid).toBe(owner.metadata.uid);
    expect(stored(world, FLINK_JOB, 'demo-a')).toBeDefined();
  });

  it('never adopts a FlinkJob of a declared name it did not create, either', async () => {
    const { world, reconcile } = setUp(['a']);
    await settle(world, reconcile);
    await world.resources.delete(FLINK_JOB, NAMESPACE, 'demo-a');
    const foreign = world.resources.put(FLINK_JOB, NAMESPACE, jobObject('demo-a', 'elsewhere'));
    world.resources.writes.length = 0;

    await reconcile();

    expect(world.resources.writes.map((w) => `${w.op} ${w.kind} ${w.name}`)).toEqual([
      'patchStatus FlinkDeployment demo',
    ]);
    expect(mustGet(world, FLINK_JOB, 'demo-a')).toEqual(foreign);
    expect(readyCondition(world)?.message).toContain('FlinkJob demo-a exists (no owner)');
  });

  it('on deletion, deletes the children, waits for them, then removes its finalizer', async () => {
    const { world, reconcile } = setUp(['a']);
    await settle(world, reconcile);
    await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
    await addSupervisorFinalizer(world, FLINK_JOB, 'demo-a');
    await world.resources.delete(FLINK_DEPLOYMENT, NAMESPACE, 'demo');
    world.resources.writes.length = 0;

    expect(await reconcile()).toEqual({ requeueAfterMs: REQUEUE_WHILE_DELETING_MS });
    expect(world.resources.writes.map((w) => `${w.op} ${w.kind}/${w.name}`)).toEqual([
      'delete FlinkCluster/demo',
      'delete FlinkJob/demo-a',
    ]);
    expect(mustGet(world, FLINK_DEPLOYMENT, 'demo').metadata.finalizers).toEqual([FINALIZERS.operator]);

    // Still stopping: nothing new is written.
    world.resources.writes.length = 0;
    expect(await reconcile()).toEqual({ requeueAfterMs: REQUEUE_WHILE_DELETING_MS });
    expect(world.resources.writes).toEqual([]);

    // The supervisor lets go of both.
    for (const [kind, name] of [
      [FLINK_CLUSTER, 'demo'],
      [FLINK_JOB, 'demo-a'],
    ] as const)
      await world.resources.patch(kind, NAMESPACE, name, { metadata: { finalizers: [] } });
    expect(await reconcile()).toEqual({});
    expect(stored(world, FLINK_DEPLOYMENT, 'demo')).toBeUndefined();
    expect(world.events.events.filter((e) => e.type === 'Warning')).toEqual([]);
  });

  it('forces the children’s finalizers off past the deletion bound, with a Warning event', async () => {
    const { world, reconcile } = setUp(['a']);
    await settle(world, reconcile);
    await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
    await addSupervisorFinalizer(world, FLINK_JOB, 'demo-a');
    await world.resources.delete(FLINK_DEPLOYMENT, NAMESPACE, 'demo');
    await reconcile();
    await world.clock.advance(clusterDeletionBoundMs(DEFAULT_TASK_TIMEOUT_SECONDS));
    await reconcile();
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeDefined();
    expect(world.events.events.some((e) => e.reason === 'DeletionForced')).toBe(false);

    await world.clock.advance(1);
    expect(await reconcile()).toEqual({ requeueAfterMs: REQUEUE_WHILE_DELETING_MS });
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();
    expect(stored(world, FLINK_JOB, 'demo-a')).toBeUndefined();
    expect(world.events.events.filter((e) => e.type === 'Warning')).toEqual([
      expect.objectContaining({
        reason: 'DeletionForced',
        subject: expect.objectContaining({ kind: 'FlinkDeployment' }),
      }),
    ]);
    expect(await reconcile()).toEqual({});
    expect(stored(world, FLINK_DEPLOYMENT, 'demo')).toBeUndefined();
  });

  it('honours a configured deletion bound', async () => {
    const world = operatorWorld();
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, deploymentObject('demo', [], [FINALIZERS.operator]));
    const reconciler = new DeploymentReconciler({ ...world, forceDeletionAfterMs: 5000 });
    await settle(world, () => reconciler.reconcile(NAMESPACE, 'demo'));
    await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
    await world.resources.delete(FLINK_DEPLOYMENT, NAMESPACE, 'demo');
    await reconciler.reconcile(NAMESPACE, 'demo');
    await world.clock.advance(5001);
    await reconciler.reconcile(NAMESPACE, 'demo');
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();
  });

  it('reports an invalid spec once in its status, with a Warning event, and does not retry', async () => {
    const world = operatorWorld();
    const invalid = deploymentObject('demo', ['a'], [FINALIZERS.operator]);
    invalid.spec = { jobs: 'not a list' };
    world.resources.put(FLINK_DEPLOYMENT, NAMESPACE, invalid);
    const reconciler = new DeploymentReconciler(world);

    await expect(reconciler.reconcile(NAMESPACE, 'demo')).rejects.toBeInstanceOf(TerminalError);
    expect(readyCondition(world)).toMatchObject({ status: 'False', reason: CONDITION_REASONS.invalidSpec });
    expect(world.events.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning InvalidSpec']);
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();

    world.resources.writes.length = 0;
    await expect(reconciler.reconcile(NAMESPACE, 'demo')).rejects.toBeInstanceOf(TerminalError);
    expect(world.resources.writes).toEqual([]);
  });

  it('does nothing for a FlinkDeployment the cache does not have', async () => {
    const world = operatorWorld();
    expect(await new DeploymentReconciler(world).reconcile(NAMESPACE, 'gone')).toEqual({});
    expect(world.resources.writes).toEqual([]);
  });
});
