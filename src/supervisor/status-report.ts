// The status a supervisor writes for a FlinkCluster or FlinkJob: a pure function of the machine's
// snapshot and what the supervisor knows besides (the stored status, a spec that did not parse, a
// requested action nobody could take, the last Flink job followed). Users read this with kubectl and
// `kubectl wait`, so what it says must be true of the world, not only of the machine.
import {
  CONDITION_REASONS,
  CONDITION_TYPES,
  Conditions,
  PAUSED_MESSAGE,
  storedConditions,
} from '../api/conditions.ts';
import type { StorageSpec } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { taskManagerLabelSelector } from '../api/names.ts';
import type { Condition } from '../api/status.ts';
import { disruptionMessage, type ClusterCleanup, type ClusterContext } from '../machines/cluster-machine.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import type { JobContext } from '../machines/job-machine.ts';
import { isTerminalFlinkState } from '../machines/observations.ts';
import { encodeClusterSnapshot, encodeJobSnapshot } from '../machines/persistence.ts';
import {
  clusterHealth,
  clusterResourceStatus,
  jobResourceStatus,
  lifecycleState,
  type MachineState,
} from '../machines/views.ts';
import type { CheckpointVerdict } from './checkpoint-progress.ts';
import type { AutoscalerStatus } from '../api/autoscaler.ts';
import type { FlinkFailure } from './flink-failures.ts';
import type { InvalidAction, LastFlinkJob, ReportedContext } from './resource-host.ts';
import { jobSpecDigest } from './spec-policies.ts';
import { storageAccessVerdict } from './storage-access.ts';

/** What the supervisor knows of one resource besides its machine. */
export interface ReportFacts {
  readonly now: number;
  /** metadata.generation of the object the status is written to. */
  readonly generation: number;
  /** The status stored now (its conditions are carried over and updated). */
  readonly stored: Record<string, unknown> | undefined;
  readonly restoreFailure: { readonly reason: string; readonly message: string } | null;
  readonly invalidSpec: { readonly generation: number; readonly message: string } | null;
  readonly invalidAction: InvalidAction | null;
  /** The write-ahead envelope to store instead of one encoded from the snapshot. */
  readonly envelope?: PersistedEnvelope;
}

export interface ClusterReport extends ReportFacts {
  readonly kind: 'cluster';
  readonly snapshot: MachineState<ClusterContext>;
  readonly clusterName: string;
  readonly serviceMode: string | undefined;
  /** TaskManager pods that exist (not Failed or Succeeded). */
  readonly taskManagerReplicas: number;
}

export interface JobReport extends ReportFacts {
  readonly kind: 'job';
  readonly snapshot: MachineState<JobContext>;
  readonly clusterName: string;
  readonly clusterUid: string | undefined;
  readonly cluster: MachineState<ClusterContext> | undefined;
  /** The parsed FlinkJob (its savepoint mode and restart policy are reported). */
  readonly job: FlinkJob | undefined;
  readonly lastFlinkJob: LastFlinkJob | null;
  /** The cluster's state storage and namespace, to name a credentials Secret the store refused. */
  readonly storage?: StorageSpec | undefined;
  readonly namespace?: string;
  /** CheckpointsProgressing (checkpoint-watch.ts): null removes it; absent keeps the stored one. */
  readonly checkpoints?: CheckpointVerdict | null;
  /** status.autoscaler (autoscaler-watch.ts): null or absent, none. */
  readonly autoscaler?: AutoscalerStatus | null;
  /** status.lastFailure (flink-failures.ts): Flink's latest root exception; null or absent, none. */
  readonly lastFailure?: FlinkFailure | null;
}

function iso(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}

/** A state Flink no longer runs the job in: it ended, or Flink does not know it (any more). */
function ended(state: string | null | undefined): state is string {
  return typeof state === 'string' && (isTerminalFlinkState(state) || state === 'NOT_FOUND');
}

/**
 * status.jobId and status.jobStatus. While the machine owns a job id, the last state Flink reported
 * for it. Once it owns none (a stop completed), status.jobId is empty, as the schema says ("the
 * running job"), and jobStatus says how the last job ended: the state Flink lists it in, else the
 * one the machine last saw, else the one stored before, and never the state of a running job,
 * which a stopped job is not.
 */
export function reportedFlinkJob(
  context: Pick<JobContext, 'jobId' | 'lastFlinkState'>,
  last: LastFlinkJob | null,
  storedJobStatus: unknown,
): { readonly jobId: string; readonly jobStatus: string } {
  if (context.jobId !== null) return { jobId: context.jobId, jobStatus: context.lastFlinkState ?? '' };
  const candidates = [
    last?.state,
    context.lastFlinkState,
    typeof storedJobStatus === 'string' ? storedJobStatus : undefined,
  ];
  return { jobId: '', jobStatus: candidates.find(ended) ?? '' };
}

function readyMessage(report: ClusterReport | JobReport, state: string): string {
  const base = report.snapshot.context.notice?.message ?? `the ${report.kind} is ${state}`;
  if (report.kind !== 'job' || report.snapshot.context.jobId !== null || !report.lastFlinkJob) return base;
  // status.jobId is empty once a stop completed; the job that ran stays named here.
  const { jobStatus } = reportedFlinkJob(
    report.snapshot.context,
    report.lastFlinkJob,
    report.stored?.['jobStatus'],
  );
  return `${base} (last Flink job ${report.lastFlinkJob.id}${jobStatus ? ` ${jobStatus}` : ''})`;
}

/** The machine's last observation carried the paused annotation (ADR 0019). */
function reportedPaused(report: ClusterReport | JobReport): boolean {
  return report.snapshot.context.observed?.paused === true;
}

/** The conditions of a status computed from a machine snapshot. */
export function reportConditions(report: ClusterReport | JobReport, resourceStatus: string): Condition[] {
  const context: ReportedContext = report.snapshot.context;
  const state = lifecycleState(report.snapshot.value);
  const conditions = new Conditions(storedConditions(report.stored), report.generation, new Date(report.now));
  const running = state === 'Started' && resourceStatus === 'Updated';
  const settled = running || state === 'Stopped';
  const invalidSpec = report.invalidSpec;
  // While the spec does not parse, the machine runs on the last one that did: the resource is not
  // as its spec says.
  if (invalidSpec)
    conditions.set(CONDITION_TYPES.ready, false, CONDITION_REASONS.invalidSpec, invalidSpec.message);
  else
    conditions.set(
      CONDITION_TYPES.ready,
      running,
      state === 'Started' ? (running ? CONDITION_REASONS.running : CONDITION_REASONS.updating) : state,
      readyMessage(report, state),
    );
  conditions.set(
    CONDITION_TYPES.progressing,
    !settled,
    settled ? CONDITION_REASONS.settled : state,
    `the ${report.kind} is ${state}`,
  );
  if (invalidSpec)
    conditions.set(CONDITION_TYPES.specValid, false, CONDITION_REASONS.invalidSpec, invalidSpec.message);
  else
    conditions.set(
      CONDITION_TYPES.specValid,
      true,
      CONDITION_REASONS.parsed,
      `the spec at generation ${report.generation} parsed`,
    );
  if (report.restoreFailure) {
    conditions.set(
      CONDITION_TYPES.machineRestored,
      false,
      report.restoreFailure.reason,
      report.restoreFailure.message,
    );
  }
  if (report.kind === 'job') {
    const storage = storageAccessVerdict(context.notice, report.storage, report.namespace ?? '');
    if (storage)
      conditions.set(CONDITION_TYPES.storageAccessible, storage.accessible, storage.reason, storage.message);
    const restorable = stateRestorable(report.snapshot);
    if (restorable)
      conditions.set(
        CONDITION_TYPES.stateRestorable,
        restorable.status,
        restorable.reason,
        restorable.message,
      );
    const upgrade = upgradeHealth(context as JobContext);
    if (upgrade)
      conditions.set(CONDITION_TYPES.upgradeHealthy, upgrade.status, upgrade.reason, upgrade.message);
    const checkpoints = report.checkpoints;
    if (checkpoints)
      conditions.set(
        CONDITION_TYPES.checkpointsProgressing,
        checkpoints.progressing,
        checkpoints.reason,
        checkpoints.message,
      );
    else if (checkpoints === null) conditions.remove(CONDITION_TYPES.checkpointsProgressing);
  }
  if (reportedPaused(report))
    conditions.set(CONDITION_TYPES.reconciliationPaused, true, CONDITION_REASONS.paused, PAUSED_MESSAGE);
  else conditions.remove(CONDITION_TYPES.reconciliationPaused);
  const last = context.lastAction;
  const invalid = report.invalidAction;
  if (invalid && (!last || invalid.at >= last.at)) {
    conditions.set(CONDITION_TYPES.actionProcessed, false, CONDITION_REASONS.invalidAction, invalid.message);
  } else if (last) {
    const accepted = last.outcome === 'accepted';
    conditions.set(
      CONDITION_TYPES.actionProcessed,
      accepted,
      accepted ? CONDITION_REASONS.accepted : CONDITION_REASONS.rejected,
      `${last.action}: ${last.reason}`,
    );
  }
  return conditions.toArray();
}

