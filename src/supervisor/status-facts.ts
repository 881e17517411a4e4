// What the supervisor knows of a resource besides its machine's snapshot, gathered for its status
// (status-report.ts decides the status from it): the object's generation and stored status, what
// its host remembers (a failed restore, a spec or action refused), and what the cluster, its pods
// and the job's watches say.
import type { V1Pod } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import type { ClusterContext } from '../machines/cluster-machine.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import type { MachineState } from '../machines/views.ts';
import { clusterPods } from './observer.ts';
import type { AnyHost } from './resource-host.ts';
import { statusFromSnapshot, type ReportFacts } from './status-report.ts';

/** What a status needs of the supervisor besides the host. */
export interface StatusFactsDeps {
  readonly clock: Clock;
  readonly clusterName: string;
  readonly namespace: string;
  /** The FlinkCluster as last parsed. */
  readonly cluster: () => FlinkCluster | undefined;
  /** The cluster machine's snapshot, while it has one. */
  readonly clusterSnapshot: () => MachineState<ClusterContext> | undefined;
  readonly pods: () => V1Pod[];
  /** A FlinkJob as last parsed. */
  readonly job: (name: string) => FlinkJob | undefined;
}

/** The status of `host`'s resource, decided for `raw` (the object it is written to). */
export function statusOf(
  deps: StatusFactsDeps,
  host: AnyHost,
  raw: CustomObject,
  envelope?: PersistedEnvelope,
): Record<string, unknown> {
  const facts: ReportFacts = {
    now: deps.clock.now(),
    generation: raw.metadata.generation ?? 0,
    stored: raw.status,
    restoreFailure: host.restoreFailure,
    invalidSpec: host.invalidSpec,
    invalidAction: host.invalidAction,
    ...(envelope ? { envelope } : {}),
  };
  if (host.kind === 'cluster') {
    return statusFromSnapshot({
      ...facts,
      kind: 'cluster',
      snapshot: host.actor.getSnapshot(),
      clusterName: deps.clusterName,
      serviceMode: deps.cluster()?.spec.jobManager.serviceMode,
      taskManagerReplicas: clusterPods(deps.pods()).taskManagers.length,
    });
  }
  const cluster = deps.cluster();
  return statusFromSnapshot({
    ...facts,
    kind: 'job',
    snapshot: host.actor.getSnapshot(),
    clusterName: deps.clusterName,
    clusterUid: cluster?.metadata.uid,
    cluster: deps.clusterSnapshot(),
    job: deps.job(host.name),
    lastFlinkJob: host.lastFlinkJob,
    checkpoints: host.checkpoints.verdict,
    autoscaler: host.autoscaler.status,
    lastFailure: host.failures.last,
    storage: cluster?.spec.storage,
    namespace: deps.namespace,
  });
}
