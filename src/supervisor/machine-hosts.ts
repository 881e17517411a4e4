import { FailureWatch } from './flink-failures.ts';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { FLINK_CLUSTER, FLINK_JOB } from '../api/names.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { clusterMachine } from '../machines/cluster-machine.ts';
import { jobMachine } from '../machines/job-machine.ts';
import { restoreClusterActor, restoreJobActor } from '../machines/persistence.ts';
import type { MachineJournal } from '../visualizer/machine-journal.ts';
import { storedCheckpointVerdict } from './checkpoint-progress.ts';
import { CheckpointWatch } from './checkpoint-watch.ts';
import { AutoscalerWatch, storedAutoscalerStatus } from './autoscaler-watch.ts';
import type { clusterEffects, jobEffects } from './machine-effects.ts';
import type { CrKind } from './notices.ts';
import { withSaneActionTimes } from './requested-actions.ts';
import type { ClusterHost, JobHost, ResourceHost } from './resource-host.ts';
import { clusterPolicy, jobPolicy } from './spec-policies.ts';
import { StatusWriter } from './status-writer.ts';

// The supervisor's handle on one resource, built from what is stored: the machine restored from
// `status.machine` (a snapshot that cannot be restored starts the machine afresh and says why),
// its effects wired to the ports, and a status writer seeded with the stored status. The
// supervisor attaches and starts it; nothing here acts.

export interface HostFactory {
  readonly clock: Clock;
  readonly namespace: string;
  readonly resources: CustomResourceClient;
  /** The cached object, read at each write for its resourceVersion. */
  readonly rawOf: (kind: CrKind, name: string) => CustomObject | undefined;
  readonly statusWritten: () => void;
  /** The leadership epoch the status writers stamp and fence on (status-writer.ts). */
  readonly epoch?: () => number | undefined;
  readonly journal?: MachineJournal | undefined;
  readonly machines?: MachineImplementations | undefined;
}

/** The machines a host runs: the real ones unless a test swaps one in (`Machine.provide`). */
export interface MachineImplementations {
  readonly cluster?: typeof clusterMachine;
  readonly job?: typeof jobMachine;
}

export function restoreClusterHost(
  f: HostFactory,
  cluster: FlinkCluster,
  raw: CustomObject,
  effects: ReturnType<typeof clusterEffects>,
): ClusterHost {
  const name = cluster.metadata.name ?? '';
  const uid = cluster.metadata.uid ?? '';
  const restored = restoreClusterActor(
    (f.machines?.cluster ?? clusterMachine).provide({ actors: effects }),
    withSaneActionTimes(raw.status?.['machine'], f.clock.now()),
    { uid, at: f.clock.now(), policy: clusterPolicy(cluster) },
    inspected(f, 'cluster', name),
  );
  return {
    ...hostBase(f, FLINK_CLUSTER, name, uid, raw, restored.failure),
    kind: 'cluster',
    actor: restored.actor,
  };
}

export function restoreJobHost(
  f: HostFactory,
  job: FlinkJob,
  cluster: FlinkCluster | undefined,
  raw: CustomObject,
  effects: ReturnType<typeof jobEffects>,
): JobHost {
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  const status = raw.status ?? {};
  const storedJobId = (status['jobId'] as string | undefined) || null;
  const restored = restoreJobActor(
    (f.machines?.job ?? jobMachine).provide({ actors: effects }),
    withSaneActionTimes(status['machine'], f.clock.now()),
    {
      uid,
      idSeed: String(f.clock.now()),
      at: f.clock.now(),
      policy: jobPolicy(job, cluster),
      savepointPath: (status['savepointPath'] as string | undefined) || null,
      jobId: storedJobId,
    },
    inspected(f, 'job', name),
  );
  const storedJobStatus = status['jobStatus'];
  return {
    ...hostBase(f, FLINK_JOB, name, uid, raw, restored.failure),
    kind: 'job',
    actor: restored.actor,
    lastFlinkJob: storedJobId
      ? { id: storedJobId, state: typeof storedJobStatus === 'string' ? storedJobStatus || null : null }
      : null,
    checkpoints: new CheckpointWatch(storedCheckpointVerdict(status)),
    autoscaler: new AutoscalerWatch(storedAutoscalerStatus(status)),
    failures: new FailureWatch(status['lastFailure']),
  };
}

function inspected(f: HostFactory, kind: 'cluster' | 'job', name: string) {
  return f.journal ? { actorOptions: { inspect: f.journal.inspector(kind, name) } } : {};
}

/** What both kinds of host start with: a status writer seeded with the stored status. */
function hostBase(
  f: HostFactory,
  kind: CrKind,
  name: string,
  uid: string,
  raw: CustomObject,
  failure: { reason: string; message: string } | null,
): Omit<ResourceHost<'cluster' | 'job', never>, 'kind' | 'actor'> {
  const writer = new StatusWriter({
    client: f.resources,
    kind,
    namespace: f.namespace,
    name,
    cached: () => f.rawOf(kind, name),
    epoch: () => f.epoch?.(),
    onWrite: f.statusWritten,
  });
  writer.seed(raw.status, raw.metadata.resourceVersion);
  return {
    name,
    uid,
    writer,
    lastValue: '',
    lastNoticeAt: null,
    lastActionAt: null,
    restoreFailure: failure,
    invalidSpec: null,
    invalidAction: null,
  };
}