/** The whole status of a FlinkCluster or FlinkJob (the status writer replaces it as a whole). */
export function statusFromSnapshot(report: ClusterReport | JobReport): Record<string, unknown> {
  const resourceStatus =
    report.kind === 'cluster' ? clusterResourceStatus(report.snapshot) : jobResourceStatus(report.snapshot);
  const base: Record<string, unknown> = {
    observedGeneration: report.generation,
    conditions: reportConditions(report, resourceStatus),
    supervisorStatus: lifecycleState(report.snapshot.value),
    resourceStatus,
    machine:
      report.envelope ??
      (report.kind === 'cluster'
        ? encodeClusterSnapshot(report.snapshot)
        : encodeJobSnapshot(report.snapshot)),
    timestamp: new Date(report.now).toISOString(),
    paused: reportedPaused(report),
  };
  if (report.kind === 'cluster') {
    const c = report.snapshot.context;
    return {
      ...base,
      clusterHealth: clusterHealth(report.snapshot),
      labelSelector: taskManagerLabelSelector(report.clusterName),
      serviceMode: report.serviceMode,
      taskManagers: c.desiredTaskManagers,
      taskSlots: c.taskSlots,
      taskManagerReplicas: report.taskManagerReplicas,
      totalTaskSlots: report.taskManagerReplicas * c.taskSlots,
      ...(c.lastRescaleAt ? { rescaleTimestamp: iso(c.lastRescaleAt) } : {}),
      // HA only: who leads, and how often leadership moved without the cluster restarting.
      ...(c.jobManagerLeader ? { jobManagerLeader: c.jobManagerLeader } : {}),
      ...(c.jobManagerFailovers > 0 ? { jobManagerFailovers: c.jobManagerFailovers } : {}),
      ...(c.lastFailoverAt ? { lastFailoverTimestamp: iso(c.lastFailoverAt) } : {}),
      // The last pod Kubernetes took away (ADR 0021): which, why, and what follows.
      ...(c.lastDisruption
        ? {
            lastDisruption: {
              pod: c.lastDisruption.pod,
              role: c.lastDisruption.role,
              reason: c.lastDisruption.reason,
              message: disruptionMessage(c.lastDisruption, c.policy),
              ...(c.lastDisruption.at > 0 ? { timestamp: iso(c.lastDisruption.at) } : {}),
            },
            podDisruptions: c.podDisruptions,
          }
        : {}),
      ...(c.cleanup ? { cleanup: cleanupStatus(c.cleanup) } : {}),
    };
  }
  const j = report.snapshot.context;
  const job = report.job;
  return {
    ...base,
    clusterName: report.clusterName,
    clusterUid: report.clusterUid,
    clusterHealth: report.cluster ? clusterHealth(report.cluster) : '',
    labelSelector: taskManagerLabelSelector(report.clusterName),
    jobParallelism: j.parallelism,
    ...reportedFlinkJob(j, report.lastFlinkJob, report.stored?.['jobStatus']),
    savepointPath: j.savepointPath ?? '',
    savepointJobId: j.savepoint ? (j.jobId ?? '') : '',
    savepointTriggerId: j.savepoint?.triggerId ?? '',
    ...(j.savepointAt ? { savepointTimestamp: iso(j.savepointAt) } : {}),
    ...(j.lastSavepointRequestAt ? { savepointRequestTimestamp: iso(j.lastSavepointRequestAt) } : {}),
    ...(job
      ? {
          savepointMode: job.spec.savepoint.savepointMode,
          restartPolicy: job.spec.restart.restartPolicy,
          upgradeMode: job.spec.upgradeMode,
        }
      : {}),
    ...(j.restoredFrom
      ? { restoredFrom: { path: j.restoredFrom.path ?? '', kind: j.restoredFrom.kind } }
      : {}),
    ...(j.lastCheckpoint
      ? { lastCheckpoint: { path: j.lastCheckpoint.path, completedAt: iso(j.lastCheckpoint.completedAt) } }
      : {}),
    ...(j.upgrade
      ? {
          upgrade: {
            phase: j.upgrade.phase,
            restarts: j.upgrade.restarts,
            ...(j.upgrade.until !== null ? { windowEnd: iso(j.upgrade.until) } : {}),
            ...(j.upgrade.snapshot
              ? { snapshot: { path: j.upgrade.snapshot.path ?? '', kind: j.upgrade.snapshot.kind } }
              : {}),
            ...(j.upgrade.reason ? { reason: j.upgrade.reason } : {}),
          },
        }
      : {}),
    ...lastStableSpec(j, job, report.stored),
    ...(report.autoscaler ? { autoscaler: report.autoscaler } : {}),
    ...(report.lastFailure ? { lastFailure: report.lastFailure } : {}),
    ...reportedRestarts(j.jobId ?? report.lastFlinkJob?.id ?? null, report.lastFailure),
  };
}

