// The FlinkJob state machine: every decision the supervisor takes about one Flink job.
//
// Pure: no I/O, no clock. The supervisor sends OBSERVED (the world + live policy + `at`) and
// ACTION_REQUESTED; side effects are invoked actors with explicit ids (ports.ts). Each top-level
// state holds an ordered list of guarded OBSERVED transitions: the first whose guard passes is
// taken, one rule per row (the rules of docs/rules.md §5.4, numbered in the descriptions).
// Requested actions wait in context (`pendingAction`) until a state's eventless rows accept or
// reject them. Durable waits are deadlines in context awaited by `waitUntil` actors.
import { and, assign, not, or, setup, stateIn } from 'xstate';
import type { StateValue } from 'xstate';
import { envelopeOf } from './envelope.ts';
import { flinkJobId, savepointTriggerId } from './ids.ts';
import { isTerminalFlinkState } from './observations.ts';
import type {
  CompletedSnapshot,
  FlinkJobObservation,
  JobEvent,
  JobObservation,
  JobObservedEvent,
} from './observations.ts';
import {
  DEFAULT_JOB_POLICY,
  effectiveParallelism,
  maxCheckpointAgeMs,
  healthCheckWindowMs,
  FAILURES,
  restartAllowed,
  seconds,
  upgradeModeOf,
} from './policies.ts';
import type { JobPolicy, JobStopReason } from './policies.ts';
import { notProvided } from './ports.ts';
import type {
  AwaitSavepointInput,
  AwaitSavepointOutput,
  CancelJobInput,
  CreateBootstrapInput,
  DeleteBootstrapInput,
  EffectOutput,
  PersistInput,
  ReadSnapshotsInput,
  ReadSnapshotsOutput,
  RescaleInPlaceInput,
  RescaleInPlaceOutput,
  StopWithSavepointInput,
  TriggerOutput,
  TriggerSavepointInput,
  WaitUntilInput,
} from './ports.ts';
import {
  acceptedUpdate,
  anyPendingAction,
  asObservedEvent,
  deletingUpdate,
  initialSharedContext,
  isDeletionObserved,
  isPaused,
  isStaleObservation,
  notYetDeleting,
  notice,
  observationUpdate,
  clockStepBack,
  rebased,
  onObservedEvent,
  outputOf,
  passed,
  pendingActionUpdate,
  pendingIs,
  rejectedUpdate,
  stopDeletes,
  stopRestarts,
  timeUpdate,
} from './shared-context.ts';
import type { MachineEvent, SharedContext } from './shared-context.ts';
import {
  PAUSED_REASON,
  beginStop,
  blocksFor,
  rejectRequest,
  requestRows,
  stopOnRequest,
  stopOutcomeRows,
  stopWhenObserved,
} from './state-blocks.ts';

export interface JobMachineInput {
  /** metadata.uid of the FlinkJob. */
  readonly uid: string;
  /** Fixed for the life of this context (for example the creation time): part of every derived id. */
  readonly idSeed: string;
  /** Creation time (epoch ms). */
  readonly at: number;
  readonly policy?: JobPolicy;
  /** A savepoint known from elsewhere (status.savepointPath kept when a snapshot had to be reset). */
  readonly savepointPath?: string | null;
  /** The Flink job id known from elsewhere (status.jobId): adopted if Flink still runs it. */
  readonly jobId?: string | null;
}

export interface JobSavepointInFlight {
  readonly triggerId: string;
  readonly kind: 'periodic' | 'manual';
  readonly requestedAt: number;
  /** Abandoned (not the job) when it has not completed by then: requestedAt + taskTimeout. */
  readonly deadline: number;
}

/** Why and how the job is being stopped; lives while in Stopping. */
export interface JobStopIntent {
  readonly reason: JobStopReason;
  /** Go to Starting when stopped (spec change, rescale, START on a running job). */
  readonly restart: boolean;
  /** The FlinkJob is being deleted: go to Terminated when stopped. */
  readonly delete: boolean;
  /** This stop skips the savepoint (one action only, §14.5). */
  readonly withoutSavepoint: boolean;
  /** Forget the savepoint before the restart (START without savepoint on a running job). */
  readonly clearSavepointPath: boolean;
  /** Trigger id of the stop-with-savepoint, fixed before the request is sent. */
  readonly triggerId: string | null;
  readonly savepointDeadline: number | null;
  readonly savepointAbandoned: boolean;
  readonly cancelDeadline: number | null;
  /**
   * What is known of the stop-with-savepoint: null before one is begun, Unread while its outcome
   * has not been read (an outage may hide a savepoint that completed), Completed, or Lost (failed,
   * or unreadable for good).
   */
  readonly savepointOutcome: 'Unread' | 'Completed' | 'Lost' | null;
  /** The checkpoint an upgrade chose to restore (recorded before the job is cancelled). */
  readonly checkpoint: CompletedSnapshot | null;
  /**
   * The choice was read again once the job ended: a checkpoint chosen while the job ran is
   * subsumed by the next one before the cancel lands (Flink keeps state.checkpoints.num-retained,
   * 1 by default, and deletes the rest), so the one to restore is the newest Flink retained.
   */
  readonly checkpointConfirmed: boolean;
  /** No snapshot could be had: stopped rather than started empty, until the user says (docs/upgrades.md). */
  readonly asked: boolean;
}

/** What a submission restores: the snapshot's path (null with kind none) and its kind. */
export interface JobRestore {
  readonly path: string | null;
  readonly kind: 'savepoint' | 'checkpoint' | 'none';
}

/**
 * The health gate of the latest upgrade (status.upgrade, docs/upgrades.md). Verifying: the upgraded
 * spec must run healthCheckWindow without more than healthCheckMaxRestarts restarts; Healthy: it
 * did, and is now the stable spec; Failed: it did not and rollback is off (left as it is, not
 * retried until the spec changes); RollingBack: stopping it to resubmit the stable spec; RolledBack:
 * the stable spec runs again while the FlinkJob still asks for the failed one.
 */
export interface JobUpgradeCheck {
  readonly phase: 'Verifying' | 'Healthy' | 'Failed' | 'RollingBack' | 'RolledBack';
  /** The upgraded spec: specDigest of its bootstrap settings and its parallelism. */
  readonly specDigest: string | null;
  readonly parallelism: number;
  /** What the upgraded submission restored: the snapshot taken before the upgrade (a rollback's). */
  readonly snapshot: JobRestore | null;
  /** End of the window, set when the upgraded job first runs. */
  readonly until: number | null;
  /** Restart episodes (Flink RESTARTING or FAILING after another state) seen since the submission. */
  readonly restarts: number;
  /** Why it failed, in words (Failed, RollingBack, RolledBack). */
  readonly reason: string | null;
}

/** A spec the job ran healthy with: the target of a rollback (its settings are in status.lastStableSpec). */
export interface JobStableSpec {
  readonly specDigest: string;
  readonly parallelism: number;
}

/**
 * A rescale in place (adaptive scheduler) in flight: recorded before Flink is asked, so a restore
 * asks again (the same requirements) and awaits it, never asks twice for different ones.
 */
export interface JobRescale {
  readonly from: number;
  readonly to: number;
  /** Given up then (taskTimeout from the start): the rescale goes through the upgrade mode. */
  readonly deadline: number;
}

export interface JobDeadlines {
  /** Starting.Launching: abort the start (restartTimeout from entering Launching). */
  readonly restartTimeoutAt: number | null;
  /** Stopped: the restart policy may restart the job (restartDelay from entering Stopped). */
  readonly restartAt: number | null;
  /** Started.Running: the next periodic savepoint. */
  readonly savepointDueAt: number | null;
}

/** Also the fields of SharedContext: pendingAction, lastAction, notice, now, lastObservedAt. */
export interface JobContext extends SharedContext {
  readonly uid: string;
  readonly idSeed: string;
  /** Number of submissions so far; the current one's Flink job id is flinkJobId(uid, seed, submission). */
  readonly submission: number;
  /** The Flink job id this machine owns (set before submission, cleared when a stop completes). */
  readonly jobId: string | null;
  /** Parallelism in effect (0 when not running). */
  readonly parallelism: number;
  /** specDigest of the bootstrap settings the current submission was made with. */
  readonly specDigest: string | null;
  /** Cluster epoch the current submission runs in. */
  readonly clusterEpoch: number | null;
  readonly savepointCounter: number;
  readonly savepoint: JobSavepointInFlight | null;
  /** Latest completed savepoint: the next start restores from it. */
  readonly savepointPath: string | null;
  readonly savepointAt: number | null;
  /**
   * The trigger id whose savepoint savepointPath is (null: a path not taken by a trigger, such as
   * initialSavepointPath). Only that trigger's FlinkSavepoint may be completed with the path (K16).
   */
  readonly savepointTriggerId: string | null;
  readonly lastSavepointRequestAt: number | null;
  readonly stop: JobStopIntent | null;
  readonly stopReason: JobStopReason | null;
  /** Last Flink job state seen (status.jobStatus). */
  readonly lastFlinkState: string | null;
  /** When the current top-level state was entered. */
  readonly enteredAt: number;
  readonly deadlines: JobDeadlines;
  /**
   * HA: Flink answered 404 for the running job while a standby JobManager may still be recovering
   * it; until then the job is awaited, not lost (taskTimeout from the first 404, ADR 0011).
   */
  readonly recoverUntil: number | null;
  /** The newest completed checkpoint of the current submission seen in Flink's statistics. */
  readonly lastCheckpoint: CompletedSnapshot | null;
  /** A checkpoint an upgrade chose: the next start restores it instead of savepointPath. */
  readonly checkpointRestore: CompletedSnapshot | null;
  /** What the current (or last) submission restored (status.restoredFrom). */
  readonly restoredFrom: JobRestore | null;
  /** The health gate of the latest upgrade, or null when none was gated. */
  readonly upgrade: JobUpgradeCheck | null;
  /** The last spec that ran healthy (null before the first run). */
  readonly stableSpec: JobStableSpec | null;
  /** The rescale in place in flight (Started.Rescaling), or null. */
  readonly rescale: JobRescale | null;
  /**
   * A parallelism Flink could not rescale this submission to in place: a change to it goes
   * through the upgrade mode instead (cleared by the next submission).
   */
  readonly inPlaceRefused: number | null;
  /** Last policy seen (deadlines computed on entering a state use it). */
  readonly policy: JobPolicy;
  /** Last observation; not persisted. */
  readonly observed: JobObservation | null;
}

const NO_DEADLINES: JobDeadlines = { restartTimeoutAt: null, restartAt: null, savepointDueAt: null };

export function initialJobContext(input: JobMachineInput): JobContext {
  return {
    uid: input.uid,
    idSeed: input.idSeed,
    submission: 0,
    jobId: input.jobId ?? null,
    parallelism: 0,
    specDigest: null,
    clusterEpoch: null,
    savepointCounter: 0,
    savepoint: null,
    savepointPath: input.savepointPath ?? null,
    savepointAt: null,
    savepointTriggerId: null,
    lastSavepointRequestAt: null,
    stop: null,
    stopReason: null,
    lastFlinkState: null,
    enteredAt: input.at,
    deadlines: NO_DEADLINES,
    recoverUntil: null,
    lastCheckpoint: null,
    checkpointRestore: null,
    restoredFrom: null,
    upgrade: null,
    stableSpec: null,
    rescale: null,
    inPlaceRefused: null,
    ...initialSharedContext(input.at),
    policy: input.policy ?? DEFAULT_JOB_POLICY,
    observed: null,
  };
}

function observedEvent(event: MachineEvent): JobObservedEvent | null {
  return asObservedEvent<JobObservedEvent>(event);
}

/** Guard over an OBSERVED event; false for any other event. */
function onObserved(check: (event: JobObservedEvent, context: JobContext) => boolean) {
  return onObservedEvent(check);
}

const CLUSTER_AWAY = new Set(['Stopping', 'Stopped', 'Terminated']);

function flinkJobEnded(state: FlinkJobObservation): boolean {
  return isTerminalFlinkState(state);
}

function flinkJobKnownAlive(state: FlinkJobObservation): boolean {
  return state !== 'NOT_FOUND' && state !== 'UNREACHABLE' && state !== 'NONE' && !isTerminalFlinkState(state);
}

function endedReason(state: FlinkJobObservation): JobStopReason {
  if (state === 'FINISHED') return 'Finished';
  if (state === 'CANCELED') return 'Canceled';
  return 'Failed';
}

function stopIntent(reason: JobStopReason, restart: boolean, withoutSavepoint: boolean): JobStopIntent {
  return {
    reason,
    restart,
    delete: reason === 'Deleted',
    withoutSavepoint,
    clearSavepointPath: false,
    triggerId: null,
    savepointDeadline: null,
    savepointAbandoned: false,
    cancelDeadline: null,
    savepointOutcome: null,
    checkpoint: null,
    checkpointConfirmed: false,
    asked: false,
  };
}

/**
 * The job's deadlines and time stamps moved back by a wall-clock step (clockStepBack): a restart
 * delay, a restart timeout or a savepoint deadline set while the clock ran ahead passes when it
 * should, not the size of the step later.
 */
