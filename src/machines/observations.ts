// What the supervisor tells the machines: observations of the world, requested actions, and time.
// Machines never read clocks or the API: every event carries `at` (epoch milliseconds) and a full,
// level-based observation, so the same event can be re-sent without harm (see README.md).
import type { ClusterPolicy, JobPolicy } from './policies.ts';

/** The six states both machines share (their top-level states). */
export type LifecycleState = 'Unknown' | 'Starting' | 'Started' | 'Stopping' | 'Stopped' | 'Terminated';

/** Flink's JobStatus values (REST `state`), Flink 1.17 to 2.3. */
export type FlinkJobState =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'FAILED'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'RESTARTING'
  | 'SUSPENDED'
  | 'RECONCILING';

export const TERMINAL_FLINK_STATES: ReadonlySet<string> = new Set(['FINISHED', 'FAILED', 'CANCELED']);

export function isTerminalFlinkState(state: string): boolean {
  return TERMINAL_FLINK_STATES.has(state);
}

/** A job as listed by Flink `GET /jobs`. */
export interface FlinkJobListing {
  readonly id: string;
  readonly state: FlinkJobState;
  /**
   * Every task of the job is running (or finished), from `GET /jobs/overview`; absent when the
   * plain job list was read (it has no task counts: only an upgrade's health gate asks for them).
   */
  readonly tasksRunning?: boolean;
}

/** The Flink REST API as seen by the supervisor: `GET /overview` + `GET /jobs`, or no answer. */
export type FlinkRestObservation =
  | { readonly reachable: true; readonly slotsTotal: number; readonly jobs: readonly FlinkJobListing[] }
  | { readonly reachable: false };

/** One FlinkJob of the cluster as the cluster machine needs it (from `jobSummary()` of its machine). */
export interface JobSummary {
  readonly name: string;
  readonly state: LifecycleState;
  /** Parallelism it holds or needs (Starting: the requested one; Started/Stopping: the one in effect). */
  readonly parallelism: number;
  /** The Flink job id the job machine owns (deterministic; known before submission), or null. */
  readonly jobId: string | null;
}

/** The leading JobManager as Flink's HA services record it. */
export interface JobManagerLeader {
  /** The leader's lock identity: new for every JobManager process, so a restart is a change too. */
  readonly id: string;
  /** The pod it runs in, when its address matches one of the cluster's pods. */
  readonly pod: string | null;
}

/** Which of the cluster's pods a disruption took. */
export type DisruptedRole = 'jobmanager' | 'taskmanager';

/**
 * A pod of the cluster that Kubernetes is taking away, as its `DisruptionTarget` condition says:
 * evicted through the eviction API (a node drain, an autoscaler's scale-down), deleted because its
 * node is tainted or gone, preempted, or terminated by the kubelet.
 */
export interface PodDisruption {
  readonly pod: string;
  readonly role: DisruptedRole;
  /** The condition's reason (EvictionByEvictionAPI, DeletionByTaintManager, DeletionByPodGC, …). */
  readonly reason: string;
  readonly message: string;
  /** When the condition was set (epoch ms, second resolution): what orders disruptions. */
  readonly at: number;
}

/** Orders disruptions by when they happened, then by pod name (two evictions in one second). */
export function compareDisruptions(a: PodDisruption, b: PodDisruption): number {
  return a.at - b.at || (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0);
}

export interface ClusterObservation {
  /** metadata.deletionTimestamp is set. */
  readonly deletionRequested: boolean;
  /**
   * The FlinkCluster carries `flinkvisor.io/paused: "true"` (ADR 0019): observe, change nothing.
   * Absent in observations made before pausing existed: not paused.
   */
  readonly paused?: boolean;
  /** specDigest() of spec.runtime + spec.jobManager + spec.taskManager (taskSlots included). */
  readonly specDigest: string;
  /**
   * JobManager pods of this cluster (any epoch) and whether one is Ready. With HA, `leader` is the
   * JobManager process that holds Flink's leadership (from its HA ConfigMap), null while none is
   * known; absent without HA.
   */
  readonly jobManager: {
    readonly pods: number;
    readonly ready: boolean;
    readonly leader?: JobManagerLeader | null;
    /**
     * Without HA: the only JobManager pod is being taken away for a disruption (it carries
     * `DisruptionTarget`, a drain's eviction) and still runs, its preStop hook holding the JVM while
     * a job runs (ADR 0021); `pods` and `ready` leave it out, and Flink is read through its IP.
     * Absent otherwise, and from observations made before it existed.
     */
    readonly draining?: boolean;
  };
  readonly jobManagerService: boolean;
  /** TaskManager pods that exist (not Failed/Succeeded) and how many are Ready. */
  readonly taskManagers: { readonly pods: number; readonly ready: number };
  readonly flink: FlinkRestObservation;
  readonly jobs: readonly JobSummary[];
  /**
   * The storage-cleanup Job of a deletion with autoClean (docs/adr/0012-auto-clean.md); absent
   * from observations made before it existed: 'absent'.
   */
  readonly storageCleanup?: StorageCleanupObservation;
  /**
   * Pods of the cluster being disrupted now, or seen disrupted shortly before they went
   * (pod-disruptions.ts); absent from observations made before it existed: none.
   */
  readonly disruptions?: readonly PodDisruption[];
}