/**
 * status.restarts: Flink's restart count of the job the status names (the running one, else the
 * last one), from its latest failure the failure watch read; 0 for a job it saw no failure of. It
 * is derived, never read on its own: no REST call and no status write while the job runs.
 */
export function reportedRestarts(
  jobId: string | null,
  failure: FlinkFailure | null | undefined,
): { restarts?: number } {
  if (jobId === null) return {};
  if (failure?.jobId !== jobId) return { restarts: 0 };
  return failure.restarts === undefined ? {} : { restarts: failure.restarts };
}

/**
 * status.lastStableSpec: the settings of the spec the machine holds stable, which a rollback
 * resubmits. Copied from the FlinkJob while its spec is that one; kept from the stored status once
 * the spec moved on (the machine knows only its digest).
 */
function lastStableSpec(
  context: JobContext,
  job: FlinkJob | undefined,
  stored: Record<string, unknown> | undefined,
): { lastStableSpec?: unknown } {
  const stable = context.stableSpec;
  if (stable === null) return {};
  if (job && jobSpecDigest(job) === stable.specDigest)
    return {
      lastStableSpec: {
        specDigest: stable.specDigest,
        parallelism: stable.parallelism,
        bootstrap: job.spec.bootstrap,
        allowNonRestoredState: job.spec.savepoint.allowNonRestoredState,
      },
    };
  const kept = stored?.['lastStableSpec'] as { specDigest?: unknown } | undefined;
  return kept?.specDigest === stable.specDigest ? { lastStableSpec: kept } : {};
}

/** UpgradeHealthy: where the health gate of the latest upgrade is; null without a gated upgrade. */
export function upgradeHealth(
  context: Pick<JobContext, 'upgrade' | 'policy'>,
): { status: 'True' | 'False' | 'Unknown'; reason: string; message: string } | null {
  const check = context.upgrade;
  if (check === null) return null;
  const window = `healthCheckWindow ${context.policy.healthCheckWindowSeconds ?? 0}s`;
  switch (check.phase) {
    case 'Verifying':
      return {
        status: 'Unknown',
        reason: check.phase,
        message:
          check.until === null
            ? `the upgraded job is being submitted; ${window} starts when it runs`
            : `the upgraded job must run until ${iso(check.until) ?? ''} (${window}); ${check.restarts} restart(s) so far`,
      };
    case 'Healthy':
      return {
        status: 'True',
        reason: check.phase,
        message: `the upgraded job ran ${window}: its spec is the stable one`,
      };
    case 'Failed':
      return {
        status: 'False',
        reason: check.phase,
        message: `${check.reason ?? 'the upgrade failed its health gate'}; rollback is off: the spec is not retried until it changes`,
      };
    default:
      return {
        status: 'False',
        reason: check.phase,
        message: `${check.reason ?? 'the upgrade failed its health gate'}; ${check.phase === 'RolledBack' ? 'the last stable spec runs again' : 'rolling back to the last stable spec'}; the failed spec is not retried until it changes`,
      };
  }
}