function jobTimesRebased(context: JobContext, step: number): Partial<JobContext> {
  const d = context.deadlines;
  return {
    deadlines: {
      restartTimeoutAt: rebased(d.restartTimeoutAt, step),
      restartAt: rebased(d.restartAt, step),
      savepointDueAt: rebased(d.savepointDueAt, step),
    },
    enteredAt: rebased(context.enteredAt, step),
    recoverUntil: rebased(context.recoverUntil, step),
    savepoint:
      context.savepoint === null
        ? null
        : {
            ...context.savepoint,
            deadline: rebased(context.savepoint.deadline, step),
          },
    stop:
      context.stop === null
        ? null
        : {
            ...context.stop,
            savepointDeadline: rebased(context.stop.savepointDeadline, step),
            cancelDeadline: rebased(context.stop.cancelDeadline, step),
          },
    upgrade:
      context.upgrade === null ? null : { ...context.upgrade, until: rebased(context.upgrade.until, step) },
    rescale:
      context.rescale === null
        ? null
        : {
            ...context.rescale,
            deadline: rebased(context.rescale.deadline, step) ?? context.rescale.deadline,
          },
  };
}

/** A spec change or rescale: the upgrade mode decides how the state is carried over. */
function isUpgrade(stop: JobStopIntent | null): stop is JobStopIntent {
  return stop !== null && stop.restart && (stop.reason === 'SpecChanged' || stop.reason === 'Rescale');
}

/**
 * An upgrade that still needs a snapshot chosen: not stateless, no savepoint completed, no
 * checkpoint chosen, not already stopped to ask.
 */
function checkpointChoicePending(context: JobContext): boolean {
  const stop = context.stop;
  return (
    isUpgrade(stop) &&
    upgradeModeOf(context.policy) !== 'stateless' &&
    !stop.withoutSavepoint &&
    stop.savepointOutcome !== 'Completed' &&
    stop.checkpoint === null &&
    !stop.asked
  );
}

/**
 * An upgrade chose a checkpoint while its job ran and the job has ended since: read Flink's newest
 * completed checkpoint again (the one retained at the cancel), once. Not for the job's own
 * savepoint chosen as the fallback: savepoints are never subsumed.
 */
function checkpointRefreshDue(context: JobContext): boolean {
  const stop = context.stop;
  return (
    isUpgrade(stop) &&
    stop.checkpoint !== null &&
    !stop.checkpointConfirmed &&
    !stop.asked &&
    stop.checkpoint.path !== context.savepointPath
  );
}

/** The newer of two checkpoints (by Flink's completion time). */
function newerCheckpoint(
  known: CompletedSnapshot | null,
  seen: CompletedSnapshot | null | undefined,
): CompletedSnapshot | null {
  if (!seen) return known;
  return known === null || seen.completedAt > known.completedAt ? seen : known;
}

/**
 * The job's newest savepoint as a fallback snapshot, when it is younger than maxCheckpointAge and
 * no younger checkpoint is known: a job restored from a savepoint a moment ago has no checkpoint
 * yet, and its savepoint is then the newest state there is (never an empty start, never a stop
 * and ask when that state is at hand).
 */
function knownSavepointFallback(context: JobContext, seen: CompletedSnapshot | null | undefined, at: number) {
  if (context.savepointPath === null || context.savepointAt === null) return null;
  if (at - context.savepointAt > maxCheckpointAgeMs(context.policy)) return null;
  const checkpoint = newerCheckpoint(context.lastCheckpoint, seen);
  if (checkpoint !== null && checkpoint.completedAt > context.savepointAt) return null;
  return { path: context.savepointPath, completedAt: context.savepointAt };
}

/**
 * What the next submission restores: a rollback the snapshot taken before its upgrade, else a chosen
 * checkpoint, else the latest savepoint, else nothing.
 */
export function nextRestore(
  context: Pick<JobContext, 'checkpointRestore' | 'savepointPath'> & {
    readonly upgrade?: JobUpgradeCheck | null;
  },
): JobRestore {
  if (context.upgrade?.phase === 'RollingBack' && context.upgrade.snapshot) return context.upgrade.snapshot;
  if (context.checkpointRestore) {
    // The fallback may choose the job's own savepoint when it is the newest snapshot in age.
    const kind = context.checkpointRestore.path === context.savepointPath ? 'savepoint' : 'checkpoint';
    return { path: context.checkpointRestore.path, kind };
  }
  if (context.savepointPath) return { path: context.savepointPath, kind: 'savepoint' };
  return { path: null, kind: 'none' };
}

const RESTARTING_STATES: ReadonlySet<string> = new Set(['RESTARTING', 'FAILING']);

/** Restart episodes of a gated upgrade once `flink` is recorded: one more on entering RESTARTING or FAILING. */
function upgradeRestartsAfter(context: JobContext, flink: FlinkJobObservation): number {
  const check = context.upgrade;
  if (check?.phase !== 'Verifying' || context.jobId === null) return check?.restarts ?? 0;
  const entering = RESTARTING_STATES.has(flink) && !RESTARTING_STATES.has(context.lastFlinkState ?? '');
  return check.restarts + (entering ? 1 : 0);
}

/** The upgraded job restarted more often than its health gate allows. */
function upgradeUnhealthy(event: JobObservedEvent, context: JobContext): boolean {
  return (
    context.upgrade?.phase === 'Verifying' &&
    upgradeRestartsAfter(context, event.observation.flinkJob) > (event.policy.healthCheckMaxRestarts ?? 0)
  );
}

/** The FlinkJob still asks for the upgrade that was rolled back: not a change to act on. */
function askingForRolledBackSpec(event: JobObservedEvent, context: JobContext): boolean {
  const check = context.upgrade;
  return (
    (check?.phase === 'RollingBack' || check?.phase === 'RolledBack') &&
    check.specDigest === event.observation.specDigest &&
    check.parallelism === effectiveParallelism(event.policy)
  );
}

/** A fresh health gate for the spec the FlinkJob asks for now. */
function verificationOf(context: JobContext): JobUpgradeCheck {
  return {
    phase: 'Verifying',
    specDigest: context.observed?.specDigest ?? null,
    parallelism: effectiveParallelism(context.policy),
    snapshot: null,
    until: null,
    restarts: 0,
    reason: null,
  };
}

/** Why the gated upgrade failed, in words. */
function upgradeFailure(context: JobContext): string {
  const window = `healthCheckWindow (${context.policy.healthCheckWindowSeconds ?? 0}s)`;
  if (context.stopReason !== null && FAILURES.has(context.stopReason))
    return `the upgraded job stopped (${context.stopReason}) within ${window}`;
  return `the upgraded job restarted ${context.upgrade?.restarts ?? 0} time(s) within ${window}, more than healthCheckMaxRestarts (${context.policy.healthCheckMaxRestarts ?? 0})`;
}

function restoreSaid(restore: JobRestore): string {
  return restore.kind === 'none' ? 'without state' : `from ${restore.kind} ${restore.path ?? ''}`;
}

const STOP_MESSAGES: Partial<Record<JobStopReason, string>> = {
  Deleted: 'the FlinkJob is being deleted: stopping the Flink job',
  ClusterStopped: 'the cluster is not running: stopping the Flink job',
  SpecChanged: 'the bootstrap settings changed: restarting the job',
  Rescale: 'the requested parallelism changed: restarting the job',
  Suspended: 'the requested parallelism is 0: suspending the job',
  BootstrapFailed: 'the bootstrap Job failed: aborting the start',
};

/** The persisted value a write-ahead `persist` records: where a restore resumes (see README). */
const RESUME_LAUNCHING: StateValue = { Starting: { Launching: 'Idle' } };
const RESUME_SAVEPOINTING: StateValue = { Started: { Savepointing: 'Awaiting' } };
const RESUME_SAVEPOINT_STOP: StateValue = { Stopping: { SavepointStop: 'Awaiting' } };
const RESUME_STOPPING: StateValue = { Stopping: 'Idle' };
const RESUME_RESCALING: StateValue = { Started: { Rescaling: 'Applying' } };

const { effect, waiter, guardedWaiter } = blocksFor<JobContext>();

/** Delete the bootstrap Job of the current submission, then observe again from `target`. */
function deleteBootstrap(target: string) {
  return effect({
    id: 'deleteBootstrap',
    src: 'deleteBootstrap',
    input: (context) => ({ submission: context.submission }),
    target,
  });
}

/**
 * Write-ahead: persist the context (with the job id or trigger id just assigned) before the effect
 * that uses it runs; the envelope resumes in `resume`, so a restore polls or observes, never repeats.
 */
function writeAhead<const TOnError>(resume: StateValue, next: string, onError: TOnError) {
  return {
    id: 'persist' as const,
    src: 'persist' as const,
    input: ({ context }: { context: JobContext }) => ({ envelope: envelopeOf('job', resume, context) }),
    onDone: { target: next, actions: 'recordTime' as const },
    onError,
  };
}

/** Poll a savepoint trigger id (the one in flight, or the one of the stop-with-savepoint). */
function awaitTriggerInput(triggerId: (context: JobContext) => string | null | undefined) {
  return ({ context }: { context: JobContext }) => ({
    jobId: context.jobId ?? '',
    triggerId: triggerId(context) ?? '',
  });
}

