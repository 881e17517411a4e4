// Fleet mode (operator run --embedded-supervisors): the cluster reconciler starts and stops the
// supervisor hosted in the operator process instead of applying a supervisor Deployment.
import { describe, expect, it } from 'vitest';
import { FINALIZERS, supervisorDeploymentName } from '../../../src/api/names.ts';
import {
  ClusterReconciler,
  REQUEUE_WHILE_SUPERVISOR_STOPS_MS,
} from '../../../src/operator/cluster-reconciler.ts';
import type { SupervisorHost } from '../../../src/operator/supervisor-deployments.ts';
import { operatorWorld } from '../../support/operator-fakes.ts';
import { addSupervisorFinalizer, clusterObject, FLINK_CLUSTER, NAMESPACE, stored } from './fixtures.ts';

/** Records what the reconciler asks of the host; `running` is what a real host would run. */
class RecordingHost implements SupervisorHost {
  readonly running = new Set<string>();
  readonly calls: string[] = [];
  ensure(namespace: string, name: string): void {
    this.calls.push(`ensure ${namespace}/${name}`);
    this.running.add(`${namespace}/${name}`);
  }
  async stop(namespace: string, name: string): Promise<void> {
    this.calls.push(`stop ${namespace}/${name}`);
    this.running.delete(`${namespace}/${name}`);
  }
  has(namespace: string, name: string): boolean {
    return this.running.has(`${namespace}/${name}`);
  }
}

function setUp() {
  const world = operatorWorld();
  const host = new RecordingHost();
  world.resources.put(FLINK_CLUSTER, NAMESPACE, clusterObject('demo'));
  const reconciler = new ClusterReconciler({
    ...world,
    supervisorDeployments: world.supervisorDeployments,
    embedded: host,
  });
  return { world, host, reconcile: () => reconciler.reconcile(NAMESPACE, 'demo') };
}

describe('ClusterReconciler in fleet mode', () => {
  it('adds its finalizer, then starts the hosted supervisor once, and never a supervisor Deployment', async () => {
    const { world, host, reconcile } = setUp();
    expect(await reconcile()).toEqual({});
    expect(stored(world, FLINK_CLUSTER, 'demo')?.metadata.finalizers).toEqual([FINALIZERS.operator]);
    expect(host.calls).toEqual([]);

    expect(await reconcile()).toEqual({});
    expect(await reconcile()).toEqual({});
    expect(host.calls).toEqual([`ensure ${NAMESPACE}/demo`]);
    expect(world.events.events.map((e) => e.reason)).toEqual(['SupervisorStarted']);
    expect(world.supervisorDeployments.applied).toEqual([]);
  });

  it('deletes a supervisor Deployment left from before fleet mode: the hosted one takes over its Lease', async () => {
    const { world, host, reconcile } = setUp();
    await world.supervisorDeployments.apply({
      metadata: { name: supervisorDeploymentName('demo'), namespace: NAMESPACE },
    });
    await reconcile();
    await reconcile();
    expect(world.supervisorDeployments.deleted).toEqual([
      { namespace: NAMESPACE, name: supervisorDeploymentName('demo') },
    ]);
    expect(host.has(NAMESPACE, 'demo')).toBe(true);
  });

  it('keeps the supervisor running while it stops Flink, then stops it and lets go', async () => {
    const { world, host, reconcile } = setUp();
    await reconcile();
    await reconcile();
    await addSupervisorFinalizer(world, FLINK_CLUSTER, 'demo');
    await world.resources.delete(FLINK_CLUSTER, NAMESPACE, 'demo');
    host.running.clear(); // the operator restarted: the supervisor must come back to finish

    expect(await reconcile()).toEqual({ requeueAfterMs: REQUEUE_WHILE_SUPERVISOR_STOPS_MS });
    expect(host.has(NAMESPACE, 'demo')).toBe(true);

    // The supervisor has stopped Flink and removes its finalizer.
    await world.resources.patch(FLINK_CLUSTER, NAMESPACE, 'demo', {
      metadata: { finalizers: [FINALIZERS.operator] },
    });
    expect(await reconcile()).toEqual({});
    expect(host.calls.at(-1)).toBe(`stop ${NAMESPACE}/demo`);
    expect(host.has(NAMESPACE, 'demo')).toBe(false);
    expect(stored(world, FLINK_CLUSTER, 'demo')).toBeUndefined();
  });

  it('stops the supervisor of a cluster that is gone', async () => {
    const { world, host, reconcile } = setUp();
    await reconcile();
    await reconcile();
    world.resources.objects.clear();
    expect(await reconcile()).toEqual({});
    expect(host.running.size).toBe(0);
  });
});
