import {
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  type KindNames,
} from '../../../src/api/names.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import type { OperatorWorld } from '../../support/operator-fakes.ts';

export const NAMESPACE = 'team-a';

/** A FlinkDeployment as a user writes it (the operator e2e's, trimmed). */
export function deploymentObject(
  name: string,
  jobs: readonly string[],
  finalizers: string[] = [],
): CustomObject {
  return {
    metadata: { name, namespace: NAMESPACE, ...(finalizers.length > 0 ? { finalizers } : {}) },
    spec: {
      cluster: {
        taskManagers: 0,
        runtime: { image: 'flink:1.20' },
        flinkConfiguration: { 'jobmanager.memory.process.size': '1024m' },
        taskManager: { taskSlots: 1 },
        supervisor: { image: 'flinkvisor:0.1.0', pollingInterval: 2 },
      },
      jobs: jobs.map((job) => ({
        name: job,
        spec: {
          jobParallelism: 0,
          bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/opt/flinkvisor/examples/TopSpeedWindowing.jar' },
          savepoint: { savepointMode: 'Manual' },
        },
      })),
    },
  };
}

/** A FlinkCluster of its own (no owning deployment). */
export function clusterObject(name: string, finalizers: string[] = []): CustomObject {
  const spec = deploymentObject(name, []).spec?.['cluster'] as Record<string, unknown>;
  return {
    metadata: { name, namespace: NAMESPACE, ...(finalizers.length > 0 ? { finalizers } : {}) },
    spec,
  };
}

/** A FlinkJob naming `clusterName`. */
export function jobObject(name: string, clusterName: string, finalizers: string[] = []): CustomObject {
  return {
    metadata: { name, namespace: NAMESPACE, ...(finalizers.length > 0 ? { finalizers } : {}) },
    spec: {
      clusterName,
      bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/jar.jar' },
      savepoint: { savepointMode: 'Manual' },
    },
  };
}

export function stored(world: OperatorWorld, kind: KindNames, name: string): CustomObject | undefined {
  return world.resources.objects.get(`${kind.plural}/${NAMESPACE}/${name}`);
}

export function mustGet(world: OperatorWorld, kind: KindNames, name: string): CustomObject {
  const object = stored(world, kind, name);
  if (!object) throw new Error(`${kind.kind} ${name} is not stored`);
  return object;
}

/** What a supervisor does on start: put its finalizer on the cluster or job (a write of the test, not recorded). */
export async function addSupervisorFinalizer(
  world: OperatorWorld,
  kind: KindNames,
  name: string,
): Promise<void> {
  const object = mustGet(world, kind, name);
  await world.resources.patch(kind, NAMESPACE, name, {
    metadata: { finalizers: [...(object.metadata.finalizers ?? []), FINALIZERS.supervisor] },
  });
  world.resources.writes.length = 0;
}

export { FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB };
