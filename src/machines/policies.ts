// Policy inputs of the machines and the pure arithmetic the supervisor shares with them.
// The supervisor maps the CRD spec onto these plain objects and sends them with every OBSERVED
// event, so a spec change takes effect on the next event (they are read live, never cached as truth).
//
// Each policy is declared once, as a zod schema: its TypeScript type is inferred from it, the
// persisted snapshot validates its `policy` with it (persistence.ts), the visualizer's what-if
// endpoint validates a requested policy with its strict form, and the visualizer's allow-list of
// policy fields is its list of keys (sanitize.ts). A new field is added here and nowhere else.
// zod is pure (no I/O), so the machines may import it.
import { z } from 'zod';

export const SavepointModeSchema = z.enum(['Automatic', 'Manual']);
export const RestartPolicySchema = z.enum(['Never', 'Always', 'OnlyIfFailed']);
export const RescalePolicySchema = z.enum(['None', 'JobParallelism']);
/** How a spec change or rescale carries the job's state over (docs/upgrades.md). */
export const UpgradeModeSchema = z.enum(['savepoint', 'last-state', 'stateless']);

export type SavepointMode = z.infer<typeof SavepointModeSchema>;
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;
export type RescalePolicy = z.infer<typeof RescalePolicySchema>;
export type UpgradeMode = z.infer<typeof UpgradeModeSchema>;

/** A duration in seconds (finite, not negative). */
const durationSeconds = z.number().min(0);
/** A number of things (parallelism, slots, TaskManagers): a whole number, not negative. */
const count = z.int().min(0);

/**
 * What a FlinkJob's spec says about savepoints, restarts, timeouts and parallelism.
 * Unknown keys are dropped (`z.object`); `z.strictObject(JobPolicySchema.shape)` rejects them.
 */
export const JobPolicySchema = z.object({
  savepointMode: SavepointModeSchema,
  /** Period of automatic savepoints while the job runs; 0 disables them (any savepointMode). */
  savepointIntervalSeconds: durationSeconds,
  /** `target-directory` of savepoints; null lets Flink use `state.savepoints.dir`. */
  savepointTargetPath: z.string().nullable(),
  /** Savepoint to restore from on the very first start only (when no savepoint is known yet). */
  initialSavepointPath: z.string().nullable(),
  /** Take a savepoint when the FlinkJob itself is deleted (the toolbox never does: default false). */
  savepointOnDelete: z.boolean(),
  restartPolicy: RestartPolicySchema,
  /** Time a job waits in Stopped before the restart policy restarts it. */
  restartDelaySeconds: durationSeconds,
  /** Time a start attempt may take (from the cluster being Started) before it is aborted. */
  restartTimeoutSeconds: durationSeconds,
  /** Bound of each stop step (savepoint, stop-with-savepoint, cancel) and of in-flight savepoints. */
  taskTimeoutSeconds: durationSeconds,
  /** Requested parallelism; clamped to [min, max]; 0 suspends the job. */
  jobParallelism: count,
  minJobParallelism: count,
  maxJobParallelism: count,
  /** Absent in snapshots persisted before upgrade modes existed: savepoint (upgradeModeOf). */
  upgradeMode: UpgradeModeSchema.optional(),
  /** Every stop-with-savepoint drains the job first (Flink `--drain`). Absent: false. */
  drainOnStop: z.boolean().optional(),
  /** Oldest completed checkpoint an upgrade may restore. Absent: DEFAULT_MAX_CHECKPOINT_AGE_SECONDS. */
  maxCheckpointAgeSeconds: durationSeconds.optional(),
  /**
   * Health gate of an upgrade (docs/upgrades.md): after a spec change or rescale is deployed, the
   * job must run this long without more than healthCheckMaxRestarts restarts. 0 or absent: no gate.
   */
  healthCheckWindowSeconds: durationSeconds.optional(),
  /** Flink restarts (RESTARTING episodes) tolerated within the window. Absent: 0. */
  healthCheckMaxRestarts: count.optional(),
  /** An upgrade that fails its health gate redeploys the last stable spec. Absent: false. */
  rollback: z.boolean().optional(),
  /**
   * Act mode of the autoscaler: the parallelism it set, in effect instead of jobParallelism
   * (status.autoscaler.parallelism, recorded before the job is rescaled; ADR 0017). Absent or null:
   * none, jobParallelism is in effect.
   */
  autoscalerParallelism: count.min(1).nullable().optional(),
  /**
   * The cluster runs Flink's adaptive scheduler (`jobmanager.scheduler: adaptive`): a parallelism
   * change is tried in place first (PUT resource-requirements), without a savepoint or a
   * resubmission. Absent: false.
   */
  adaptiveScheduler: z.boolean().optional(),
});

/** What a FlinkCluster's spec says about TaskManagers, rescaling and timeouts. */
export const ClusterPolicySchema = z.object({
  taskSlots: count,
  /** Requested TaskManagers (used as is with rescalePolicy None, or when the cluster has no job). */
  taskManagers: count,
  minTaskManagers: count,
  maxTaskManagers: count,
  rescalePolicy: RescalePolicySchema,
  /** Time surplus TaskManagers must stay surplus before idle ones are removed. */
  rescaleDelaySeconds: durationSeconds,
  /** Bound of the cluster's waits: start, REST outage before restart, jobs stopping (×3). */
  taskTimeoutSeconds: durationSeconds,
  /**
   * JobManager pods of an epoch; more than 1 means Flink's Kubernetes HA is on (one leads, the
   * others stand by). Absent in snapshots persisted before HA existed: 1.
   */
  jobManagerReplicas: count.min(1).optional(),
  /**
   * Deleting the cluster also removes its HA and checkpoint directories from storage
   * (docs/adr/0012-auto-clean.md). Absent in snapshots persisted before autoClean existed: false.
   */
  autoClean: z.boolean().optional(),
});

export type JobPolicy = Readonly<z.infer<typeof JobPolicySchema>>;
export type ClusterPolicy = Readonly<z.infer<typeof ClusterPolicySchema>>;

/** JobManager pods a cluster runs per epoch (1 unless HA asks for standbys). */
export function jobManagerReplicas(policy: Pick<ClusterPolicy, 'jobManagerReplicas'>): number {
  return Math.max(1, policy.jobManagerReplicas ?? 1);
}

/** Whether Flink's Kubernetes HA is on: more than one JobManager, one leading. */
export function highAvailability(policy: Pick<ClusterPolicy, 'jobManagerReplicas'>): boolean {
  return jobManagerReplicas(policy) > 1;
}

// Defaults are used only until the first OBSERVED event brings the real spec (and for a fresh
// actor's context); the CRD schema (src/api) declares the defaults a real spec gets. They follow
// what the toolbox Flinkvisor replaces did when a spec field was absent: savepoints in Automatic
// mode every hour, restart policy Never, 60 s restart delay, 180 s start timeout, 300 s task
// timeout, parallelism bounded by [0, 32]; one slot per TaskManager, TaskManagers bounded by
// [0, 32] and sized to the jobs' parallelism, 60 s rescale delay, no savepoint when a job is
// deleted. One differs on purpose: a job defaults to parallelism 1 (the toolbox's 0 means
// suspended). (docs/rules.md lists the same values: "Resources and effective defaults",
// "Health and timeouts".)
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
  upgradeMode: 'savepoint',
  drainOnStop: false,
  maxCheckpointAgeSeconds: 600,
  healthCheckWindowSeconds: 0,
  healthCheckMaxRestarts: 0,
  rollback: false,
  autoscalerParallelism: null,
  adaptiveScheduler: false,
};

/** The checkpoint age bound when a policy has none (the CRD's default of maxCheckpointAge). */
export const DEFAULT_MAX_CHECKPOINT_AGE_SECONDS = 600;

