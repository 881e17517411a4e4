// Policy inputs of the machines and the pure arithmetic the supervisor shares with them.
// The supervisor maps the CRD spec onto these plain types and sends them with every OBSERVED event,
// so a spec change takes effect on the next event (they are read live, never cached as truth).

export type SavepointMode = 'Automatic' | 'Manual';
export type RestartPolicy = 'Never' | 'Always' | 'OnlyIfFailed';
export type RescalePolicy = 'None' | 'JobParallelism';

/** What a FlinkJob's spec says about savepoints, restarts, timeouts and parallelism. */
export interface JobPolicy {
  readonly savepointMode: SavepointMode;
  /** Period of automatic savepoints while the job runs; 0 disables them (any savepointMode). */
  readonly savepointIntervalSeconds: number;
  /** `target-directory` of savepoints; null lets Flink use `state.savepoints.dir`. */
  readonly savepointTargetPath: string | null;
  /** Savepoint to restore from on the very first start only (when no savepoint is known yet). */
  readonly initialSavepointPath: string | null;
  /** Take a savepoint when the FlinkJob itself is deleted (the toolbox never does: default false). */
  readonly savepointOnDelete: boolean;
  readonly restartPolicy: RestartPolicy;
  /** Time a job waits in Stopped before the restart policy restarts it. */
  readonly restartDelaySeconds: number;
  /** Time a start attempt may take (from the cluster being Started) before it is aborted. */
  readonly restartTimeoutSeconds: number;
  /** Bound of each stop step (savepoint, stop-with-savepoint, cancel) and of in-flight savepoints. */
  readonly taskTimeoutSeconds: number;
  /** Requested parallelism; clamped to [min, max]; 0 suspends the job. */
  readonly jobParallelism: number;
  readonly minJobParallelism: number;
  readonly maxJobParallelism: number;
}

/** What a FlinkCluster's spec says about TaskManagers, rescaling and timeouts. */
export interface ClusterPolicy {
  readonly taskSlots: number;
  /** Requested TaskManagers (used as is with rescalePolicy None, or when the cluster has no job). */
  readonly taskManagers: number;
  readonly minTaskManagers: number;
  readonly maxTaskManagers: number;
  readonly rescalePolicy: RescalePolicy;
  /** Time surplus TaskManagers must stay surplus before idle ones are removed. */
  readonly rescaleDelaySeconds: number;
  /** Bound of the cluster's waits: start, REST outage before restart, jobs stopping (×3). */
  readonly taskTimeoutSeconds: number;
}

// Defaults are used only until the first OBSERVED event brings the real spec (and for a fresh
// actor's context); they follow the toolbox's effective defaults (nextbreakpoint.md §2, §5.8).
export const DEFAULT_JOB_POLICY: JobPolicy = {
  savepointMode: 'Automatic',
  savepointIntervalSeconds: 3600,
  savepointTargetPath: null,
  initialSavepointPath: null,
  savepointOnDelete: false,
  restartPolicy: 'Never',
  restartDelaySeconds: 60,
  restartTimeoutSeconds: 180,
  taskTimeoutSeconds: 300,
  jobParallelism: 1,
  minJobParallelism: 0,
  maxJobParallelism: 32,
};

export const DEFAULT_CLUSTER_POLICY: ClusterPolicy = {
  taskSlots: 1,
  taskManagers: 0,
  minTaskManagers: 0,
  maxTaskManagers: 32,
  rescalePolicy: 'JobParallelism',
  rescaleDelaySeconds: 60,
  taskTimeoutSeconds: 300,
};

const SECOND = 1000;

export function seconds(value: number): number {
  return Math.max(0, value) * SECOND;
}

function wholeNonNegative(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.floor(value)) : 0;
}

/** Clamp a count to [min, max]; when min > max the maximum wins (an upper bound is a promise). */
export function clampCount(value: number, min: number, max: number): number {
  const upper = wholeNonNegative(max);
  const lower = Math.min(wholeNonNegative(min), upper);
  return Math.min(upper, Math.max(lower, wholeNonNegative(value)));
}

/** The parallelism a job runs with: clamp(jobParallelism, min, max). 0 means suspended. */
export function effectiveParallelism(policy: JobPolicy): number {
  return clampCount(policy.jobParallelism, policy.minJobParallelism, policy.maxJobParallelism);
}

/** Integer division rounding up: the toolbox rounded half up and under-provisioned (§14.1). */
export function ceilDiv(numerator: number, denominator: number): number {
  const n = wholeNonNegative(numerator);
  const d = wholeNonNegative(denominator);
  if (n === 0) return 0;
  if (d === 0) return 0;
  return Math.floor((n + d - 1) / d);
}

/** What the cluster machine needs to know about each job (the job machine's `jobSummary`). */
export interface JobDemand {
  readonly state: string;
  readonly parallelism: number;
}

const SLOT_HOLDING_STATES = new Set(['Starting', 'Started', 'Stopping']);

/** Slots the cluster must offer: Σ parallelism of jobs that are Starting, Started or Stopping. */
export function requiredSlots(jobs: readonly JobDemand[]): number {
  return jobs
    .filter((job) => SLOT_HOLDING_STATES.has(job.state))
    .reduce((sum, job) => sum + wholeNonNegative(job.parallelism), 0);
}

/**
 * Desired TaskManager count (nextbreakpoint.md §5.6, with ceiling division):
 * - rescalePolicy None, or no job at all: clamp(taskManagers);
 * - rescalePolicy JobParallelism: clamp(ceil(requiredSlots / taskSlots)).
 */
export function desiredTaskManagers(policy: ClusterPolicy, jobs: readonly JobDemand[]): number {
  if (policy.rescalePolicy === 'None' || jobs.length === 0) {
    return clampCount(policy.taskManagers, policy.minTaskManagers, policy.maxTaskManagers);
  }
  const needed = ceilDiv(requiredSlots(jobs), Math.max(1, wholeNonNegative(policy.taskSlots)));
  return clampCount(needed, policy.minTaskManagers, policy.maxTaskManagers);
}

/** Why a job is (or is about to be) stopped. Decides what may restart it (ADR 0002). */
export type JobStopReason =
  | 'Manual'
  | 'Deleted'
  | 'Finished'
  | 'Failed'
  | 'Canceled'
  | 'Lost'
  | 'StartTimedOut'
  | 'BootstrapFailed'
  | 'ClusterStopped'
  | 'Suspended'
  | 'SpecChanged'
  | 'Rescale'
  | 'RestartRequested';

const FAILURES: ReadonlySet<JobStopReason> = new Set(['Failed', 'Lost', 'StartTimedOut', 'BootstrapFailed']);
const ENDINGS: ReadonlySet<JobStopReason> = new Set(['Finished', 'Canceled']);

/**
 * Whether the restart policy restarts a job stopped for `reason` (after restartDelay):
 * Always restarts failures and endings, OnlyIfFailed only failures, Never nothing.
 * A manual stop is never restarted by the policy (ADR 0002); jobs stopped because of their
 * cluster or a zero parallelism resume on their own rules, not through the policy.
 */
export function restartAllowed(policy: RestartPolicy, reason: JobStopReason | null): boolean {
  if (reason === null) return false;
  if (policy === 'Always') return FAILURES.has(reason) || ENDINGS.has(reason);
  if (policy === 'OnlyIfFailed') return FAILURES.has(reason);
  return false;
}
