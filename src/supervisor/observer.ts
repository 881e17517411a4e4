// What the supervisor tells the machines, built from what its caches hold and what Flink answered:
// pure functions of the cached objects, so a pass can be tested without an API server.
import type { V1ConfigMap, V1Job, V1Pod, V1Service } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { isPausedObject, jobManagerServiceName, LABELS } from '../api/names.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { samePodAddress } from '../kube/pod-address.ts';
import type {
  ClusterObservation,
  ClusterView,
  FlinkJobObservation,
  FlinkRestObservation,
  JobManagerLeader,
  JobObservation,
  JobSummary,
  PodDisruption,
  StorageCleanupObservation,
} from '../machines/observations.ts';
import { decodeJobEnvelope } from '../machines/persistence.ts';
import { jobSummary } from '../machines/views.ts';
import { readBootstrap } from './bootstrap-observation.ts';
import type { SlotsExpectation } from './flink-gateway.ts';
import { isLivePod } from './machine-effects.ts';
import type { LastFlinkJob } from './resource-host.ts';
import { clusterSpecDigest, jobSpecDigest } from './spec-policies.ts';
import type { JobRaw } from './supervisor-caches.ts';

export function isReadyPod(pod: V1Pod): boolean {
  return (
    isLivePod(pod) && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** The cluster's live pods by role (Failed and Succeeded pods do not count). */
export interface ClusterPods {
  readonly jobManagers: readonly V1Pod[];
  readonly taskManagers: readonly V1Pod[];
}

export function clusterPods(pods: readonly V1Pod[]): ClusterPods {
  const live = (role: string) =>
    pods.filter((p) => p.metadata?.labels?.[LABELS.role] === role && isLivePod(p));
  return { jobManagers: live('jobmanager'), taskManagers: live('taskmanager') };
}

/** Flink is asked only while a JobManager is Ready: an unready one answers nothing useful. */
export function jobManagerReady(pods: ClusterPods): boolean {
  return pods.jobManagers.some(isReadyPod);
}

/**
 * Flink's Kubernetes HA keeps its leader in the ConfigMap `<kubernetes.cluster-id>-cluster-config-map`
 * (Flink 1.15 and later, 2.x included): the lock annotation names the holder, one key per
 * component (`org.apache.flink.k8s.leader.<component>`) its address. The cluster id is the
 * cluster's name (resource-builders.ts).
 */
export const HA_LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
const HA_LEADER_KEY_PREFIX = 'org.apache.flink.k8s.leader.';

export function haClusterConfigMapName(clusterName: string): string {
  return `${clusterName}-cluster-config-map`;
}

/**
 * The leading JobManager from the HA ConfigMap: the lock holder's identity (a fresh one for every
 * JobManager process) and, when the addresses it publishes name a JobManager pod's IP, that pod.
 * Null when there is no ConfigMap or no holder yet.
 */
export function jobManagerLeaderOf(
  configMap: V1ConfigMap | undefined,
  jobManagers: readonly V1Pod[],
): JobManagerLeader | null {
  const record = configMap?.metadata?.annotations?.[HA_LEADER_ANNOTATION];
  if (!record) return null;
  let holder: unknown;
  try {
    holder = (JSON.parse(record) as { holderIdentity?: unknown }).holderIdentity;
  } catch {
    return null;
  }
  if (typeof holder !== 'string' || holder === '') return null;
  const addresses = Object.entries(configMap?.data ?? {})
    .filter(([key]) => key.startsWith(HA_LEADER_KEY_PREFIX))
    // An IPv6 host is bracketed in these URLs (`http://[fd00:0:0:0:0:0:0:b]:8081`); an IPv4 one is not.
    .flatMap(([, value]) =>
      [...value.matchAll(/(?:\/\/|@)(?:\[([0-9A-Fa-f:.]+)\]|(\d+\.\d+\.\d+\.\d+)):\d+/g)].map(
        (m) => m[1] ?? m[2],
      ),
    );
  // Flink spells an IPv6 address its own way (Java's full form); Kubernetes compresses it.
  const pod = jobManagers.find((p) => addresses.some((a) => samePodAddress(a, p.status?.podIP)));
  return { id: holder, pod: pod?.metadata?.name ?? null };
}

/**
 * What the pods say about Flink's slots (flink-gateway.ts reads the count again when it changes):
 * the pods by name, uid, readiness and restarts, and the slots the Ready TaskManagers offer.
 */
export function slotsExpectation(pods: ClusterPods, cluster: FlinkCluster, now: number): SlotsExpectation {
  const describe = (p: V1Pod) =>
    [
      p.metadata?.name,
      p.metadata?.uid,
      isReadyPod(p),
      (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
    ].join('/');
  return {
    jobManagerReady: jobManagerReady(pods),
    topology: [...pods.jobManagers, ...pods.taskManagers].map(describe).sort().join(','),
    slots: pods.taskManagers.filter(isReadyPod).length * cluster.spec.taskManager.taskSlots,
    now,
  };
}

export function observeCluster(input: {
  readonly cluster: FlinkCluster;
  readonly pods: ClusterPods;
  readonly services: readonly V1Service[];
  readonly flink: FlinkRestObservation;
  /** Each job machine's summary. */
  readonly jobs: readonly JobSummary[];
  /** FlinkJobs whose spec does not parse: one without a machine is summarized from its status. */
  readonly invalidJobs?: readonly CustomObject[];
  /** With HA: the leading JobManager (jobManagerLeaderOf); left out without HA. */
  readonly leader?: JobManagerLeader | null;
  /** The storage-cleanup Job of a deletion (readStorageCleanup). */
  readonly storageCleanup?: StorageCleanupObservation;
  /** Pods of the cluster Kubernetes is taking away (pod-disruptions.ts). */
  readonly disruptions?: readonly PodDisruption[];
  /** The only JobManager pod is being drained and still runs (pod-disruptions.ts drainingJobManager). */
  readonly jobManagerDraining?: boolean;
}): ClusterObservation {
  const { cluster, pods } = input;
  const serviceName = jobManagerServiceName(cluster.metadata.name ?? '');
  return {
    deletionRequested: Boolean(cluster.metadata.deletionTimestamp),
    paused: isPausedObject(cluster.metadata),
    specDigest: clusterSpecDigest(cluster),
    ...(input.storageCleanup === undefined ? {} : { storageCleanup: input.storageCleanup }),
    ...(input.disruptions?.length ? { disruptions: input.disruptions } : {}),
    jobManager: {
      pods: pods.jobManagers.length,
      ready: jobManagerReady(pods),
      ...(input.leader === undefined ? {} : { leader: input.leader }),
      ...(input.jobManagerDraining ? { draining: true } : {}),
    },
    jobManagerService: input.services.some((s) => s.metadata?.name === serviceName),
    taskManagers: { pods: pods.taskManagers.length, ready: pods.taskManagers.filter(isReadyPod).length },
    flink: input.flink,
    jobs: [
      ...input.jobs,
      ...(input.invalidJobs ?? [])
        .filter((raw) => !input.jobs.some((job) => job.name === raw.metadata.name))
        .flatMap(storedJobSummary),
    ],
  };
}

/**
 * A FlinkJob without a machine whose spec no longer parses (a new leader never built one), as the
 * cluster machine needs it: its running Flink job stays managed, never cancelled as unmanaged, and
 * keeps its slots. Read from the stored status: the persisted machine when it restores, and the job
 * id status names. Nothing when it names no job and has no machine (it was never supervised).
 */
export function storedJobSummary(raw: CustomObject): JobSummary[] {
  const name = raw.metadata.name ?? '';
  const status = raw.status ?? {};
  const jobId = typeof status['jobId'] === 'string' && status['jobId'] !== '' ? status['jobId'] : null;
  const decoded = decodeJobEnvelope(status['machine'], raw.metadata.uid ?? '');
  if (decoded.ok) {
    const summary = jobSummary(name, decoded.state);
    return [summary.jobId === null && jobId !== null ? { ...summary, jobId } : summary];
  }
  if (jobId === null) return [];
  const parallelism = status['jobParallelism'];
  return [{ name, state: 'Started', parallelism: typeof parallelism === 'number' ? parallelism : 0, jobId }];
}

/** What Flink says about the job id the machine owns: only that id counts (NONE without one). */
export function flinkJobOf(jobId: string | null, flink: FlinkRestObservation): FlinkJobObservation {
  if (!jobId) return 'NONE';
  if (!flink.reachable) return 'UNREACHABLE';
  return flink.jobs.find((j) => j.id === jobId)?.state ?? 'NOT_FOUND';
}

/** Whether every task of the owned job runs, when the job list carried task counts; else null. */
export function flinkTasksRunningOf(jobId: string | null, flink: FlinkRestObservation): boolean | null {
  if (!jobId || !flink.reachable) return null;
  return flink.jobs.find((j) => j.id === jobId)?.tasksRunning ?? null;
}

export interface JobReading {
  readonly observation: JobObservation;
  /** The bootstrap Job has been deleting for longer than taskTimeout and is no longer waited for. */
  readonly bootstrapGaveUp: boolean;
}

export function observeJob(input: {
  readonly job: FlinkJob;
  readonly cluster: ClusterView;
  /** The FlinkCluster the job runs on is paused: its jobs are held too (ADR 0019). */
  readonly clusterPaused?: boolean;
  readonly taskTimeoutMs: number;
  readonly ownedJobId: string | null;
  readonly flink: FlinkRestObservation;
  readonly bootstrap: V1Job | undefined;
  readonly now: number;
}): JobReading {
  const { gaveUp, ...bootstrap } = readBootstrap(input.bootstrap, input.now, input.taskTimeoutMs);
  return {
    observation: {
      deletionRequested: Boolean(input.job.metadata.deletionTimestamp),
      paused: isPausedObject(input.job.metadata) || input.clusterPaused === true,
      specDigest: jobSpecDigest(input.job),
      cluster: input.cluster,
      flinkJob: flinkJobOf(input.ownedJobId, input.flink),
      flinkTasksRunning: flinkTasksRunningOf(input.ownedJobId, input.flink),
      ...bootstrap,
    },
    bootstrapGaveUp: gaveUp,
  };
}

/**
 * Follows the Flink job a job machine owns, and keeps following it after the machine let go of its
 * id: a stop-with-savepoint completes on the savepoint's status, before any observation showed the
 * job FINISHED, and the machine then forgets the id. Flink keeps listing ended jobs for a while, so
 * the next readings still say how that job ended.
 */
export function followFlinkJob(
  previous: LastFlinkJob | null,
  ownedJobId: string | null,
  flink: FlinkRestObservation,
): LastFlinkJob | null {
  const id = ownedJobId ?? previous?.id ?? null;
  if (id === null) return null;
  const listed = flink.reachable ? flink.jobs.find((j) => j.id === id)?.state : undefined;
  return { id, state: listed ?? (previous?.id === id ? previous.state : null) };
}

/**
 * Every savepoint location the cluster's FlinkJobs name (the latest, the initial one, the target
 * directory): a storage cleanup leaves whatever lies under them in place.
 */
export function referencedSavepoints(jobs: readonly JobRaw[], clusterName: string): string[] {
  return jobs
    .filter((j) => j.spec?.clusterName === clusterName)
    .flatMap((j) => {
      const savepoint = (j.spec as { savepoint?: Record<string, unknown> } | undefined)?.savepoint ?? {};
      return [
        j.status?.['savepointPath'],
        savepoint['initialSavepointPath'],
        savepoint['savepointPath'],
        savepoint['savepointTargetPath'],
      ].filter((p): p is string => typeof p === 'string' && p !== '');
    });
}

/**
 * The HA leader as Flink recorded it. A read that fails (no RBAC for ConfigMaps, API server
 * hiccup) is "not known now": the machine then records no failover, and decides nothing else on it.
 */
export async function readJobManagerLeader(
  objects: { readConfigMap?(name: string): Promise<V1ConfigMap | undefined> },
  clusterName: string,
  pods: { readonly jobManagers: readonly V1Pod[] },
  unreadable: (err: unknown) => void,
): Promise<JobManagerLeader | null> {
  if (!objects.readConfigMap) return null;
  try {
    return jobManagerLeaderOf(
      await objects.readConfigMap(haClusterConfigMapName(clusterName)),
      pods.jobManagers,
    );
  } catch (err) {
    unreadable(err);
    return null;
  }
}