export function upgradeModeOf(policy: Pick<JobPolicy, 'upgradeMode'>): UpgradeMode {
  return policy.upgradeMode ?? 'savepoint';
}

/** The health gate's window in ms; 0 when the job has no gate. */
export function healthCheckWindowMs(policy: Pick<JobPolicy, 'healthCheckWindowSeconds'>): number {
  return seconds(policy.healthCheckWindowSeconds ?? 0);
}

export function maxCheckpointAgeMs(policy: Pick<JobPolicy, 'maxCheckpointAgeSeconds'>): number {
  return seconds(policy.maxCheckpointAgeSeconds ?? DEFAULT_MAX_CHECKPOINT_AGE_SECONDS);
}

export const DEFAULT_CLUSTER_POLICY: ClusterPolicy = {
  taskSlots: 1,
  taskManagers: 0,
  minTaskManagers: 0,
  maxTaskManagers: 32,
  rescalePolicy: 'JobParallelism',
  rescaleDelaySeconds: 60,
  taskTimeoutSeconds: 300,
  jobManagerReplicas: 1,
  autoClean: false,
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

/**
 * The parallelism a job runs with: clamp(jobParallelism, min, max), or the autoscaler's in its
 * stead (act mode). 0 means suspended: a suspension wins over the autoscaler.
 */
export function effectiveParallelism(policy: JobPolicy): number {
  const requested = policy.jobParallelism === 0 ? 0 : (policy.autoscalerParallelism ?? policy.jobParallelism);
  return clampCount(requested, policy.minJobParallelism, policy.maxJobParallelism);
}

/**
 * Integer division rounding up, so that TaskManagers × slots always covers the slots needed. (The
 * toolbox rounded half up: with 3 or more slots per TaskManager a job could lack slots and hang in
 * Starting.)
 */
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
 * Desired TaskManager count, clamped to [minTaskManagers, maxTaskManagers]:
 * - rescalePolicy None, or no job at all: the requested taskManagers;
 * - rescalePolicy JobParallelism: enough TaskManagers for the slots the jobs hold,
 *   ceil(requiredSlots / taskSlots) (a taskSlots below 1 counts as 1).
 * (docs/rules.md, "Rescaling", states the same rule.)
 */
export function desiredTaskManagers(policy: ClusterPolicy, jobs: readonly JobDemand[]): number {
  if (policy.rescalePolicy === 'None' || jobs.length === 0) {
    return clampCount(policy.taskManagers, policy.minTaskManagers, policy.maxTaskManagers);
  }
  const needed = ceilDiv(requiredSlots(jobs), Math.max(1, wholeNonNegative(policy.taskSlots)));
  return clampCount(needed, policy.minTaskManagers, policy.maxTaskManagers);
}

/** Why a job is (or is about to be) stopped. Decides what may restart it (ADR 0002). */
export const JobStopReasonSchema = z.enum([
  'Manual',
  'Deleted',
  'Finished',
  'Failed',
  'Canceled',
  'Lost',
  'StartTimedOut',
  'BootstrapFailed',
  'ClusterStopped',
  'Suspended',
  'SpecChanged',
  'Rescale',
  'RestartRequested',
  /** An upgrade could take no savepoint and found no checkpoint young enough: stopped, not started empty. */
  'SnapshotUnavailable',
  /** The snapshot to restore has no `_metadata` (the bootstrap checked): stopped, not started empty. */
  'SnapshotMissing',
  /** An upgrade failed its health gate: stopped to redeploy the last stable spec (rollback). */
  'RollingBack',
  /** An upgrade failed its health gate without rollback: left stopped, not retried until the spec changes. */
  'UpgradeFailed',
]);
export type JobStopReason = z.infer<typeof JobStopReasonSchema>;

/** Stop reasons that are failures: OnlyIfFailed restarts them, and they fail an upgrade's health gate. */
export const FAILURES: ReadonlySet<JobStopReason> = new Set([
  'Failed',
  'Lost',
  'StartTimedOut',
  'BootstrapFailed',
]);
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