export const jobMachine = setup({
  types: {} as {
    context: JobContext;
    events: JobEvent;
    input: JobMachineInput;
  },
  actors: {
    persist: notProvided<EffectOutput, PersistInput>('persist'),
    waitUntil: notProvided<EffectOutput, WaitUntilInput>('waitUntil'),
    createBootstrap: notProvided<EffectOutput, CreateBootstrapInput>('createBootstrap'),
    deleteBootstrap: notProvided<EffectOutput, DeleteBootstrapInput>('deleteBootstrap'),
    triggerSavepoint: notProvided<TriggerOutput, TriggerSavepointInput>('triggerSavepoint'),
    awaitSavepoint: notProvided<AwaitSavepointOutput, AwaitSavepointInput>('awaitSavepoint'),
    stopWithSavepoint: notProvided<EffectOutput, StopWithSavepointInput>('stopWithSavepoint'),
    readSnapshots: notProvided<ReadSnapshotsOutput, ReadSnapshotsInput>('readSnapshots'),
    cancelJob: notProvided<EffectOutput, CancelJobInput>('cancelJob'),
    rescaleInPlace: notProvided<RescaleInPlaceOutput, RescaleInPlaceInput>('rescaleInPlace'),
  },
  guards: {
    // Observation rules (OBSERVED rows).
    staleObservation: onObserved(isStaleObservation),
    deletionRequested: onObserved(isDeletionObserved),
    // Reconciliation paused (ADR 0019): every row that acts is guarded by not('paused').
    paused: isPaused,
    notPaused: (args) => !isPaused(args),
    notYetDeleting,
    clusterTerminated: onObserved((e) => e.observation.cluster.state === 'Terminated'),
    clusterAway: onObserved((e) => CLUSTER_AWAY.has(e.observation.cluster.state)),
    clusterNotStarted: onObserved((e) => e.observation.cluster.state !== 'Started'),
    clusterPending: onObserved(
      (e) => e.observation.cluster.state === 'Unknown' || e.observation.cluster.state === 'Starting',
    ),
    clusterStarted: onObserved((e) => e.observation.cluster.state === 'Started'),
    clusterNotReady: onObserved((e) => !(e.observation.cluster.ready && e.observation.cluster.healthy)),
    clusterHasNoJobManager: onObserved(
      (e) => e.observation.cluster.state === 'Stopped' || e.observation.cluster.state === 'Terminated',
    ),
    // A manual STOP or a deletion only: an upgrade goes through its snapshot fallback instead.
    jobManagerGoneUnderStop: onObserved(
      (e, c) => e.observation.cluster.jobManagerGone === true && !isUpgrade(c.stop),
    ),
    clusterRestartedUnderJob: onObserved(
      (e, c) =>
        e.observation.cluster.state === 'Started' &&
        c.clusterEpoch !== null &&
        e.observation.cluster.epoch !== c.clusterEpoch &&
        !flinkJobKnownAlive(e.observation.flinkJob),
    ),
    parallelismZero: onObserved((e) => effectiveParallelism(e.policy) === 0),
    parallelismChanged: onObserved(
      (e, c) =>
        effectiveParallelism(e.policy) !== c.parallelism &&
        c.rescale?.to !== effectiveParallelism(e.policy) &&
        !askingForRolledBackSpec(e, c),
    ),
    // In place through the adaptive scheduler, unless Flink refused this parallelism in place already.
    adaptiveRescale: onObserved(
      (e, c) =>
        e.policy.adaptiveScheduler === true &&
        c.parallelism > 0 &&
        effectiveParallelism(e.policy) > 0 &&
        c.inPlaceRefused !== effectiveParallelism(e.policy),
    ),
    flinkJobRunning: onObserved((e) => e.observation.flinkJob === 'RUNNING'),
    rescaleApplied: ({ event }) => outputOf<RescaleInPlaceOutput>(event)?.applied === true,
    specChanged: onObserved(
      (e, c) =>
        c.specDigest !== null && e.observation.specDigest !== c.specDigest && !askingForRolledBackSpec(e, c),
    ),
    // Health gate of an upgrade (docs/upgrades.md).
    upgradeUnhealthy: onObserved(upgradeUnhealthy),
    upgradeHealthy: onObserved(
      (e, c) =>
        c.upgrade?.phase === 'Verifying' &&
        passed(c.upgrade.until, e.at) &&
        e.observation.flinkJob === 'RUNNING' &&
        e.observation.flinkTasksRunning !== false &&
        !upgradeUnhealthy(e, c),
    ),
    rollbackWanted: onObserved((e, c) => e.policy.rollback === true && c.stableSpec !== null),
    upgradeEndedUnhealthy: onObserved(
      (_e, c) => c.upgrade?.phase === 'Verifying' && c.stopReason !== null && FAILURES.has(c.stopReason),
    ),
    failedUpgradeReplaced: onObserved(
      (e, c) =>
        c.stopReason === 'UpgradeFailed' &&
        (c.upgrade?.specDigest !== e.observation.specDigest ||
          c.upgrade.parallelism !== effectiveParallelism(e.policy)),
    ),
    restartTimeoutPassed: onObserved((e, c) => passed(c.deadlines.restartTimeoutAt, e.at)),
    // What Flink says only counts for a job id the machine owns (the supervisor asks about that id).
    flinkJobEnded: onObserved((e, c) => c.jobId !== null && flinkJobEnded(e.observation.flinkJob)),
    flinkJobAlive: onObserved((e, c) => c.jobId !== null && flinkJobKnownAlive(e.observation.flinkJob)),
    flinkJobLost: onObserved((e, c) => c.jobId !== null && e.observation.flinkJob === 'NOT_FOUND'),
    flinkJobRecovering: onObserved(
      (e, c) =>
        e.observation.cluster.highAvailability === true &&
        c.jobId !== null &&
        e.observation.flinkJob === 'NOT_FOUND' &&
        !passed(c.recoverUntil, e.at),
    ),
    flinkJobGone: onObserved(
      (e, c) =>
        c.jobId === null ||
        e.observation.flinkJob === 'NONE' ||
        e.observation.flinkJob === 'NOT_FOUND' ||
        flinkJobEnded(e.observation.flinkJob),
    ),
    bootstrapPresent: onObserved((e) => e.observation.bootstrap !== 'absent'),
    bootstrapFailed: onObserved(
      (e, c) =>
        e.observation.bootstrap === 'failed' && c.jobId !== null && e.observation.bootstrapJobId === c.jobId,
    ),
    bootstrapOurs: onObserved(
      (e, c) =>
        e.observation.bootstrap !== 'absent' && c.jobId !== null && e.observation.bootstrapJobId === c.jobId,
    ),
    bootstrapStale: onObserved(
      (e, c) =>
        e.observation.bootstrap !== 'absent' &&
        (c.jobId === null || e.observation.bootstrapJobId !== c.jobId),
    ),
    // Submitted (its bootstrap Job succeeded), yet unknown to Flink: without HA nothing recovers it.
    // Flink's 404 counts only when the bootstrap Job was already seen succeeded in an earlier
    // observation: Flink's answer in the same one may predate the submission (a slow Flink read
    // begun before the bootstrap Job submitted, answered after it succeeded: simulator finding
    // K15, seed 1000560, where the next submission ran beside this one). A pass's Flink read
    // begins after the previous pass, so after the submit answered. After a restore (no earlier
    // observation) it waits one pass.
    submissionLost: onObserved((e, c) => {
      const submitted = (o: JobObservation | null) =>
        o !== null && o.bootstrap === 'succeeded' && o.bootstrapJobId === c.jobId;
      return (
        c.jobId !== null &&
        submitted(e.observation) &&
        submitted(c.observed) &&
        e.observation.flinkJob === 'NOT_FOUND' &&
        e.observation.cluster.highAvailability !== true
      );
    }),
    submissionNeeded: onObserved(
      (e) =>
        e.observation.bootstrap === 'absent' &&
        (e.observation.flinkJob === 'NOT_FOUND' || e.observation.flinkJob === 'NONE'),
    ),
    savepointTimedOut: onObserved((e, c) => c.savepoint !== null && e.at >= c.savepoint.deadline),
    periodicSavepointDue: onObserved((e, c) => {
      const interval = e.policy.savepointIntervalSeconds;
      if (interval <= 0 || c.jobId === null || c.savepoint !== null) return false;
      const base = Math.max(c.lastSavepointRequestAt ?? c.enteredAt, c.enteredAt);
      return e.at >= base + seconds(interval);
    }),
    restartDue: onObserved(
      (e, c) =>
        restartAllowed(e.policy.restartPolicy, c.stopReason) &&
        e.observation.cluster.state === 'Started' &&
        e.observation.cluster.healthy &&
        passed(c.deadlines.restartAt, e.at),
    ),
    restartAllowedNow: onObserved(
      (e, c) =>
        restartAllowed(e.policy.restartPolicy, c.stopReason) &&
        e.observation.cluster.state === 'Started' &&
        e.observation.cluster.healthy,
    ),
    resumeAfterCluster: onObserved(
      (e, c) =>
        c.stopReason === 'ClusterStopped' &&
        e.observation.cluster.state === 'Started' &&
        e.observation.cluster.healthy,
    ),
    resumeAfterSuspension: onObserved(
      (e, c) => c.stopReason === 'Suspended' && effectiveParallelism(e.policy) > 0,
    ),
    cancelTimedOut: onObserved((e, c) => passed(c.stop?.cancelDeadline, e.at)),
    savepointStopTimedOut: onObserved(
      (e, c) => c.stop !== null && !c.stop.savepointAbandoned && passed(c.stop.savepointDeadline, e.at),
    ),
    savepointInFlight: ({ context }) => context.savepoint !== null,
    savepointWanted: onObserved(
      (e, c) =>
        c.stop !== null &&
        c.jobId !== null &&
        e.policy.savepointMode === 'Automatic' &&
        !c.stop.withoutSavepoint &&
        !c.stop.savepointAbandoned &&
        c.stop.checkpoint === null &&
        !c.stop.asked &&
        !(isUpgrade(c.stop) && upgradeModeOf(e.policy) !== 'savepoint') &&
        (!c.stop.delete || e.policy.savepointOnDelete),
    ),
    // Upgrade modes (docs/upgrades.md).
    checkpointChoicePending: ({ context }) => checkpointChoicePending(context),
    checkpointRefreshDue: ({ context }) => checkpointRefreshDue(context),
    checkpointConfirmed: ({ context }) => context.stop?.checkpointConfirmed === true,
    // The re-read after the job ended (J.Stopping.D4) never un-chooses: it only finds a newer one.
    rereadFindsNothingNewer: ({ context, event }) => {
      const chosen = context.stop?.checkpointConfirmed ? context.stop.checkpoint : null;
      const seen = outputOf<ReadSnapshotsOutput>(event)?.checkpoint;
      return chosen !== null && (!seen || seen.completedAt <= chosen.completedAt);
    },
    rereading: ({ context }) =>
      context.stop?.checkpointConfirmed === true && context.stop.checkpoint !== null,
    checkpointFirst: ({ context }) =>
      upgradeModeOf(context.policy) === 'last-state' ||
      context.stop?.savepointOutcome === 'Lost' ||
      (context.stop?.savepointOutcome === 'Unread' && context.stop.savepointAbandoned),
    statelessUpgrade: ({ context }) =>
      isUpgrade(context.stop) &&
      upgradeModeOf(context.policy) === 'stateless' &&
      !context.stop.clearSavepointPath,
    // Over the recorded checkpoint and the one Flink just named (readSnapshots' output, if any).
    checkpointYoungEnough: ({ context, event }) => {
      const output = outputOf<ReadSnapshotsOutput>(event);
      const newest = newerCheckpoint(context.lastCheckpoint, output?.checkpoint);
      const at = Math.max(context.now, output?.at ?? context.now);
      return newest !== null && at - newest.completedAt <= maxCheckpointAgeMs(context.policy);
    },
    savepointYoungEnough: ({ context, event }) => {
      const output = outputOf<ReadSnapshotsOutput>(event);
      return (
        knownSavepointFallback(
          context,
          output?.checkpoint,
          Math.max(context.now, output?.at ?? context.now),
        ) !== null
      );
    },
    // The stop-with-savepoint's outcome was never read and Flink now says the job is gone: its
    // statistics may still name the savepoint it completed (the trigger's result is kept for minutes).
    savepointOutcomeHidden: onObserved(
      (e, c) =>
        c.stop?.savepointOutcome === 'Unread' &&
        c.jobId !== null &&
        (flinkJobEnded(e.observation.flinkJob) || e.observation.flinkJob === 'NOT_FOUND'),
    ),
    newSavepointRead: ({ context, event }) => {
      const savepoint = outputOf<ReadSnapshotsOutput>(event)?.savepoint;
      return savepoint !== null && savepoint !== undefined && savepoint.path !== context.savepointPath;
    },
    // Where we are (sub-states that are busy with an effect must not start another one).
    inWaitingForCluster: stateIn('#job.Starting.WaitingForCluster'),
    inLaunchingIdle: stateIn('#job.Starting.Launching.Idle'),
    inLaunchingSubmitted: stateIn('#job.Starting.Launching.Submitted'),
    inRunning: stateIn('#job.Started.Running'),
    inRescaling: stateIn('#job.Started.Rescaling'),
    inStoppingIdle: stateIn('#job.Stopping.Idle'),
    inStoppingDeletingBootstrap: stateIn('#job.Stopping.DeletingBootstrap'),
    inSavepointStop: stateIn('#job.Stopping.SavepointStop'),
    inFinishingSavepoint: stateIn('#job.Stopping.FinishingSavepoint'),
    inReadingSavepoint: stateIn('#job.Stopping.ReadingSavepoint'),
    /** Reading or recording which snapshot the restart uses: let that finish before stopping is done. */
    choosingSnapshot: or([
      stateIn('#job.Stopping.ReadingSavepoint'),
      stateIn('#job.Stopping.ChoosingCheckpoint'),
      stateIn('#job.Stopping.RecordingRestore'),
    ]),
    inSavepointUnread: stateIn('#job.Started.Savepointing.Unread'),
    triggerOutcomeUnknown: ({ event }) =>
      (event as { output?: TriggerOutput }).output?.outcomeUnknown === true,
    inStoppedDeletingBootstrap: stateIn('#job.Stopped.DeletingBootstrap'),
    inRestartPending: stateIn('#job.Stopped.RestartPending'),
    // Effect outputs.
    savepointCompleted: ({ event }) => outputOf<AwaitSavepointOutput>(event)?.status === 'COMPLETED',
    triggerUnknown: ({ event }) => outputOf<AwaitSavepointOutput>(event)?.status === 'UNKNOWN_TRIGGER',
    // Requested actions (eventless rows over context.pendingAction).
    pendingStart: pendingIs('START'),
    pendingStop: pendingIs('STOP'),
    pendingTriggerSavepoint: pendingIs('TRIGGER_SAVEPOINT'),
    pendingForgetSavepoint: pendingIs('FORGET_SAVEPOINT'),
    anyPendingAction,
    // Stop outcome (Stopping.Done).
    stopDeletes,
    stopRestarts,
  },
  actions: {
    recordObservation: assign(({ context, event }) => {
      const observed = observedEvent(event);
      if (observed === null) return {};
      const flink = observed.observation.flinkJob;
      const step = clockStepBack(context, observed);
      return {
        ...observationUpdate(context, observed),
        ...(step > 0 ? jobTimesRebased(context, step) : {}),
        lastFlinkState: flink === 'NONE' || flink === 'UNREACHABLE' ? context.lastFlinkState : flink,
        lastCheckpoint:
          context.jobId === null
            ? context.lastCheckpoint
            : newerCheckpoint(context.lastCheckpoint, observed.observation.latestCheckpoint),
        // Flink knows the job again: a recovery that was awaited is over.
        recoverUntil: flinkJobKnownAlive(flink) ? null : context.recoverUntil,
        upgrade:
          context.upgrade?.phase === 'Verifying'
            ? { ...context.upgrade, restarts: upgradeRestartsAfter(context, flink) }
            : context.upgrade,
      };
    }),
    recordTime: assign(({ context, event }) => timeUpdate(context, event)),
    recordPendingAction: assign(({ context, event }) => pendingActionUpdate(context, event)),
    acceptAction: assign(({ context }) => acceptedUpdate(context)),
    rejectAction: assign(({ context }, params: { reason: string }) => rejectedUpdate(context, params.reason)),
    beginStop: assign(({ context, event }, params: { reason: JobStopReason; restart: boolean }) => {
      const observed = observedEvent(event);
      const action = context.pendingAction;
      const manual = params.reason === 'Manual' || params.reason === 'RestartRequested';
      const withoutSavepoint = manual
        ? (action?.withoutSavepoint ?? false)
        : params.reason === 'ClusterStopped'
          ? (observed?.observation.cluster.stopWithoutSavepoint ?? false)
          : false;
      const intent = stopIntent(params.reason, params.restart, withoutSavepoint);
      const message = STOP_MESSAGES[params.reason];
      return {
        stop: { ...intent, clearSavepointPath: params.reason === 'RestartRequested' && withoutSavepoint },
        notice: message === undefined ? context.notice : notice(params.reason, message, context.now),
      };
    }),
    beginStopForEndedJob: assign(({ context, event }) => {
      const state = observedEvent(event)?.observation.flinkJob ?? 'FAILED';
      const reason = endedReason(state);
      return {
        stop: stopIntent(reason, false, true),
        notice: notice(reason, `the submitted Flink job reached ${state} while starting`, context.now),
      };
    }),
    noteStartTimedOut: assign(({ context }) => ({
      stop: stopIntent('StartTimedOut', false, true),
      notice: notice(
        'StartTimedOut',
        `the job did not start within restartTimeout (${context.policy.restartTimeoutSeconds}s): aborting the start`,
        context.now,
      ),
    })),
    markDeleting: assign(({ context }) =>
      deletingUpdate(context, 'the FlinkJob is being deleted: it will be terminated once stopped'),
    ),
    restopManually: assign(({ context }) => ({
      stop:
        context.stop === null
          ? null
          : {
              ...context.stop,
              restart: false,
              reason: context.stop.delete ? ('Deleted' as const) : ('Manual' as const),
            },
    })),
    restartAfterStop: assign(({ context }) => ({
      stop:
        context.stop === null
          ? null
          : {
              ...context.stop,
              restart: true,
              reason: 'RestartRequested' as const,
              clearSavepointPath: context.pendingAction?.withoutSavepoint ?? false,
            },
    })),
    awaitRecovery: assign(({ context }) => ({
      recoverUntil: context.recoverUntil ?? context.now + seconds(context.policy.taskTimeoutSeconds),
      notice:
        context.recoverUntil === null
          ? notice(
              'JobRecovering',
              `Flink answers 404 for job ${context.jobId ?? ''} while a standby JobManager takes over (HA): waiting up to ${context.policy.taskTimeoutSeconds}s for it to recover the job, not resubmitting it`,
              context.now,
            )
          : context.notice,
    })),
    recordJobEnded: assign(({ context, event }) => {
      const state = observedEvent(event)?.observation.flinkJob ?? 'FAILED';
      const lost = state === 'NOT_FOUND';
      const reason: JobStopReason = lost ? 'Lost' : endedReason(state);
      return {
        stopReason: reason,
        notice: lost
          ? notice(
              'JobLost',
              context.recoverUntil === null
                ? `Flink no longer knows job ${context.jobId ?? ''} (404, for example after a JobManager restart): handled by restartPolicy ${context.policy.restartPolicy}`
                : `no JobManager recovered job ${context.jobId ?? ''} within taskTimeout (HA): handled by restartPolicy ${context.policy.restartPolicy}`,
              context.now,
            )
          : notice(reason, `the Flink job reached ${state}`, context.now),
      };
    }),
    initialise: assign(({ context }) => ({
      savepointPath: context.savepointPath ?? context.policy.initialSavepointPath,
      savepointTriggerId: context.savepointPath === null ? null : context.savepointTriggerId,
    })),
    adoptJob: assign(({ context }) => ({
      parallelism: effectiveParallelism(context.policy),
      specDigest: context.observed?.specDigest ?? null,
      stableSpec:
        context.stableSpec ??
        (context.observed
          ? { specDigest: context.observed.specDigest, parallelism: effectiveParallelism(context.policy) }
          : null),
      clusterEpoch: context.observed?.cluster.epoch ?? null,
      notice: notice(
        'Adopted',
        `Flink runs job ${context.jobId ?? ''} recorded in status: adopted without restarting it`,
        context.now,
      ),
    })),
    followClusterEpoch: assign(({ context }) => ({
      clusterEpoch:
        context.observed !== null && flinkJobKnownAlive(context.observed.flinkJob)
          ? context.observed.cluster.epoch
          : context.clusterEpoch,
    })),
    enterStarting: assign(({ context }) => ({
      enteredAt: context.now,
      jobId: null,
      parallelism: 0,
      clusterEpoch: null,
      stop: null,
      stopReason: null,
      savepoint: null,
      deadlines: NO_DEADLINES,
    })),
    clearSavepointIfRequested: assign(({ context }) =>
      context.pendingAction?.withoutSavepoint === true
        ? {
            savepointPath: null,
            checkpointRestore: null,
            notice: notice(
              'SavepointForgotten',
              'starting without savepoint: the savepoint path was cleared',
              context.now,
            ),
          }
        : {},
    ),
    clearSavepointIfClusterStartedWithout: assign(({ context, event }) =>
      observedEvent(event)?.observation.cluster.startWithoutSavepoint === true
        ? {
            savepointPath: null,
            checkpointRestore: null,
            notice: notice('SavepointForgotten', 'the cluster was started without savepoint', context.now),
          }
        : {},
    ),
    // A last-state job whose cluster restarted under it (its JobManager lost without HA) resumes
    // from its newest state, not from an older savepoint: the checkpoint the watch recorded.
    resumeFromLastState: assign(({ context, event }) => {
      if (upgradeModeOf(context.policy) !== 'last-state') return {};
      if (observedEvent(event)?.observation.cluster.startWithoutSavepoint === true) return {};
      const checkpoint = context.lastCheckpoint;
      if (checkpoint === null || context.now - checkpoint.completedAt > maxCheckpointAgeMs(context.policy))
        return {};
      if (context.savepointAt !== null && context.savepointAt >= checkpoint.completedAt) return {};
      if (
        context.checkpointRestore !== null &&
        context.checkpointRestore.completedAt >= checkpoint.completedAt
      )
        return {};
      return {
        checkpointRestore: checkpoint,
        notice: notice(
          'CheckpointChosen',
          `upgradeMode last-state: the cluster restarted under the job; it resumes from checkpoint ${checkpoint.path} (completed ${new Date(checkpoint.completedAt).toISOString()}), newer than its savepoint`,
          context.now,
        ),
      };
    }),
    disarmRestartTimeout: assign(({ context }) => ({
      deadlines: { ...context.deadlines, restartTimeoutAt: null },
    })),
    // Set once per start attempt: rows of Starting that target sub-states of Launching exit and
    // re-enter Launching, and that must not move the deadline (timeouts count from entering).
    armRestartTimeout: assign(({ context }) => ({
      deadlines: {
        ...context.deadlines,
        restartTimeoutAt:
          context.deadlines.restartTimeoutAt ?? context.now + seconds(context.policy.restartTimeoutSeconds),
      },
    })),
    assignSubmission: assign(({ context }) => {
      if (context.jobId !== null) return {};
      const submission = context.submission + 1;
      const jobId = flinkJobId(context, submission);
      const restore = nextRestore(context);
      const check = context.upgrade;
      // A rollback, and any later submission while the FlinkJob still asks for the rolled-back
      // spec, submits the stable spec (its settings are in status.lastStableSpec).
      const stable =
        context.stableSpec !== null &&
        (check?.phase === 'RollingBack' ||
          (check?.phase === 'RolledBack' &&
            check.specDigest === context.observed?.specDigest &&
            check.parallelism === effectiveParallelism(context.policy)))
          ? context.stableSpec
          : null;
      return {
        submission,
        jobId,
        restoredFrom: restore,
        // Checkpoints of an earlier submission are older than what this one restores.
        lastCheckpoint: null,
        notice: notice(
          'RestoringState',
          `submitting Flink job ${jobId} ${restoreSaid(restore)}${stable ? ' with the last stable spec (rollback)' : ''}`,
          context.now,
        ),
        parallelism: stable?.parallelism ?? effectiveParallelism(context.policy),
        inPlaceRefused: null,
        specDigest: stable?.specDigest ?? context.observed?.specDigest ?? context.specDigest,
        clusterEpoch: context.observed?.cluster.epoch ?? context.clusterEpoch,
        upgrade:
          check?.phase === 'Verifying' && check.snapshot === null
            ? { ...check, snapshot: restore, restarts: 0 }
            : check,
      };
    }),
    enterStarted: assign(({ context }) => {
      const check = context.upgrade;
      const current =
        context.specDigest === null
          ? null
          : { specDigest: context.specDigest, parallelism: context.parallelism };
      return {
        enteredAt: context.now,
        deadlines: NO_DEADLINES,
        recoverUntil: null,
        stop: null,
        stopReason: null,
        // A job running outside any gate (or after one passed) runs a stable spec.
        stableSpec: check === null || check.phase === 'Healthy' ? current : context.stableSpec,
        upgrade:
          check?.phase === 'Verifying' && check.until === null
            ? { ...check, until: context.now + healthCheckWindowMs(context.policy) }
            : check?.phase === 'RollingBack'
              ? { ...check, phase: 'RolledBack' as const }
              : check,
        notice:
          check?.phase === 'RollingBack'
            ? notice(
                'RolledBack',
                `the last stable spec runs again (Flink job ${context.jobId ?? ''}); the FlinkJob's spec is not retried until it changes`,
                context.now,
              )
            : context.notice,
      };
    }),
    passUpgrade: assign(({ context }) => ({
      upgrade: context.upgrade === null ? null : { ...context.upgrade, phase: 'Healthy' as const },
      stableSpec:
        context.specDigest === null
          ? context.stableSpec
          : { specDigest: context.specDigest, parallelism: context.parallelism },
      notice: notice(
        'UpgradeHealthy',
        `the upgraded job ran ${context.policy.healthCheckWindowSeconds ?? 0}s (healthCheckWindow) with ${context.upgrade?.restarts ?? 0} restart(s): its spec is now the stable one`,
        context.now,
      ),
    })),
    failUpgrade: assign(({ context }) => {
      const why = upgradeFailure(context);
      return {
        upgrade:
          context.upgrade === null ? null : { ...context.upgrade, phase: 'Failed' as const, reason: why },
        // Stopped by the failure: no restart by policy with the spec that failed.
        stopReason: context.stopReason === null ? null : ('UpgradeFailed' as const),
        notice: notice(
          'UpgradeFailed',
          `${why}; rollback is off${context.policy.rollback === true ? ' (no stable spec is known)' : ''}: the job is left as it is and the spec is not retried until it changes`,
          context.now,
        ),
      };
    }),
    beginRollback: assign(({ context }) => {
      const why = upgradeFailure(context);
      const snapshot = context.upgrade?.snapshot ?? null;
      return {
        upgrade:
          context.upgrade === null
            ? null
            : { ...context.upgrade, phase: 'RollingBack' as const, reason: why },
        // Only a running job needs stopping first (from Stopped the rule goes to Starting at once).
        stop: context.jobId === null ? context.stop : stopIntent('RollingBack', true, true),
        notice: notice(
          'RollingBack',
          `${why}: rolling back to the last stable spec, restoring ${snapshot ? restoreSaid(snapshot) : 'the snapshot taken before the upgrade'}`,
          context.now,
        ),
      };
    }),
    verifyReplacedSpec: assign(({ context }) => ({
      upgrade: verificationOf(context),
    })),
    scheduleSavepoint: assign(({ context }) => {
      const interval = context.policy.savepointIntervalSeconds;
      const base = Math.max(context.lastSavepointRequestAt ?? context.enteredAt, context.enteredAt);
      return {
        deadlines: { ...context.deadlines, savepointDueAt: interval > 0 ? base + seconds(interval) : null },
      };
    }),
    requestSavepoint: assign(({ context }, params: { kind: 'periodic' | 'manual' }) => {
      const counter = context.savepointCounter + 1;
      return {
        savepointCounter: counter,
        lastSavepointRequestAt: context.now,
        savepoint: {
          triggerId: savepointTriggerId(context, counter),
          kind: params.kind,
          requestedAt: context.now,
          deadline: context.now + seconds(context.policy.taskTimeoutSeconds),
        },
      };
    }),
    recordSavepoint: assign(({ context, event }, params: { of: 'savepoint' | 'stop' }) => {
      const output = outputOf<AwaitSavepointOutput>(event);
      if (output?.status !== 'COMPLETED') return {};
      const triggerId = params.of === 'stop' ? context.stop?.triggerId : context.savepoint?.triggerId;
      return {
        savepointPath: output.location,
        savepointAt: context.now,
        savepointTriggerId: triggerId ?? null,
        savepoint: null,
        checkpointRestore: null,
        stop: context.stop?.triggerId
          ? { ...context.stop, savepointOutcome: 'Completed' as const, checkpoint: null }
          : context.stop,
        notice: notice('SavepointCompleted', `savepoint completed at ${output.location}`, context.now),
      };
    }),
    abandonSavepoint: assign(({ context, event }, params: { why: string }) => {
      const output = outputOf<AwaitSavepointOutput>(event);
      const detail = output?.status === 'FAILED' ? `: ${output.reason}` : '';
      return {
        savepoint: null,
        notice: notice(
          'SavepointAbandoned',
          `savepoint abandoned (${params.why}${detail}); the job keeps running`,
          context.now,
        ),
      };
    }),
    beginRescale: assign(({ context }) => {
      const to = effectiveParallelism(context.policy);
      return {
        rescale: {
          from: context.parallelism,
          to,
          deadline: context.now + seconds(context.policy.taskTimeoutSeconds),
        },
        notice: notice(
          'Rescaling',
          `rescaling job ${context.jobId ?? ''} in place from parallelism ${context.parallelism} to ${to} (adaptive scheduler: no savepoint, no resubmission)`,
          context.now,
        ),
      };
    }),
    finishRescale: assign(({ context }) => ({
      parallelism: context.rescale?.to ?? context.parallelism,
      rescale: null,
      inPlaceRefused: null,
      notice: notice(
        'Rescaled',
        `job ${context.jobId ?? ''} runs at parallelism ${context.rescale?.to ?? context.parallelism}, rescaled in place from ${context.rescale?.from ?? context.parallelism}`,
        context.now,
      ),
    })),
    refuseInPlace: assign(({ context, event }, params: { why: string }) => {
      const output = outputOf<RescaleInPlaceOutput>(event);
      const why = output?.applied === false ? output.reason : params.why;
      const to = context.rescale?.to ?? effectiveParallelism(context.policy);
      return {
        rescale: null,
        inPlaceRefused: to,
        notice: notice(
          'RescaleInPlaceFailed',
          `parallelism ${to} could not be reached in place (${why}): rescaling through upgradeMode ${upgradeModeOf(context.policy)}`,
          context.now,
        ),
      };
    }),
    dropRescale: assign(() => ({ rescale: null })),
    forgetSavepoint: assign(({ context }) => ({
      savepointPath: null,
      checkpointRestore: null,
      notice: notice('SavepointForgotten', 'the savepoint path was cleared on request', context.now),
    })),
    makeStopDurable: assign(({ context }) => ({
      stopReason: 'Manual' as const,
      notice: notice('StoppedManually', 'the job stays stopped until START (ADR 0002)', context.now),
    })),
    enterStopping: assign(({ context }) => ({ enteredAt: context.now, deadlines: NO_DEADLINES })),
    beginSavepointStop: assign(({ context }) => {
      if (context.stop === null) return {};
      if (context.stop.triggerId !== null) return {};
      const counter = context.savepointCounter + 1;
      return {
        savepointCounter: counter,
        stop: {
          ...context.stop,
          triggerId: savepointTriggerId(context, counter),
          savepointDeadline: context.now + seconds(context.policy.taskTimeoutSeconds),
          savepointOutcome: 'Unread' as const,
        },
      };
    }),
    abandonSavepointStop: assign(({ context, event }, params: { why: string }) => {
      const output = outputOf<AwaitSavepointOutput>(event);
      const failed = output?.status === 'FAILED';
      const detail = failed ? `: ${output.reason}` : '';
      const fallback = checkpointChoicePending(context)
        ? 'falling back to the newest checkpoint within maxCheckpointAge'
        : 'falling back to cancel without savepoint';
      return {
        stop:
          context.stop === null
            ? null
            : {
                ...context.stop,
                savepointAbandoned: true,
                // A timeout reads nothing: a savepoint may still have completed (read once Flink answers).
                savepointOutcome: failed ? ('Lost' as const) : context.stop.savepointOutcome,
              },
        notice: notice(
          'StopWithSavepointFailed',
          `stop-with-savepoint ${params.why}${detail}: ${fallback}`,
          context.now,
        ),
      };
    }),
    beginCancel: assign(({ context }) => ({
      stop:
        context.stop === null || context.stop.cancelDeadline !== null
          ? context.stop
          : { ...context.stop, cancelDeadline: context.now + seconds(context.policy.taskTimeoutSeconds) },
    })),
    noteJobManagerGone: assign(({ context }) => ({
      notice: notice(
        'JobManagerGoneWhileStopping',
        `the JobManager pod is gone and HA is off: Flink job ${context.jobId ?? ''} ended with it${context.stop?.triggerId ? '; the stop-with-savepoint in flight cannot be read, the next start restores the savepoint recorded before' : ''}`,
        context.now,
      ),
    })),
    giveUpCancel: assign(({ context }) => ({
      notice: notice(
        'CancelTimedOut',
        `the Flink job was not confirmed stopped within taskTimeout (${context.policy.taskTimeoutSeconds}s): giving up; if it still runs, the cluster cancels it as unmanaged`,
        context.now,
      ),
    })),
    finishStop: assign(({ context }) => ({
      // An upgrade that restarts the job is gated when the job has a health check window.
      upgrade:
        isUpgrade(context.stop) && context.stop.restart && healthCheckWindowMs(context.policy) > 0
          ? verificationOf(context)
          : context.upgrade,
      stopReason: context.stop?.reason ?? context.stopReason,
      jobId: null,
      savepointPath: context.stop?.clearSavepointPath === true ? null : context.savepointPath,
      checkpointRestore:
        context.stop?.checkpoint ??
        (context.stop?.clearSavepointPath === true ? null : context.checkpointRestore),
    })),
    // Upgrade modes (docs/upgrades.md).
    forgetStateForUpgrade: assign(({ context }) => ({
      stop: context.stop === null ? null : { ...context.stop, clearSavepointPath: true },
      notice: notice(
        'StatelessUpgrade',
        'upgradeMode stateless: cancelling the job and submitting it without state',
        context.now,
      ),
    })),
    noteSnapshots: assign(({ context, event }) => ({
      lastCheckpoint: newerCheckpoint(
        context.lastCheckpoint,
        outputOf<ReadSnapshotsOutput>(event)?.checkpoint,
      ),
    })),
    chooseCheckpoint: assign(({ context }) => ({
      stop: context.stop === null ? null : { ...context.stop, checkpoint: context.lastCheckpoint },
      notice: notice(
        'CheckpointChosen',
        `upgradeMode ${upgradeModeOf(context.policy)}: the job restarts from checkpoint ${context.lastCheckpoint?.path ?? ''} (completed ${new Date(context.lastCheckpoint?.completedAt ?? 0).toISOString()})`,
        context.now,
      ),
    })),
    chooseKnownSavepoint: assign(({ context, event }) => {
      const output = outputOf<ReadSnapshotsOutput>(event);
      const chosen = knownSavepointFallback(
        context,
        output?.checkpoint,
        Math.max(context.now, output?.at ?? context.now),
      );
      return {
        stop: context.stop === null ? null : { ...context.stop, checkpoint: chosen },
        notice: notice(
          'CheckpointChosen',
          `upgradeMode ${upgradeModeOf(context.policy)}: no newer snapshot could be had; the job restarts from its savepoint ${chosen?.path ?? ''}, taken within maxCheckpointAge`,
          context.now,
        ),
      };
    }),
    confirmCheckpointChoice: assign(({ context }) => ({
      stop: context.stop === null ? null : { ...context.stop, checkpointConfirmed: true },
    })),
    unchooseCheckpoint: assign(({ context }) => ({
      stop: context.stop === null ? null : { ...context.stop, checkpoint: null },
    })),
    stopAndAsk: assign(({ context }) => {
      const age = Math.round(maxCheckpointAgeMs(context.policy) / 1000);
      const newest = context.lastCheckpoint
        ? `the newest checkpoint known, ${context.lastCheckpoint.path}, completed at ${new Date(context.lastCheckpoint.completedAt).toISOString()}`
        : 'no completed checkpoint is known';
      const initial = context.policy.initialSavepointPath;
      const start = initial
        ? `START restores spec.savepoint.initialSavepointPath ${initial}`
        : context.savepointPath
          ? `START restores the older savepoint ${context.savepointPath}`
          : 'START starts it without state';
      return {
        stop:
          context.stop === null
            ? null
            : { ...context.stop, asked: true, restart: false, reason: 'SnapshotUnavailable' as const },
        notice: notice(
          'SnapshotUnavailable',
          `upgradeMode ${upgradeModeOf(context.policy)}: no savepoint could be taken and ${newest} (maxCheckpointAge ${age}s): the job is left stopped, not started empty. ${start}; START --without-savepoint starts it without state; setting spec.savepoint.initialSavepointPath chooses the snapshot START restores`,
          context.now,
        ),
      };
    }),
    recordSavepointRead: assign(({ context, event }) => {
      const savepoint = outputOf<ReadSnapshotsOutput>(event)?.savepoint;
      if (!savepoint) return {};
      return {
        savepointPath: savepoint.path,
        savepointAt: context.now,
        savepointTriggerId: context.stop?.triggerId ?? null,
        checkpointRestore: null,
        stop:
          context.stop === null
            ? null
            : { ...context.stop, savepointOutcome: 'Completed' as const, checkpoint: null },
        notice: notice(
          'SavepointCompleted',
          `the stop-with-savepoint completed at ${savepoint.path} (read from the job's checkpoint statistics: its trigger's outcome was not read in time)`,
          context.now,
        ),
      };
    }),
    // The bootstrap found no _metadata where the snapshot should be: a clear error, never an empty
    // start; the restart policy does not retry it (SnapshotMissing is no failure it restarts).
    noteSnapshotMissing: assign(({ context, event }) => {
      if (observedEvent(event)?.observation.bootstrapFailure !== 'SnapshotMissing' || context.stop === null)
        return {};
      const path = context.restoredFrom?.path ?? '';
      return {
        stop: { ...context.stop, reason: 'SnapshotMissing' as const },
        notice: notice(
          'SnapshotMissing',
          `the ${context.restoredFrom?.kind ?? 'snapshot'} to restore, ${path}, has no _metadata: the job is left stopped, not started empty. START --without-savepoint starts it without state; setting spec.savepoint.initialSavepointPath to an existing snapshot chooses what START restores`,
          context.now,
        ),
      };
    }),
    // The user's answer to a stop-and-ask: spec.savepoint.initialSavepointPath names the snapshot.
    restoreChosenAfterAsk: assign(({ context }) => {
      const chosen = context.policy.initialSavepointPath;
      const asked = context.stopReason === 'SnapshotUnavailable' || context.stopReason === 'SnapshotMissing';
      if (!asked || !chosen || context.pendingAction?.withoutSavepoint) return {};
      return { savepointPath: chosen, savepointTriggerId: null, checkpointRestore: null };
    }),
    markSavepointLost: assign(({ context }) => ({
      stop:
        context.stop === null || context.stop.savepointOutcome !== 'Unread'
          ? context.stop
          : { ...context.stop, savepointOutcome: 'Lost' as const },
    })),
    // A savepoint still in flight when the job stopped is no longer awaited by anything: out of
    // flight, its record gets its outcome from Flink, the latest path or a search. Left in flight, its
    // record stayed Pending, and a search of the same Flink job waited for it forever (K18).
    enterTerminated: assign({ savepoint: null }),
    enterStopped: assign(({ context }) => ({
      enteredAt: context.now,
      recoverUntil: null,
      parallelism: 0,
      stop: null,
      savepoint: null,
      deadlines: { ...NO_DEADLINES, restartAt: context.now + seconds(context.policy.restartDelaySeconds) },
    })),
    // A restart by policy after the cluster was restarted without savepoint (START withoutSavepoint)
    // since the job last ran there starts without state too, as the user asked of every job of the
    // cluster: a job that stopped by failure or loss meanwhile, not by the cluster, would otherwise
    // restore the savepoint the user chose to leave behind.
    noteRestartByPolicy: assign(({ context }) => {
      const cluster = context.observed?.cluster;
      const restartedWithout =
        cluster?.startWithoutSavepoint === true &&
        context.clusterEpoch !== null &&
        cluster.epoch !== context.clusterEpoch &&
        (context.savepointPath !== null || context.checkpointRestore !== null);
      return {
        ...(restartedWithout ? { savepointPath: null, checkpointRestore: null } : {}),
        notice: notice(
          'RestartedByPolicy',
          `restartPolicy ${context.policy.restartPolicy}: restarting after ${context.stopReason ?? 'stop'}${
            restartedWithout ? ', without savepoint: the cluster was started without savepoint since' : ''
          }`,
          context.now,
        ),
      };
    }),
  },
}).createMachine({
  id: 'job',
  description: 'One FlinkJob: submission, savepoints, stop and restart policies.',
  initial: 'Unknown',
  context: ({ input }) => initialJobContext(input),
  on: {
    ACTION_REQUESTED: requestRows({
      ignored: 'J.Any.0 a request already seen (same or older requestedAt) is ignored',
      remembered: 'J.Any.1 (§4) remember the request until a state accepts or rejects it',
    }),
  },
  states: {
    Unknown: {
      description: 'Not initialised yet: waits for the first observation.',
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'J.Unknown.0 stale or repeated observation: ignored' },
          {
            guard: 'deletionRequested',
            target: 'Terminated',
            actions: 'recordObservation',
            description: 'J.Unknown.1 (§5.4 Unknown 1) deleted before it ever ran: terminate',
          },
          {
            guard: 'clusterTerminated',
            actions: 'recordObservation',
            description: 'J.Unknown.2 (§5.4 Unknown 0) the cluster is terminated: nothing to do',
          },
          {
            guard: 'flinkJobAlive',
            target: 'Started',
            actions: ['recordObservation', 'adoptJob'],
            description: 'J.Unknown.3 a reset machine finds its recorded job id running in Flink: adopt it',
          },
          {
            guard: not('paused'),
            target: 'Starting',
            actions: ['recordObservation', 'initialise'],
            description:
              'J.Unknown.4 (§5.4 Unknown 2) initialise (initial savepoint path) and start; not while paused (ADR 0019)',
          },
          {
            actions: 'recordObservation',
            description:
              'J.Unknown.5 (ADR 0019) paused before it ever ran: observed (the status says paused), nothing started',
          },
        ],
      },
    },
    Starting: {
      description: 'Submitting the job: wait for the cluster, record the job id, create the bootstrap Job.',
      entry: 'enterStarting',
      initial: 'WaitingForCluster',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'J.Starting.P1 (ADR 0019) START or STOP while paused: rejected (TRIGGER_SAVEPOINT is still taken)',
        ),
        stopOnRequest(
          'pendingStop',
          { reason: 'Manual', restart: false },
          'J.Starting.A1 (§5.4 Starting 6) STOP: stop the start',
        ),
        rejectRequest(
          'anyPendingAction',
          'the job is starting',
          'J.Starting.A2 (§4) other actions are rejected while starting',
        ),
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'J.Starting.0 stale or repeated observation: ignored' },
          stopWhenObserved(
            'deletionRequested',
            { reason: 'Deleted', restart: false },
            'J.Starting.1 (§5.4 Starting 1) deleted: stop, then terminate',
          ),
          stopWhenObserved(
            'clusterAway',
            { reason: 'ClusterStopped', restart: false },
            'J.Starting.2 (§5.4 Starting 2, 3) the cluster is stopping or stopped: abort the start',
          ),
          stopWhenObserved(
            and([not('paused'), 'parallelismZero']),
            { reason: 'Suspended', restart: false },
            'J.Starting.3 (§5.4 Starting 11) requested parallelism 0: suspended, no bootstrap Job',
          ),
          {
            guard: 'clusterPending',
            target: '.WaitingForCluster',
            actions: 'recordObservation',
            description: 'J.Starting.4 (§5.4 Starting 4) the cluster is starting: wait, no start timeout yet',
          },
          {
            guard: and(['restartTimeoutPassed', not('paused')]),
            target: 'Stopping',
            actions: ['recordObservation', 'noteStartTimedOut'],
            description: 'J.Starting.5 (§5.4 Starting 9) not started within restartTimeout: abort the start',
          },
          {
            guard: and(['flinkJobEnded', not('paused')]),
            target: 'Stopping',
            actions: ['recordObservation', 'beginStopForEndedJob'],
            description: 'J.Starting.6 the submitted job already ended in Flink: stop',
          },
          {
            guard: 'flinkJobAlive',
            target: 'Started',
            actions: 'recordObservation',
            description: 'J.Starting.7 (§5.4 Starting 13) Flink runs the submitted job id: Started',
          },
          {
            ...stopWhenObserved(
              and([not('paused'), 'bootstrapFailed']),
              { reason: 'BootstrapFailed', restart: false },
              'J.Starting.8 the bootstrap Job failed: abort the start now rather than at the timeout (a snapshot without _metadata: say so, no restart by policy)',
            ),
            actions: [
              'recordObservation',
              beginStop({ reason: 'BootstrapFailed', restart: false }),
              'noteSnapshotMissing',
            ],
          },
          {
            guard: and(['inWaitingForCluster', 'clusterStarted', not('paused')]),
            target: '.Launching',
            actions: 'recordObservation',
            description: 'J.Starting.9 the cluster is Started: launch (restartTimeout counts from here)',
          },
          {
            guard: 'clusterNotReady',
            actions: 'recordObservation',
            description:
              'J.Starting.10 (§5.4 Starting 8) wait until the cluster is healthy with enough slots',
          },
          {
            guard: and(['inLaunchingIdle', 'bootstrapStale', not('paused')]),
            target: '.Launching.DeletingBootstrap',
            actions: 'recordObservation',
            description: 'J.Starting.11 a bootstrap Job of another submission exists: delete it first',
          },
          {
            guard: and(['inLaunchingIdle', 'submissionNeeded', not('paused')]),
            target: '.Launching.Recording',
            actions: 'recordObservation',
            description:
              'J.Starting.12 (§5.4 Starting 12) no bootstrap Job, job unknown to Flink: record the job id, then submit',
          },
          {
            guard: and(['inLaunchingIdle', 'bootstrapOurs']),
            target: '.Launching.Submitted',
            actions: 'recordObservation',
            description:
              'J.Starting.13 our bootstrap Job exists (for example after a restore): wait for the job',
          },
          {
            guard: and(['inLaunchingSubmitted', 'submissionLost', not('paused')]),
            target: 'Stopped',
            actions: ['recordObservation', 'recordJobEnded'],
            description:
              'J.Starting.14 (§14.21) Flink answers 404 for the job id its bootstrap Job submitted, already seen succeeded in an earlier observation (so asked after the submit), without HA (the JobManager restarted since): lost, handled by restartPolicy, not at restartTimeout',
          },
          { actions: 'recordObservation', description: 'J.Starting.15 otherwise: wait' },
        ],
      },
      states: {
        WaitingForCluster: {
          description: 'The cluster is not Started yet; the start timeout is not armed.',
          entry: 'disarmRestartTimeout',
        },
        Launching: {
          description: 'Submitting; aborted if the job does not run within restartTimeout.',
          entry: 'armRestartTimeout',
          initial: 'Idle',
          invoke: guardedWaiter({
            id: 'restartTimeout',
            deadline: (context) => context.deadlines.restartTimeoutAt,
            target: '#job.Stopping',
            then: 'noteStartTimedOut',
            guard: 'notPaused',
            description:
              'J.Starting.T1 (§5.4 Starting 9) restartTimeout reached: abort the start (paused: lapses; J.Starting.5 takes it once resumed)',
          }),
          states: {
            Idle: { description: 'Waiting for the next observation to decide.' },
            DeletingBootstrap: {
              description: 'Deleting a bootstrap Job left by an earlier submission.',
              meta: { resumeAs: 'job.Starting.Launching.Idle' },
              invoke: deleteBootstrap('Idle'),
            },
            Recording: {
              description: 'Write-ahead: the job id is persisted before the bootstrap Job can submit it.',
              meta: { resumeAs: 'job.Starting.Launching.Idle' },
              entry: 'assignSubmission',
              invoke: writeAhead(RESUME_LAUNCHING, 'CreatingBootstrap', { target: 'Idle' }),
            },
            CreatingBootstrap: {
              description: 'Creating the bootstrap Job that uploads the jar and submits the recorded job id.',
              meta: { resumeAs: 'job.Starting.Launching.Idle' },
              invoke: effect({
                id: 'createBootstrap',
                src: 'createBootstrap',
                input: (context) => ({
                  jobId: context.jobId ?? '',
                  submission: context.submission,
                  parallelism: context.parallelism,
                  savepointPath: (context.restoredFrom ?? nextRestore(context)).path,
                  clusterEpoch: context.clusterEpoch ?? 0,
                  specDigest: context.specDigest,
                }),
                target: 'Submitted',
                errorTarget: 'Idle',
              }),
            },
            Submitted: { description: 'The bootstrap Job exists: waiting for Flink to run the job id.' },
          },
        },
      },
    },
    Started: {
      description: 'The Flink job runs: savepoints, spec changes, rescale, failures.',
      entry: 'enterStarted',
      // A rescale in place left unfinished (the job stops under it) is over: a restart submits anew.
      exit: 'dropRescale',
      initial: 'Running',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'J.Started.P1 (ADR 0019) START or STOP while paused: rejected (TRIGGER_SAVEPOINT is still taken)',
        ),
        stopOnRequest(
          'pendingStop',
          { reason: 'Manual', restart: false },
          'J.Started.A1 (§5.4 Started 9) STOP: stop (savepoint unless Manual mode or withoutSavepoint)',
        ),
        stopOnRequest(
          'pendingStart',
          { reason: 'RestartRequested', restart: true },
          'J.Started.A2 (§5.4 Started 9) START: restart (withoutSavepoint: stop and start stateless)',
        ),
        {
          guard: and(['pendingTriggerSavepoint', not('savepointInFlight'), not('inRescaling')]),
          target: '.Savepointing',
          actions: [{ type: 'requestSavepoint', params: { kind: 'manual' } }, 'acceptAction'],
          description:
            'J.Started.A3 (§5.4 Started 9, §5.7) TRIGGER_SAVEPOINT: take a savepoint (after a rescale in place in flight)',
        },
        rejectRequest(
          and(['pendingTriggerSavepoint', 'savepointInFlight']),
          'a savepoint is already in flight',
          'J.Started.A4 (§4) TRIGGER_SAVEPOINT while a savepoint is in flight: rejected',
        ),
        {
          guard: 'pendingForgetSavepoint',
          actions: ['forgetSavepoint', 'acceptAction'],
          description: 'J.Started.A5 (§4) FORGET_SAVEPOINT: clear the savepoint path',
        },
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'J.Started.0 stale or repeated observation: ignored' },
          stopWhenObserved(
            'deletionRequested',
            { reason: 'Deleted', restart: false },
            'J.Started.1 (§5.4 Started 1) deleted: stop (savepoint only with savepointOnDelete), terminate',
          ),
          stopWhenObserved(
            and([not('paused'), 'clusterNotStarted']),
            { reason: 'ClusterStopped', restart: false },
            'J.Started.2 (§5.4 Started 2, 3) the cluster is not Started: stop; resume when it is back',
          ),
          stopWhenObserved(
            and([not('paused'), 'clusterRestartedUnderJob']),
            { reason: 'ClusterStopped', restart: false },
            'J.Started.3 the cluster restarted under the job (new epoch, job not running): resume',
          ),
          stopWhenObserved(
            and([not('paused'), 'specChanged']),
            { reason: 'SpecChanged', restart: true },
            'J.Started.4 (§5.4 Started 6) bootstrap settings changed: stop (savepoint) and restart',
          ),
          stopWhenObserved(
            and([not('paused'), 'parallelismChanged', not('adaptiveRescale')]),
            { reason: 'Rescale', restart: true },
            'J.Started.5 (§5.4 Started 7) parallelism changed, not in place (no adaptive scheduler, or Flink refused it): stop by the upgrade mode and resubmit',
          ),
          {
            guard: 'flinkJobRecovering',
            actions: ['recordObservation', 'awaitRecovery'],
            description:
              'J.Started.6 (HA, ADR 0011) Flink answers 404 while a standby JobManager may be recovering the job: wait up to taskTimeout, do not resubmit',
          },
          {
            guard: 'flinkJobLost',
            target: 'Stopped',
            actions: ['recordObservation', 'recordJobEnded'],
            description:
              'J.Started.7 (§14.21) Flink answers 404 for the job id (without HA, or not recovered within taskTimeout): lost, handled by restartPolicy',
          },
          {
            guard: 'flinkJobEnded',
            target: 'Stopped',
            actions: ['recordObservation', 'recordJobEnded'],
            description: 'J.Started.8 (§5.4 Started 8) FINISHED, CANCELED or FAILED: Stopped',
          },
          {
            guard: 'savepointTimedOut',
            target: '.Running',
            actions: ['recordObservation', { type: 'abandonSavepoint', params: { why: 'timed out' } }],
            description:
              'J.Started.9 (§5.7) an in-flight savepoint passed its deadline: abandon it, keep running',
          },
          {
            guard: and(['inRunning', 'periodicSavepointDue', not('paused')]),
            target: '.Savepointing',
            actions: ['recordObservation', { type: 'requestSavepoint', params: { kind: 'periodic' } }],
            description: 'J.Started.10 (§5.4 Started 10, §5.7) savepointInterval elapsed: periodic savepoint',
          },
          {
            guard: 'inSavepointUnread',
            target: '.Savepointing.Awaiting',
            actions: 'recordObservation',
            description:
              'J.Started.11 (§5.7) the savepoint status could not be read: poll it again, until its deadline',
          },
          {
            guard: and(['upgradeUnhealthy', 'rollbackWanted', not('paused')]),
            target: 'Stopping',
            actions: ['recordObservation', 'beginRollback'],
            description:
              'J.Started.12 the upgraded job restarted more than healthCheckMaxRestarts within healthCheckWindow, rollback on: stop it (no savepoint) and resubmit the last stable spec from the snapshot taken before the upgrade',
          },
          {
            guard: and(['upgradeUnhealthy', not('paused')]),
            actions: ['recordObservation', 'failUpgrade'],
            description:
              'J.Started.13 the same without rollback: say so (UpgradeHealthy=False) and leave the job as it is',
          },
          {
            guard: 'upgradeHealthy',
            actions: ['recordObservation', 'passUpgrade'],
            description:
              'J.Started.14 the upgraded job ran healthCheckWindow, RUNNING, within healthCheckMaxRestarts: its spec becomes the stable one',
          },
          {
            guard: and([
              not('paused'),
              'parallelismChanged',
              'adaptiveRescale',
              'inRunning',
              'flinkJobRunning',
            ]),
            target: '.Rescaling',
            actions: ['recordObservation', 'beginRescale'],
            description:
              'J.Started.15 (ADR 0017) parallelism changed, adaptive scheduler: rescale in place (the target recorded first; no savepoint, same job id); a savepoint in flight finishes first',
          },
          {
            actions: ['recordObservation', 'followClusterEpoch'],
            description: 'J.Started.16 otherwise: keep running (an adopted cluster may bring a new epoch)',
          },
        ],
      },
      states: {
        Running: {
          description: 'Nothing in flight; the next periodic savepoint is awaited.',
          entry: 'scheduleSavepoint',
          invoke: guardedWaiter({
            id: 'savepointDue',
            deadline: (context) => context.deadlines.savepointDueAt,
            target: 'Savepointing',
            then: { type: 'requestSavepoint', params: { kind: 'periodic' } },
            guard: 'notPaused',
            description:
              'J.Started.T1 (§5.7) savepointInterval elapsed: periodic savepoint (paused: lapses; J.Started.10 takes it once resumed)',
          }),
        },
        Rescaling: {
          description:
            'A rescale in place (adaptive scheduler): recorded first, then PUT resource-requirements, awaited until the job runs at it; given up at taskTimeout for the upgrade mode.',
          initial: 'Recording',
          invoke: waiter({
            id: 'rescaleTimeout',
            deadline: (context) => context.rescale?.deadline ?? context.now,
            target: 'Running',
            then: { type: 'refuseInPlace', params: { why: 'it did not complete within taskTimeout' } },
            description:
              'J.Started.T3 the job did not run at the new parallelism within taskTimeout: rescale through the upgrade mode',
          }),
          states: {
            Recording: {
              description: 'Write-ahead: the target parallelism is persisted before Flink is asked.',
              meta: { resumeAs: 'job.Started.Rescaling.Applying' },
              invoke: writeAhead(RESUME_RESCALING, 'Applying', {
                target: '#job.Started.Running',
                actions: 'dropRescale',
                description:
                  'J.Started.R4 the target could not be persisted: not asked; the next observation tries again',
              }),
            },
            Applying: {
              description:
                'PUT /jobs/:id/resource-requirements (again after a restore: it sets, not adds), then poll until the job runs at it.',
              invoke: {
                id: 'rescaleInPlace',
                src: 'rescaleInPlace',
                input: ({ context }) => ({
                  jobId: context.jobId ?? '',
                  from: context.rescale?.from ?? context.parallelism,
                  to: context.rescale?.to ?? context.parallelism,
                }),
                onDone: [
                  {
                    guard: 'rescaleApplied',
                    target: '#job.Started.Running',
                    actions: ['recordTime', 'finishRescale'],
                    description:
                      'J.Started.R1 the job runs at the new parallelism: rescaled in place (same job id, no savepoint)',
                  },
                  {
                    target: '#job.Started.Running',
                    actions: ['recordTime', { type: 'refuseInPlace', params: { why: 'Flink refused it' } }],
                    description:
                      'J.Started.R2 Flink cannot rescale this job in place (no resource-requirements endpoint before 1.18, or its scheduler refused): rescale through the upgrade mode',
                  },
                ],
                onError: {
                  target: '#job.Started.Running',
                  actions: { type: 'refuseInPlace', params: { why: 'the request failed' } },
                  description:
                    'J.Started.R3 the request failed for good (not a transient Flink error, which is retried): rescale through the upgrade mode',
                },
              },
            },
          },
        },
        Savepointing: {
          description: 'A savepoint is in flight (trigger id recorded first); abandoned at its deadline.',
          initial: 'Recording',
          invoke: waiter({
            id: 'savepointTimeout',
            deadline: (context) => context.savepoint?.deadline ?? context.now,
            target: 'Running',
            then: { type: 'abandonSavepoint', params: { why: 'timed out' } },
            description: 'J.Started.T2 (§5.7) the savepoint did not complete within taskTimeout: abandon it',
          }),
          states: {
            Recording: {
              description: 'Write-ahead: the trigger id is persisted before it is sent.',
              meta: { resumeAs: 'job.Started.Savepointing.Awaiting' },
              invoke: writeAhead(RESUME_SAVEPOINTING, 'Triggering', {
                target: '#job.Started.Running',
                actions: {
                  type: 'abandonSavepoint',
                  params: { why: 'its trigger id could not be persisted' },
                },
              }),
            },
            Triggering: {
              description: 'POST /jobs/:id/savepoints with the recorded trigger id.',
              meta: { resumeAs: 'job.Started.Savepointing.Awaiting' },
              invoke: {
                id: 'triggerSavepoint',
                src: 'triggerSavepoint',
                input: ({ context }) => ({
                  jobId: context.jobId ?? '',
                  triggerId: context.savepoint?.triggerId ?? '',
                  targetDirectory: context.policy.savepointTargetPath,
                }),
                onDone: [
                  {
                    guard: 'triggerOutcomeUnknown',
                    target: 'Unread',
                    actions: 'recordTime',
                    description:
                      'J.Started.S5 the trigger was sent but its answer was lost: Flink may have taken it, so its trigger id is polled (and sent again, same id, if Flink never saw it), never abandoned unread',
                  },
                  { target: 'Awaiting', actions: 'recordTime' },
                ],
                onError: {
                  target: '#job.Started.Running',
                  actions: { type: 'abandonSavepoint', params: { why: 'the trigger failed' } },
                },
              },
            },
            Awaiting: {
              description: 'Polling the trigger id until Flink reports the outcome.',
              invoke: {
                id: 'awaitSavepoint',
                src: 'awaitSavepoint',
                input: awaitTriggerInput((context) => context.savepoint?.triggerId),
                onDone: [
                  {
                    guard: 'savepointCompleted',
                    target: '#job.Started.Running',
                    actions: ['recordTime', { type: 'recordSavepoint', params: { of: 'savepoint' } }],
                    description: 'J.Started.S1 the savepoint completed: remember its path',
                  },
                  {
                    guard: 'triggerUnknown',
                    target: 'Triggering',
                    actions: 'recordTime',
                    description:
                      'J.Started.S2 Flink never saw the trigger (crash before sending): send it, same id',
                  },
                  {
                    target: '#job.Started.Running',
                    actions: [
                      'recordTime',
                      { type: 'abandonSavepoint', params: { why: 'Flink reported a failure' } },
                    ],
                    description: 'J.Started.S3 (§5.7) the savepoint failed: abandon it, keep running',
                  },
                ],
                onError: {
                  target: 'Unread',
                  actions: 'recordTime',
                  description:
                    'J.Started.S4 its status could not be read: the outcome is unknown, not failed; poll again',
                },
              },
            },
            Unread: {
              description:
                'The status read failed: polled again on the next observation (bounded by the deadline).',
            },
          },
        },
      },
    },
    Stopping: {
      description:
        'Stopping the Flink job: bootstrap first, then stop-with-savepoint or cancel, each bounded.',
      entry: 'enterStopping',
      initial: 'Idle',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'J.Stopping.P1 (ADR 0019) START or STOP while paused: rejected (TRIGGER_SAVEPOINT is still taken)',
        ),
        {
          guard: 'pendingStop',
          actions: ['restopManually', 'acceptAction'],
          description: 'J.Stopping.A1 STOP while stopping: do not restart afterwards',
        },
        {
          guard: and(['pendingStart', 'notYetDeleting']),
          actions: ['restartAfterStop', 'acceptAction'],
          description:
            'J.Stopping.A2 (§5.3 Stopping 6 analogue) START while stopping: start again once stopped',
        },
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'J.Stopping.0 stale or repeated observation: ignored' },
          {
            guard: and(['deletionRequested', 'notYetDeleting']),
            actions: ['recordObservation', 'markDeleting'],
            description: 'J.Stopping.1 deleted while stopping: terminate once stopped, no restart',
          },
          {
            guard: and(['inStoppingIdle', 'bootstrapPresent']),
            target: '.DeletingBootstrap',
            actions: 'recordObservation',
            description:
              'J.Stopping.2 (§5.4 Stopping 1) delete the bootstrap Job first (it could still submit)',
          },
          {
            guard: 'bootstrapPresent',
            actions: 'recordObservation',
            description: 'J.Stopping.3 (§5.4 Stopping 1) wait until the bootstrap Job is gone',
          },
          {
            guard: and([
              'savepointOutcomeHidden',
              not('inSavepointStop'),
              not('inReadingSavepoint'),
              not('inStoppingDeletingBootstrap'),
            ]),
            target: '.ReadingSavepoint',
            actions: 'recordObservation',
            description:
              "J.Stopping.4 the stop-with-savepoint outcome was never read and the job is gone: read the savepoint it took from the job's checkpoint statistics",
          },
          {
            guard: and(['clusterHasNoJobManager', not('choosingSnapshot')]),
            target: '.Done',
            actions: 'recordObservation',
            description: 'J.Stopping.5 (§5.4 Stopping 3) the cluster is stopped: nothing left to stop',
          },
          {
            guard: and([
              'flinkJobGone',
              not('inSavepointStop'),
              not('inFinishingSavepoint'),
              not('choosingSnapshot'),
            ]),
            target: '.Done',
            actions: 'recordObservation',
            description: 'J.Stopping.6 (§5.7) the Flink job is gone (ended, 404 or never submitted): stopped',
          },
          {
            guard: 'cancelTimedOut',
            target: '.Done',
            actions: ['recordObservation', 'giveUpCancel'],
            description:
              'J.Stopping.7 (§5.7, §15.40) cancel not confirmed within taskTimeout: give up, say so',
          },
          {
            guard: 'savepointStopTimedOut',
            target: '.Cancelling',
            actions: ['recordObservation', { type: 'abandonSavepointStop', params: { why: 'timed out' } }],
            description:
              'J.Stopping.8 (§14.20) stop-with-savepoint not done within taskTimeout: fall back to cancel',
          },
          {
            guard: and(['inFinishingSavepoint', 'savepointTimedOut']),
            target: '.Idle',
            actions: ['recordObservation', { type: 'abandonSavepoint', params: { why: 'timed out' } }],
            description: 'J.Stopping.9 (§5.7) the savepoint in flight before the stop timed out: abandon it',
          },
          {
            guard: and(['inStoppingIdle', 'statelessUpgrade']),
            target: '.Cancelling',
            actions: ['recordObservation', 'forgetStateForUpgrade'],
            description:
              'J.Stopping.10 upgradeMode stateless: cancel, forget the snapshots; the job restarts without state',
          },
          {
            guard: and(['inStoppingIdle', 'checkpointChoicePending', 'checkpointFirst']),
            target: '.ChoosingCheckpoint',
            actions: 'recordObservation',
            description:
              'J.Stopping.11 upgradeMode last-state, or the upgrade savepoint failed or timed out: choose the newest checkpoint before cancelling',
          },
          {
            guard: and(['inStoppingIdle', 'savepointInFlight']),
            target: '.FinishingSavepoint',
            actions: 'recordObservation',
            description: 'J.Stopping.12 a savepoint was in flight: let it finish (bounded) before stopping',
          },
          {
            guard: and(['inStoppingIdle', 'savepointWanted']),
            target: '.SavepointStop',
            actions: 'recordObservation',
            description:
              'J.Stopping.13 (§5.7, §14.8) Automatic mode: stop-with-savepoint (not cancel-with-savepoint)',
          },
          {
            guard: 'inStoppingIdle',
            target: '.Cancelling',
            actions: 'recordObservation',
            description: 'J.Stopping.14 (§5.7) Manual mode, withoutSavepoint, deletion or fallback: cancel',
          },
          {
            guard: and(['jobManagerGoneUnderStop', not('choosingSnapshot')]),
            target: '.Done',
            actions: ['recordObservation', 'noteJobManagerGone'],
            description:
              'J.Stopping.15 STOP or deletion, no HA, and the JobManager pod is gone: the Flink job ended with it; stopped without waiting out a savepoint or cancel that cannot reach it',
          },
          { actions: 'recordObservation', description: 'J.Stopping.16 otherwise: wait' },
        ],
      },
      states: {
        Idle: { description: 'Waiting for the next observation to decide the next stop step.' },
        DeletingBootstrap: {
          description: 'Deleting the bootstrap Job.',
          meta: { resumeAs: 'job.Stopping.Idle' },
          invoke: deleteBootstrap('Idle'),
        },
        ReadingSavepoint: {
          description:
            "Reading the job's checkpoint statistics for the savepoint a stop-with-savepoint took while its outcome was unread.",
          meta: { resumeAs: 'job.Stopping.Idle' },
          invoke: {
            id: 'readSnapshots',
            src: 'readSnapshots',
            input: ({ context }) => ({ jobId: context.jobId ?? '' }),
            onDone: [
              {
                guard: 'newSavepointRead',
                target: 'Idle',
                actions: ['recordTime', 'recordSavepointRead'],
                description:
                  "J.Stopping.R2 Flink names a savepoint newer than the one known: it is the stop's, remember it",
              },
              {
                target: 'Idle',
                actions: ['recordTime', 'markSavepointLost'],
                description: 'J.Stopping.R3 no newer savepoint: the stop took none',
              },
            ],
            onError: {
              target: 'Idle',
              actions: 'markSavepointLost',
              description:
                'J.Stopping.R4 Flink did not answer: the savepoint is lost to us, say so and go on',
            },
          },
        },
        ChoosingCheckpoint: {
          description:
            "An upgrade without a savepoint: read Flink's newest completed checkpoint (the recorded one if Flink does not answer), then restart from it or stop and ask.",
          meta: { resumeAs: 'job.Stopping.Idle' },
          invoke: {
            id: 'readSnapshots',
            src: 'readSnapshots',
            input: ({ context }) => ({ jobId: context.jobId ?? '' }),
            onDone: [
              {
                guard: 'rereadFindsNothingNewer',
                target: 'Done',
                actions: ['recordTime', 'noteSnapshots'],
                description:
                  'J.Stopping.K7 the re-read after the job ended names no newer checkpoint: the choice stands',
              },
              {
                guard: 'savepointYoungEnough',
                target: 'RecordingRestore',
                actions: ['recordTime', 'noteSnapshots', 'chooseKnownSavepoint'],
                description:
                  "J.Stopping.K5 the job's own savepoint is within maxCheckpointAge and newer than any checkpoint: restart from it",
              },
              {
                guard: 'checkpointYoungEnough',
                target: 'RecordingRestore',
                actions: ['recordTime', 'noteSnapshots', 'chooseCheckpoint'],
                description:
                  'J.Stopping.K1 Flink (or the watch before) names a checkpoint within maxCheckpointAge: restart from it',
              },
              {
                target: 'Idle',
                actions: ['recordTime', 'noteSnapshots', 'stopAndAsk'],
                description:
                  'J.Stopping.K2 no checkpoint within maxCheckpointAge: stop and ask (condition and Event), never start empty',
              },
            ],
            onError: [
              {
                guard: 'rereading',
                target: 'Done',
                description: 'J.Stopping.K8 the re-read after the job ended got no answer: the choice stands',
              },
              {
                guard: 'savepointYoungEnough',
                target: 'RecordingRestore',
                actions: 'chooseKnownSavepoint',
                description:
                  "J.Stopping.K6 unreachable: the job's own savepoint, if within maxCheckpointAge and newer than the recorded checkpoint",
              },
              {
                guard: 'checkpointYoungEnough',
                target: 'RecordingRestore',
                actions: 'chooseCheckpoint',
                description:
                  'J.Stopping.K3 the JobManager is unreachable or gone: the checkpoint recorded in status, if within maxCheckpointAge',
              },
              {
                target: 'Idle',
                actions: 'stopAndAsk',
                description:
                  'J.Stopping.K4 unreachable and no recorded checkpoint within maxCheckpointAge: stop and ask',
              },
            ],
          },
        },
        RecordingRestore: {
          description: 'Write-ahead: the chosen checkpoint is persisted before the job is cancelled.',
          meta: { resumeAs: 'job.Stopping.Idle' },
          invoke: {
            ...writeAhead(RESUME_STOPPING, 'Idle', { target: 'Idle', actions: 'unchooseCheckpoint' }),
            // A choice made once the job ended is final: on to where the stop goes.
            onDone: [
              { guard: 'checkpointConfirmed', target: 'Done', actions: 'recordTime' },
              { target: 'Idle', actions: 'recordTime' },
            ],
          },
        },
        FinishingSavepoint: {
          description: 'A periodic or manual savepoint was in flight: await it before stopping.',
          invoke: [
            {
              id: 'awaitSavepoint',
              src: 'awaitSavepoint',
              input: awaitTriggerInput((context) => context.savepoint?.triggerId),
              onDone: [
                {
                  guard: 'savepointCompleted',
                  target: 'Idle',
                  actions: ['recordTime', { type: 'recordSavepoint', params: { of: 'savepoint' } }],
                  description: 'J.Stopping.F1 the savepoint completed: remember it, then stop',
                },
                {
                  target: 'Idle',
                  actions: [
                    'recordTime',
                    { type: 'abandonSavepoint', params: { why: 'it did not complete' } },
                  ],
                  description: 'J.Stopping.F2 the savepoint failed or is unknown: abandon it, then stop',
                },
              ],
              onError: {
                target: 'Idle',
                description:
                  'J.Stopping.F4 its status could not be read: keep it in flight; the next observation polls again until its deadline',
              },
            },
            waiter({
              id: 'savepointTimeout',
              deadline: (context) => context.savepoint?.deadline ?? context.now,
              target: 'Idle',
              then: { type: 'abandonSavepoint', params: { why: 'timed out' } },
              description: 'J.Stopping.F3 the savepoint in flight timed out: abandon it, then stop',
            }),
          ],
        },
        SavepointStop: {
          description:
            'Stop-with-savepoint (drain per drainOnStop), trigger id recorded first; bounded by taskTimeout.',
          entry: 'beginSavepointStop',
          initial: 'Recording',
          invoke: {
            id: 'savepointStopTimeout',
            src: 'waitUntil',
            input: ({ context }) => ({ deadline: context.stop?.savepointDeadline ?? context.now }),
            onDone: [
              {
                guard: 'checkpointChoicePending',
                target: 'Idle',
                actions: ['recordTime', { type: 'abandonSavepointStop', params: { why: 'timed out' } }],
                description:
                  'J.Stopping.T3 an upgrade stop-with-savepoint timed out: choose a checkpoint before cancelling (its outcome stays unread)',
              },
              {
                target: 'Cancelling',
                actions: ['recordTime', { type: 'abandonSavepointStop', params: { why: 'timed out' } }],
                description:
                  'J.Stopping.T1 (§14.20) stop-with-savepoint timed out: fall back to cancel, say so',
              },
            ],
          },
          states: {
            Recording: {
              description: 'Write-ahead: the stop trigger id is persisted before it is sent.',
              meta: { resumeAs: 'job.Stopping.SavepointStop.Awaiting' },
              invoke: writeAhead(RESUME_SAVEPOINT_STOP, 'Requesting', { target: '#job.Stopping.Idle' }),
            },
            Requesting: {
              description: 'POST /jobs/:id/stop with the recorded trigger id.',
              meta: { resumeAs: 'job.Stopping.SavepointStop.Awaiting' },
              invoke: {
                id: 'stopWithSavepoint',
                src: 'stopWithSavepoint',
                input: ({ context }) => ({
                  jobId: context.jobId ?? '',
                  triggerId: context.stop?.triggerId ?? '',
                  targetDirectory: context.policy.savepointTargetPath,
                  drain: context.policy.drainOnStop ?? false,
                }),
                onDone: { target: 'Awaiting', actions: 'recordTime' },
                onError: {
                  target: '#job.Stopping.Idle',
                  description:
                    'J.Stopping.R1 the request failed: retry on the next observation until the deadline',
                },
              },
            },
            Awaiting: {
              description: 'Polling the stop trigger id.',
              invoke: {
                id: 'awaitSavepoint',
                src: 'awaitSavepoint',
                input: awaitTriggerInput((context) => context.stop?.triggerId),
                onDone: [
                  {
                    guard: 'savepointCompleted',
                    target: '#job.Stopping.Done',
                    actions: ['recordTime', { type: 'recordSavepoint', params: { of: 'stop' } }],
                    description: 'J.Stopping.S1 stopped with a savepoint: remember its path',
                  },
                  {
                    guard: 'triggerUnknown',
                    target: 'Requesting',
                    actions: 'recordTime',
                    description: 'J.Stopping.S2 Flink never saw the stop trigger: send it, same id',
                  },
                  {
                    guard: 'checkpointChoicePending',
                    target: '#job.Stopping.Idle',
                    actions: ['recordTime', { type: 'abandonSavepointStop', params: { why: 'failed' } }],
                    description:
                      'J.Stopping.S5 an upgrade stop-with-savepoint failed: choose a checkpoint before cancelling',
                  },
                  {
                    target: '#job.Stopping.Cancelling',
                    actions: ['recordTime', { type: 'abandonSavepointStop', params: { why: 'failed' } }],
                    description:
                      'J.Stopping.S3 (§5.7) stop-with-savepoint failed: fall back to cancel, say so',
                  },
                ],
                onError: {
                  target: '#job.Stopping.Idle',
                  description: 'J.Stopping.S4 its status could not be read: retry until the deadline',
                },
              },
            },
          },
        },
        Cancelling: {
          description: 'Plain cancel (PATCH /jobs/:id?mode=cancel); given up after taskTimeout.',
          entry: 'beginCancel',
          initial: 'Requesting',
          invoke: waiter({
            id: 'cancelTimeout',
            deadline: (context) => context.stop?.cancelDeadline ?? context.now,
            target: 'Done',
            then: 'giveUpCancel',
            description: 'J.Stopping.T2 (§5.7) cancel not confirmed within taskTimeout: give up, say so',
          }),
          states: {
            Requesting: {
              description: 'Sending the cancel request.',
              meta: { resumeAs: 'job.Stopping.Cancelling.Awaiting' },
              invoke: {
                id: 'cancelJob',
                src: 'cancelJob',
                input: ({ context }) => ({ jobId: context.jobId ?? '' }),
                onDone: { target: 'Awaiting', actions: 'recordTime' },
                onError: {
                  target: '#job.Stopping.Idle',
                  description: 'J.Stopping.C1 the cancel request failed: retry until the deadline',
                },
              },
            },
            Awaiting: { description: 'Waiting for Flink to report the job gone.' },
          },
        },
        Done: {
          description: 'The Flink job is stopped: decide where to go.',
          always: [
            {
              guard: 'checkpointChoicePending',
              target: 'ChoosingCheckpoint',
              actions: ['markSavepointLost', 'confirmCheckpointChoice'],
              description:
                'J.Stopping.D0 an upgrade stopped without a savepoint (job gone, savepoint lost or unread): choose a checkpoint first',
            },
            {
              guard: 'checkpointRefreshDue',
              target: 'ChoosingCheckpoint',
              actions: 'confirmCheckpointChoice',
              description:
                'J.Stopping.D4 the job ended after a checkpoint was chosen: choose again, the newest Flink retained at the cancel (the chosen one may be subsumed and deleted since)',
            },
            ...stopOutcomeRows('job', {
              terminated: 'J.Stopping.D1 (§5.4 Stopping 5) deleting: Terminated',
              restarted: 'J.Stopping.D2 (§5.4 Stopping 5) restart requested: Starting',
              stopped: 'J.Stopping.D3 (§5.4 Stopping 5) otherwise: Stopped',
            }),
          ],
        },
      },
    },
    Stopped: {
      description: 'No Flink job runs; restart policy, cluster resume and START decide what comes next.',
      entry: 'enterStopped',
      initial: 'Idle',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'J.Stopped.P1 (ADR 0019) START or STOP while paused: rejected (TRIGGER_SAVEPOINT is still taken)',
        ),
        {
          guard: 'pendingStart',
          target: 'Starting',
          actions: ['restoreChosenAfterAsk', 'clearSavepointIfRequested', 'acceptAction'],
          description:
            'J.Stopped.A1 (§5.4 Stopped 8) START: start (withoutSavepoint: forget the savepoint first; after a stop-and-ask, spec initialSavepointPath if set)',
        },
        {
          guard: 'pendingStop',
          target: '.Idle',
          actions: ['makeStopDurable', 'acceptAction'],
          description: 'J.Stopped.A2 STOP on a stopped job: it stays stopped, whatever the restart policy',
        },
        {
          guard: 'pendingForgetSavepoint',
          actions: ['forgetSavepoint', 'acceptAction'],
          description: 'J.Stopped.A3 FORGET_SAVEPOINT: the next start is stateless',
        },
        rejectRequest(
          'anyPendingAction',
          'the job is not running',
          'J.Stopped.A4 (§4) TRIGGER_SAVEPOINT without a running job: rejected',
        ),
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'J.Stopped.0 stale or repeated observation: ignored' },
          stopWhenObserved(
            'deletionRequested',
            { reason: 'Deleted', restart: false },
            'J.Stopped.1 (§5.4 Stopped 1) deleted: clean up, then terminate',
          ),
          {
            guard: 'clusterTerminated',
            actions: 'recordObservation',
            description: 'J.Stopped.2 (§5.4 Stopped 2) the cluster is terminated: stay',
          },
          {
            guard: and([not('inStoppedDeletingBootstrap'), 'bootstrapPresent', not('paused')]),
            target: '.DeletingBootstrap',
            actions: 'recordObservation',
            description: 'J.Stopped.3 (§5.4 Stopped 3) delete a leftover bootstrap Job',
          },
          {
            guard: 'bootstrapPresent',
            actions: 'recordObservation',
            description: 'J.Stopped.4 wait until the bootstrap Job is gone',
          },
          {
            guard: and(['upgradeEndedUnhealthy', 'rollbackWanted', not('paused')]),
            target: 'Starting',
            actions: ['recordObservation', 'beginRollback'],
            description:
              'J.Stopped.5 the upgraded job failed, was lost, or did not start within healthCheckWindow, rollback on: resubmit the last stable spec from the snapshot taken before the upgrade',
          },
          {
            guard: and(['upgradeEndedUnhealthy', not('paused')]),
            target: '.Idle',
            actions: ['recordObservation', 'failUpgrade'],
            description:
              'J.Stopped.6 the same without rollback: say so and stay stopped; no restart by policy with the spec that failed',
          },
          {
            guard: and(['failedUpgradeReplaced', not('paused')]),
            target: 'Starting',
            actions: ['recordObservation', 'verifyReplacedSpec'],
            description:
              'J.Stopped.7 stopped by a failed upgrade, and the spec changed again: start the new spec (gated)',
          },
          {
            guard: and(['resumeAfterCluster', not('paused')]),
            target: 'Starting',
            actions: ['recordObservation', 'clearSavepointIfClusterStartedWithout', 'resumeFromLastState'],
            description:
              'J.Stopped.8 (§5.4 Stopped 4, §14.6) stopped by its cluster, which is back: resume, any policy (last-state: from the newest recorded checkpoint within maxCheckpointAge when it is newer than the savepoint)',
          },
          {
            guard: and(['resumeAfterSuspension', not('paused')]),
            target: 'Starting',
            actions: 'recordObservation',
            description: 'J.Stopped.9 suspended by parallelism 0, now > 0: start',
          },
          {
            guard: and(['restartDue', not('paused')]),
            target: 'Starting',
            actions: ['recordObservation', 'noteRestartByPolicy'],
            description:
              'J.Stopped.10 (§5.4 Stopped 13, §5.5) restartDelay elapsed and the policy allows it: restart (without savepoint when its cluster was started without savepoint since the job ran)',
          },
          {
            guard: and([not('inRestartPending'), 'restartAllowedNow']),
            target: '.RestartPending',
            actions: 'recordObservation',
            description:
              'J.Stopped.11 (§5.5) the policy allows a restart: await restartDelay (from entering Stopped)',
          },
          {
            guard: and(['inRestartPending', not('restartAllowedNow')]),
            target: '.Idle',
            actions: 'recordObservation',
            description:
              'J.Stopped.12 (§5.4 Stopped 5, 6, 11) policy changed or cluster unhealthy: no restart for now',
          },
          { actions: 'recordObservation', description: 'J.Stopped.13 otherwise: stay stopped' },
        ],
      },
      states: {
        Idle: { description: 'Stopped; nothing scheduled.' },
        DeletingBootstrap: {
          description: 'Deleting a leftover bootstrap Job.',
          meta: { resumeAs: 'job.Stopped.Idle' },
          invoke: deleteBootstrap('Idle'),
        },
        RestartPending: {
          description: 'The restart policy will restart the job at restartAt.',
          invoke: guardedWaiter({
            id: 'restartDelay',
            deadline: (context) => context.deadlines.restartAt,
            target: '#job.Starting',
            then: 'noteRestartByPolicy',
            guard: 'notPaused',
            description:
              'J.Stopped.T1 (§5.5) restartDelay elapsed: restart (paused: lapses; J.Stopped.10 takes it once resumed)',
          }),
        },
      },
    },
    Terminated: {
      description: 'Final: the FlinkJob can be released (finalizer removed by the supervisor).',
      entry: 'enterTerminated',
      type: 'final',
    },
  },
});