/** The storage-cleanup Job of the cluster (at most one; its name is deterministic). */
export type StorageCleanupObservation = 'absent' | 'active' | 'succeeded' | 'failed';

/** The cluster as a job machine needs it (from `clusterView()` of the cluster machine). */
export interface ClusterView {
  readonly state: LifecycleState;
  /** Started and its REST API answers. */
  readonly healthy: boolean;
  /** Healthy, TaskManagers ready as desired and enough slots for every active job. */
  readonly ready: boolean;
  /** Increments at every (re)start of the cluster: a job started at another epoch lost its JobManager. */
  readonly epoch: number;
  /** The cluster is stopping because of a STOP requested without savepoint. */
  readonly stopWithoutSavepoint: boolean;
  /** The current epoch was started by a START requested without savepoint. */
  readonly startWithoutSavepoint: boolean;
  /**
   * Flink's Kubernetes HA is on: a standby JobManager takes over the running jobs when the leader
   * fails, so a job briefly unknown to Flink is being recovered, not lost (ADR 0011).
   */
  readonly highAvailability?: boolean;
  /**
   * Without HA: no JobManager pod exists and Flink does not answer. The Flink jobs ended with the
   * JobManager; a stop has nothing left to wait for (no savepoint can be taken, no cancel reach it).
   */
  readonly jobManagerGone?: boolean;
}

/** What Flink says about the job id the machine owns. */
export type FlinkJobObservation =
  | FlinkJobState
  /** Flink answered 404 for the job id (for example after a JobManager restart without HA). */
  | 'NOT_FOUND'
  /** The REST API did not answer. */
  | 'UNREACHABLE'
  /** Nothing to ask: the machine owns no job id. */
  | 'NONE';

export type BootstrapObservation = 'absent' | 'active' | 'succeeded' | 'failed';

/** Why a bootstrap Job failed, when its exit code says: the snapshot to restore has no `_metadata`. */
export type BootstrapFailure = 'SnapshotMissing';

/** A completed checkpoint or savepoint as Flink's checkpoint statistics report it. */
export interface CompletedSnapshot {
  /** Its external path (the directory holding `_metadata`). */
  readonly path: string;
  /** When it completed, epoch ms on the JobManager's clock. */
  readonly completedAt: number;
}

export interface JobObservation {
  readonly deletionRequested: boolean;
  /**
   * The FlinkJob, or the FlinkCluster it runs on, carries `flinkvisor.io/paused: "true"` (ADR
   * 0019): observe, change nothing. Absent: not paused.
   */
  readonly paused?: boolean;
  /** specDigest() of the job's bootstrap/jar settings. */
  readonly specDigest: string;
  readonly cluster: ClusterView;
  readonly flinkJob: FlinkJobObservation;
  /**
   * Every task of the owned job runs, when Flink's task counts were read (during an upgrade's
   * health gate); absent or null: not known.
   */
  readonly flinkTasksRunning?: boolean | null;
  /** The bootstrap batch Job of this FlinkJob (at most one; its name is deterministic). */
  readonly bootstrap: BootstrapObservation;
  /** The Flink job id that bootstrap Job submits (from its label/argument), null when absent. */
  readonly bootstrapJobId: string | null;
  /** Why the failed bootstrap Job failed, when known (absent in older observations: not known). */
  readonly bootstrapFailure?: BootstrapFailure | null;
  /**
   * The newest completed checkpoint of the owned job the supervisor's checkpoint watch has read
   * (null or absent: none known from this read). The machine keeps the newest one it saw.
   */
  readonly latestCheckpoint?: CompletedSnapshot | null;
}

export type RequestedActionName = 'START' | 'STOP' | 'TRIGGER_SAVEPOINT' | 'FORGET_SAVEPOINT';

/** A user request (annotation, REST API or CLI), remembered until a state accepts or rejects it. */
export interface RequestedAction {
  readonly action: RequestedActionName;
  /** Applies to this one action only (the toolbox's flag was sticky, §14.5). */
  readonly withoutSavepoint: boolean;
  /** Identity of the request (the action-timestamp annotation): a repeated request is ignored. */
  readonly requestedAt: number;
}

export interface ActionOutcome extends RequestedAction {
  readonly outcome: 'accepted' | 'rejected';
  readonly reason: string;
  readonly at: number;
}

/** Something the supervisor should say (status condition, Kubernetes Event): a notable decision. */
export interface Notice {
  readonly reason: string;
  readonly message: string;
  readonly at: number;
}

export interface ClusterObservedEvent {
  readonly type: 'OBSERVED';
  readonly at: number;
  readonly policy: ClusterPolicy;
  readonly observation: ClusterObservation;
}

export interface JobObservedEvent {
  readonly type: 'OBSERVED';
  readonly at: number;
  readonly policy: JobPolicy;
  readonly observation: JobObservation;
}

export interface ActionRequestedEvent extends RequestedAction {
  readonly type: 'ACTION_REQUESTED';
  readonly at: number;
}

export type ClusterEvent = ClusterObservedEvent | ActionRequestedEvent;
export type JobEvent = JobObservedEvent | ActionRequestedEvent;