/**
 * StateRestorable: False while an upgrade left the job stopped for want of a snapshot (the
 * machine's notice says what the user can do); else True naming what the latest submission
 * restored; null (left as stored) before either.
 */
export function stateRestorable(
  snapshot: MachineState<JobContext>,
): { status: boolean; reason: string; message: string } | null {
  const c = snapshot.context;
  const stopped = lifecycleState(snapshot.value) === 'Stopped';
  if (stopped && (c.stopReason === 'SnapshotUnavailable' || c.stopReason === 'SnapshotMissing')) {
    const reason =
      c.stopReason === 'SnapshotMissing'
        ? CONDITION_REASONS.snapshotMissing
        : CONDITION_REASONS.snapshotUnavailable;
    const said = c.notice?.reason === c.stopReason ? c.notice.message : 'no snapshot to restore';
    return { status: false, reason, message: said };
  }
  const restored = c.restoredFrom;
  if (!restored) return null;
  if (restored.kind === 'none')
    return {
      status: true,
      reason: CONDITION_REASONS.startedWithoutState,
      message: 'the latest submission started without state',
    };
  return {
    status: true,
    reason: CONDITION_REASONS.restoringSnapshot,
    message: `the latest submission restored ${restored.kind} ${restored.path ?? ''}`,
  };
}

/**
 * The status patch for a spec that does not parse (written when no machine reports on the
 * resource), or undefined when the stored status already says so for this generation.
 */
export function invalidSpecPatch(
  stored: Record<string, unknown> | undefined,
  generation: number,
  message: string,
  now: number,
): { conditions: Condition[]; observedGeneration: number } | undefined {
  const conditions = new Conditions(storedConditions(stored), generation, new Date(now));
  const existing = conditions.get(CONDITION_TYPES.specValid);
  if (existing?.status === 'False' && existing.observedGeneration === generation) return undefined;
  conditions
    .set(CONDITION_TYPES.specValid, false, CONDITION_REASONS.invalidSpec, message)
    .set(CONDITION_TYPES.ready, false, CONDITION_REASONS.invalidSpec, message);
  return { conditions: conditions.toArray(), observedGeneration: generation };
}

const STORAGE_CLEANUP_MESSAGES: Record<ClusterCleanup['storage'], string> = {
  Skipped: 'autoClean is off: the storage directories stay',
  Pending: 'autoClean: the HA and checkpoint directories are to be removed',
  Running: 'autoClean: the storage-cleanup Job is removing the HA and checkpoint directories',
  Removed: 'autoClean: the HA and checkpoint directories were removed (savepoints stay)',
  Failed: 'autoClean: the storage-cleanup Job failed; the HA and checkpoint directories may remain',
  TimedOut: 'autoClean: the cleanup did not finish within taskTimeout; the storage directories may remain',
};

/** status.cleanup while a deletion cleans up after Flink (docs/adr/0012-auto-clean.md). */
function cleanupStatus(cleanup: ClusterCleanup): Record<string, unknown> {
  const configMaps =
    cleanup.configMaps === 'Removed'
      ? `removed ${cleanup.configMapsRemoved} HA ConfigMaps`
      : cleanup.configMaps === 'Failed'
        ? 'the HA ConfigMaps could not be removed'
        : 'removing the HA ConfigMaps';
  return {
    ...(cleanup.configMaps === 'Removed' ? { highAvailabilityConfigMaps: cleanup.configMapsRemoved } : {}),
    storage: cleanup.storage,
    message: `${configMaps}; ${STORAGE_CLEANUP_MESSAGES[cleanup.storage]}`,
  };
}
