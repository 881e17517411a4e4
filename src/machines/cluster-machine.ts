// The FlinkCluster state machine: JobManager, its Service, TaskManagers, health and rescaling.
//
// Same conventions as job-machine.ts: pure, OBSERVED rows ordered per state (docs/rules.md
// §5.3, numbered in the descriptions), requested actions accepted or rejected by eventless rows,
// effects as invoked actors with explicit ids, durable waits as deadlines awaited by `waitUntil`.
import { and, assign, not, or, setup, stateIn } from 'xstate';
import { compareDisruptions, isTerminalFlinkState } from './observations.ts';
import type {
  ClusterEvent,
  ClusterObservation,
  ClusterObservedEvent,
  JobManagerLeader,
  PodDisruption,
} from './observations.ts';
import {
  DEFAULT_CLUSTER_POLICY,
  desiredTaskManagers,
  highAvailability,
  jobManagerReplicas,
  seconds,
} from './policies.ts';
import type { ClusterPolicy } from './policies.ts';
import { notProvided } from './ports.ts';
import type {
  CancelFlinkJobsInput,
  DeleteClusterResourcesInput,
  EffectOutput,
  EnsureJobManagerInput,
  EnsureJobManagerServiceInput,
  RemoveHighAvailabilityConfigMapsInput,
  RemoveHighAvailabilityConfigMapsOutput,
  ScaleTaskManagersInput,
  ScaleTaskManagersOutput,
  StartStorageCleanupInput,
  WaitUntilInput,
} from './ports.ts';
import {
  acceptedUpdate,
  errorMessage,
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

export interface ClusterMachineInput {
  /** metadata.uid of the FlinkCluster. */
  readonly uid: string;
  /** Creation time (epoch ms). */
  readonly at: number;
  readonly policy?: ClusterPolicy;
}

export type ClusterStopReason =
  | 'Manual'
  | 'Deleted'
  | 'SpecChanged'
  | 'JobManagerLost'
  | 'JobManagerDrained'
  | 'Unhealthy'
  | 'StartTimedOut'
  | 'RestartRequested';

export interface ClusterStopIntent {
  readonly reason: ClusterStopReason;
  /** Go to Starting once stopped. */
  readonly restart: boolean;
  /** The FlinkCluster is being deleted: go to Terminated once stopped. */
  readonly delete: boolean;
  /** Jobs stop without savepoint (STOP/START requested without savepoint; this stop only). */
  readonly withoutSavepoint: boolean;
  /** Proceed even if jobs have not stopped by then (3 × taskTimeout from entering Stopping). */
  readonly jobsDeadline: number | null;
}

export interface ClusterDeadlines {
  /** Starting: restart when not Started by then (taskTimeout from entering Starting). */
  readonly startTimeoutAt: number | null;
  /** Started.Unreachable: restart when REST still fails then (taskTimeout from the first failure). */
  readonly unhealthyAt: number | null;
  /** Remove idle surplus TaskManagers from then on (rescaleDelay from the first surplus seen). */
  readonly scaleDownAt: number | null;
}

/** How the storage part of a deletion's cleanup stands (status.cleanup.storage). */
export type StorageCleanupOutcome = 'Skipped' | 'Pending' | 'Running' | 'Removed' | 'Failed' | 'TimedOut';

/**
 * What a deletion removes once Flink is gone (docs/adr/0012-auto-clean.md): Flink's HA ConfigMaps
 * always, the storage directories with autoClean; bounded by `deadline`, then the deletion goes on.
 */
export interface ClusterCleanup {
  /** taskTimeout from the start of the cleanup. */
  readonly deadline: number;
  readonly configMaps: 'Pending' | 'Removed' | 'Failed';
  /** HA ConfigMaps deleted (0 until they were). */
  readonly configMapsRemoved: number;
  readonly storage: StorageCleanupOutcome;
}

/** Also the fields of SharedContext: pendingAction, lastAction, notice, now, lastObservedAt. */
export interface ClusterContext extends SharedContext {
  readonly uid: string;
  /** Start counter: increments on every entry to Starting; pods are named after it. */
  readonly epoch: number;
  /** specDigest of runtime/jobManager/taskManager the current epoch was started with. */
  readonly specDigest: string | null;
  readonly taskSlots: number;
  /** Desired TaskManagers from the last observation (status.taskManagers, scale subresource). */
  readonly desiredTaskManagers: number;
  /** The current epoch was started by START without savepoint (jobs resume stateless). */
  readonly startWithoutSavepoint: boolean;
  readonly stop: ClusterStopIntent | null;
  readonly stopReason: ClusterStopReason | null;
  readonly enteredAt: number;
  readonly deadlines: ClusterDeadlines;
  readonly unreachableSince: number | null;
  readonly lastRescaleAt: number | null;
  /**
   * HA: the JobManager last seen holding Flink's leadership in this epoch (null before one was
   * seen, and at every new epoch), and how many times leadership moved within an epoch.
   */
  readonly jobManagerLeader: string | null;
  /** The lock identity of that leader (JobManagerLeader.id): what a failover changes. */
  readonly jobManagerLeaderId: string | null;
  readonly jobManagerFailovers: number;
  readonly lastFailoverAt: number | null;
  /**
   * The newest disruption of one of the cluster's pods recorded (evicted, node drained or gone:
   * ADR 0021), and how many were recorded; disruptions at or before it are not said again.
   */
  readonly lastDisruption: PodDisruption | null;
  readonly podDisruptions: number;
  /** While a deletion cleans up after Flink (null before, and outside deletions). */
  readonly cleanup: ClusterCleanup | null;
  readonly policy: ClusterPolicy;
  /** Last observation; not persisted. */
  readonly observed: ClusterObservation | null;
}

const NO_DEADLINES: ClusterDeadlines = { startTimeoutAt: null, unhealthyAt: null, scaleDownAt: null };

export function initialClusterContext(input: ClusterMachineInput): ClusterContext {
  const policy = input.policy ?? DEFAULT_CLUSTER_POLICY;
  return {
    uid: input.uid,
    epoch: 0,
    specDigest: null,
    taskSlots: policy.taskSlots,
    desiredTaskManagers: 0,
    startWithoutSavepoint: false,
    stop: null,
    stopReason: null,
    enteredAt: input.at,
    deadlines: NO_DEADLINES,
    unreachableSince: null,
    lastRescaleAt: null,
    jobManagerLeader: null,
    jobManagerLeaderId: null,
    jobManagerFailovers: 0,
    lastFailoverAt: null,
    lastDisruption: null,
    podDisruptions: 0,
    cleanup: null,
    ...initialSharedContext(input.at),
    policy,
    observed: null,
  };
}

/**
 * The cluster's deadlines and time stamps moved back by a wall-clock step (clockStepBack): a start
 * timeout, an unhealthy bound or a scale-down delay set while the clock ran ahead passes when it
 * should, not the size of the step later.
 */
function clusterTimesRebased(context: ClusterContext, step: number): Partial<ClusterContext> {
  const d = context.deadlines;
  return {
    deadlines: {
      startTimeoutAt: rebased(d.startTimeoutAt, step),
      unhealthyAt: rebased(d.unhealthyAt, step),
      scaleDownAt: rebased(d.scaleDownAt, step),
    },
    enteredAt: rebased(context.enteredAt, step),
    unreachableSince: rebased(context.unreachableSince, step),
    lastRescaleAt: rebased(context.lastRescaleAt, step),
    stop:
      context.stop === null
        ? null
        : { ...context.stop, jobsDeadline: rebased(context.stop.jobsDeadline, step) },
    cleanup:
      context.cleanup === null
        ? null
        : { ...context.cleanup, deadline: rebased(context.cleanup.deadline, step) },
  };
}

function observedEvent(event: MachineEvent): ClusterObservedEvent | null {
  return asObservedEvent<ClusterObservedEvent>(event);
}

/** Guard over an OBSERVED event; false for any other event. */
function onObserved(check: (event: ClusterObservedEvent, context: ClusterContext) => boolean) {
  return onObservedEvent(check);
}

/** Flink jobs that must be cancelled: running (not ended, not already cancelling) and not in `keep`. */
export function flinkJobsToCancel(observation: ClusterObservation, keep: ReadonlySet<string>): string[] {
  if (!observation.flink.reachable) return [];
  return observation.flink.jobs
    .filter((job) => !isTerminalFlinkState(job.state) && job.state !== 'CANCELLING' && !keep.has(job.id))
    .map((job) => job.id);
}

function flinkJobsStillRunning(observation: ClusterObservation): boolean {
  return (
    observation.flink.reachable && observation.flink.jobs.some((job) => !isTerminalFlinkState(job.state))
  );
}

function managedJobIds(observation: ClusterObservation): Set<string> {
  return new Set(observation.jobs.flatMap((job) => (job.jobId === null ? [] : [job.jobId])));
}

const ACTIVE_JOB_STATES = new Set(['Starting', 'Started', 'Stopping']);

/** The leader the observation names, when HA reports one (null: none known now). */
function observedLeader(observation: ClusterObservation): JobManagerLeader | null {
  return observation.jobManager.leader ?? null;
}

/** How status and Events name a leader: its pod, else its lock identity. */
function leaderName(leader: JobManagerLeader | null): string | null {
  return leader === null ? null : (leader.pod ?? leader.id);
}

/**
 * Without HA the cluster runs exactly one JobManager pod: none, or more than one, is a lost
 * JobManager (§5.3 Started 2). With HA the standbys exist to outlive the leader: only none at all
 * (or more than asked for) restarts the cluster; a missing standby is recreated (ADR 0011).
 */
function jobManagerLost(observation: ClusterObservation, policy: ClusterPolicy): boolean {
  const pods = observation.jobManager.pods;
  if (!observation.jobManagerService) return true;
  return highAvailability(policy) ? pods === 0 || pods > jobManagerReplicas(policy) : pods !== 1;
}

/**
 * Without HA, the only JobManager is being drained while Flink still answers through it (ADR 0021):
 * its preStop hook holds the JVM while a job runs, so the jobs can stop with savepoints first.
 */
function jobManagerDraining(observation: ClusterObservation, policy: ClusterPolicy): boolean {
  return (
    !highAvailability(policy) &&
    observation.jobManager.draining === true &&
    observation.jobManager.pods === 0 &&
    observation.jobManagerService &&
    observation.flink.reachable
  );
}

/**
 * The leader an observation records without a failover: the first one seen in the epoch, or the
 * same process again, whose pod may only now be known (Flink publishes its addresses after it won
 * the lock). A different process is a failover, which only the leaderChanged row records.
 */
function leaderUpdate(
  context: ClusterContext,
  leader: JobManagerLeader | null,
): Pick<ClusterContext, 'jobManagerLeader' | 'jobManagerLeaderId'> | Record<string, never> {
  if (leader === null) return {};
  if (context.jobManagerLeaderId !== null && context.jobManagerLeaderId !== leader.id) return {};
  return { jobManagerLeader: leaderName(leader), jobManagerLeaderId: leader.id };
}

/** The oldest disruption the observation reports that is newer than the last one recorded. */
function nextDisruption(observation: ClusterObservation, last: PodDisruption | null): PodDisruption | null {
  const newer = (observation.disruptions ?? []).filter(
    (d) => last === null || compareDisruptions(d, last) > 0,
  );
  return [...newer].sort(compareDisruptions)[0] ?? null;
}

/** Kubernetes' reasons of a `DisruptionTarget` condition, as status and Events say them. */
const DISRUPTION_CAUSES: Record<string, string> = {
  EvictionByEvictionAPI: 'was evicted through the eviction API (a node drain or an autoscaler scale-down)',
  DeletionByTaintManager:
    'was deleted by the taint manager (its node is tainted NoExecute: not ready, unreachable or being removed)',
  DeletionByPodGC: 'was deleted by the pod garbage collector (its node is gone)',
  PreemptionByScheduler: 'was preempted by the scheduler for a pod of higher priority',
  TerminationByKubelet: 'was terminated by the kubelet (node pressure or a node shutdown)',
};

/** What happens next, by the pod's role and the cluster's HA. */
function disruptionOutcome(disruption: PodDisruption, policy: ClusterPolicy): string {
  if (disruption.role === 'taskmanager')
    return 'the supervisor replaces it; Flink restarts the affected tasks by the job restart strategy';
  if (highAvailability(policy))
    return 'a standby JobManager takes over the jobs; the supervisor replaces the pod';
  // An eviction deletes the pod gracefully: its preStop hook holds the JVM for the savepoints.
  return disruption.reason === 'EvictionByEvictionAPI'
    ? 'without HA the jobs stop with savepoints while its preStop hook holds the JobManager (within taskTimeout), then the cluster restarts and they resume from them'
    : 'without HA the cluster restarts; its jobs resume from their latest savepoint or checkpoint by their policy';
}

/** What status and the Event say about a disruption. */
export function disruptionMessage(disruption: PodDisruption, policy: ClusterPolicy): string {
  const role = disruption.role === 'taskmanager' ? 'TaskManager' : 'JobManager';
  const cause = DISRUPTION_CAUSES[disruption.reason] ?? `was disrupted (${disruption.reason})`;
  const detail = disruption.message === '' ? '' : ` (${disruption.message})`;
  return `${role} pod ${disruption.pod} ${cause}${detail}: ${disruptionOutcome(disruption, policy)}`;
}

function resourcesPresent(observation: ClusterObservation): boolean {
  return (
    observation.jobManager.pods > 0 || observation.jobManagerService || observation.taskManagers.pods > 0
  );
}

const STOP_MESSAGES: Record<ClusterStopReason, string> = {
  Manual: 'STOP requested: stopping the jobs, then removing JobManager and TaskManagers',
  Deleted: 'the FlinkCluster is being deleted: stopping the jobs (with savepoints), then removing everything',
  SpecChanged: 'runtime, jobManager or taskManager changed: restarting the cluster',
  JobManagerLost: 'the JobManager pod or its Service is missing or duplicated: restarting the cluster',
  JobManagerDrained:
    'the only JobManager pod is being drained (evicted): stopping the jobs (with savepoints) while Flink still answers, then restarting the cluster',
  Unhealthy: 'the Flink REST API did not answer within taskTimeout: restarting the cluster',
  StartTimedOut: 'the cluster did not start within taskTimeout: restarting it',
  RestartRequested: 'START requested: restarting the cluster',
};

const { effect, waiter, guardedWaiter } = blocksFor<ClusterContext>();

/** Scale TaskManagers towards the desired count: create missing pods, or remove idle surplus. */
function scaleTaskManagers(id: 'addTaskManagers' | 'removeTaskManagers', removeIdleSurplus: boolean) {
  return effect({
    id,
    src: 'scaleTaskManagers',
    input: (context) => ({
      epoch: context.epoch,
      taskSlots: context.taskSlots,
      desired: context.desiredTaskManagers,
      removeIdleSurplus,
    }),
    target: 'Idle',
  });
}

/** The storage outcomes of a cleanup that has ended. */
const STORAGE_CLEANUP_ENDED = new Set<StorageCleanupOutcome>(['Skipped', 'Removed', 'Failed', 'TimedOut']);

/** Delete every pod and the Service of the cluster, then observe again from `target`. */
function deleteClusterResources(target: string) {
  return effect({
    id: 'deleteClusterResources',
    src: 'deleteClusterResources',
    input: (context) => ({ epoch: context.epoch }),
    target,
  });
}

export const clusterMachine = setup({
  types: {} as {
    context: ClusterContext;
    events: ClusterEvent;
    input: ClusterMachineInput;
  },
  actors: {
    waitUntil: notProvided<EffectOutput, WaitUntilInput>('waitUntil'),
    ensureJobManager: notProvided<EffectOutput, EnsureJobManagerInput>('ensureJobManager'),
    ensureJobManagerService: notProvided<EffectOutput, EnsureJobManagerServiceInput>(
      'ensureJobManagerService',
    ),
    cancelFlinkJobs: notProvided<EffectOutput, CancelFlinkJobsInput>('cancelFlinkJobs'),
    scaleTaskManagers: notProvided<ScaleTaskManagersOutput, ScaleTaskManagersInput>('scaleTaskManagers'),
    deleteClusterResources: notProvided<EffectOutput, DeleteClusterResourcesInput>('deleteClusterResources'),
    removeHighAvailabilityConfigMaps: notProvided<
      RemoveHighAvailabilityConfigMapsOutput,
      RemoveHighAvailabilityConfigMapsInput
    >('removeHighAvailabilityConfigMaps'),
    startStorageCleanup: notProvided<EffectOutput, StartStorageCleanupInput>('startStorageCleanup'),
  },
  guards: {
    staleObservation: onObserved(isStaleObservation),
    // Reconciliation paused (ADR 0019): every row that acts is guarded by not('paused').
    paused: isPaused,
    notPaused: (args) => !isPaused(args),
    deletionRequested: onObserved(isDeletionObserved),
    notYetDeleting,
    specChanged: onObserved((e, c) => c.specDigest !== null && e.observation.specDigest !== c.specDigest),
    startTimedOut: onObserved((e, c) => passed(c.deadlines.startTimeoutAt, e.at)),
    jobManagerMissing: onObserved((e) => e.observation.jobManager.pods < jobManagerReplicas(e.policy)),
    serviceMissing: onObserved((e) => !e.observation.jobManagerService),
    jobManagerNotReady: onObserved(
      (e) =>
        e.observation.jobManager.pods !== jobManagerReplicas(e.policy) || !e.observation.jobManager.ready,
    ),
    restUnreachable: onObserved((e) => !e.observation.flink.reachable),
    anyFlinkJobToCancel: onObserved((e) => flinkJobsToCancel(e.observation, new Set()).length > 0),
    flinkJobsStillRunning: onObserved((e) => flinkJobsStillRunning(e.observation)),
    jobManagerLost: onObserved((e) => jobManagerLost(e.observation, e.policy)),
    jobManagerDraining: onObserved((e) => jobManagerDraining(e.observation, e.policy)),
    standbyMissing: onObserved(
      (e) =>
        highAvailability(e.policy) &&
        e.observation.jobManager.pods > 0 &&
        e.observation.jobManager.pods < jobManagerReplicas(e.policy),
    ),
    leaderChanged: onObserved((e, c) => {
      const leader = observedLeader(e.observation);
      return (
        highAvailability(e.policy) &&
        leader !== null &&
        c.jobManagerLeaderId !== null &&
        leader.id !== c.jobManagerLeaderId
      );
    }),
    podDisrupted: onObserved((e, c) => nextDisruption(e.observation, c.lastDisruption) !== null),
    unhealthyDeadlinePassed: onObserved((e, c) => passed(c.deadlines.unhealthyAt, e.at)),
    taskManagersMissing: onObserved(
      (e) => e.observation.taskManagers.pods < desiredTaskManagers(e.policy, e.observation.jobs),
    ),
    taskManagersSurplus: onObserved(
      (e) => e.observation.taskManagers.pods > desiredTaskManagers(e.policy, e.observation.jobs),
    ),
    scaleDownDue: onObserved((e, c) => passed(c.deadlines.scaleDownAt, e.at)),
    unmanagedFlinkJobs: onObserved(
      (e) => flinkJobsToCancel(e.observation, managedJobIds(e.observation)).length > 0,
    ),
    jobsActive: onObserved((e) => e.observation.jobs.some((job) => ACTIVE_JOB_STATES.has(job.state))),
    jobsStopDeadlinePassed: onObserved((e, c) => passed(c.stop?.jobsDeadline, e.at)),
    resourcesPresent: onObserved((e) => resourcesPresent(e.observation)),
    runningClusterFound: onObserved(
      (e) =>
        e.observation.jobManager.pods === jobManagerReplicas(e.policy) &&
        e.observation.jobManager.ready &&
        e.observation.jobManagerService &&
        e.observation.flink.reachable,
    ),
    inStartingIdle: stateIn('#cluster.Starting.Idle'),
    inUnreachable: stateIn('#cluster.Started.Unreachable'),
    inScaleDownPending: stateIn('#cluster.Started.ScaleDownPending'),
    startedBusy: or([
      stateIn('#cluster.Started.RestoringJobManagers'),
      stateIn('#cluster.Started.AddingTaskManagers'),
      stateIn('#cluster.Started.RemovingTaskManagers'),
      stateIn('#cluster.Started.CancellingJobs'),
    ]),
    inWaitingForJobs: stateIn('#cluster.Stopping.WaitingForJobs'),
    inStoppingDeletingResources: stateIn('#cluster.Stopping.DeletingResources'),
    inStoppedDeletingResources: stateIn('#cluster.Stopped.DeletingResources'),
    inCleaning: stateIn('#cluster.Stopping.Cleaning'),
    cleanupEffectRunning: or([
      stateIn('#cluster.Stopping.RemovingHighAvailability'),
      stateIn('#cluster.Stopping.StartingStorageCleanup'),
    ]),
    cleanupNotBegun: ({ context }) => context.cleanup === null,
    configMapsPending: ({ context }) => context.cleanup?.configMaps === 'Pending',
    storageCleanupDue: ({ context }) => context.cleanup?.storage === 'Pending',
    storageCleanupRunning: ({ context }) => context.cleanup?.storage === 'Running',
    storageCleanupSucceeded: onObserved(
      (e, c) => c.cleanup?.storage === 'Running' && e.observation.storageCleanup === 'succeeded',
    ),
    storageCleanupFailed: onObserved(
      (e, c) => c.cleanup?.storage === 'Running' && e.observation.storageCleanup === 'failed',
    ),
    cleanupDeadlinePassed: onObserved((e, c) => passed(c.cleanup?.deadline, e.at)),
    pendingStart: pendingIs('START'),
    pendingStop: pendingIs('STOP'),
    anyPendingAction,
    stopDeletes,
    stopRestarts,
  },
  actions: {
    recordObservation: assign(({ context, event }) => {
      const observed = observedEvent(event);
      if (observed === null) return {};
      const step = clockStepBack(context, observed);
      return {
        ...observationUpdate(context, observed),
        ...(step > 0 ? clusterTimesRebased(context, step) : {}),
        // The first leader seen in an epoch is where the epoch starts from; a later change is a
        // failover, which only the leaderChanged row records.
        ...leaderUpdate(context, observedLeader(observed.observation)),
        specDigest: context.specDigest ?? (context.epoch > 0 ? observed.observation.specDigest : null),
        desiredTaskManagers: desiredTaskManagers(observed.policy, observed.observation.jobs),
      };
    }),
    recordTime: assign(({ context, event }) => timeUpdate(context, event)),
    recordPendingAction: assign(({ context, event }) => pendingActionUpdate(context, event)),
    acceptAction: assign(({ context }) => acceptedUpdate(context)),
    rejectAction: assign(({ context }, params: { reason: string }) => rejectedUpdate(context, params.reason)),
    beginStop: assign(({ context }, params: { reason: ClusterStopReason; restart: boolean }) => {
      const manual = params.reason === 'Manual' || params.reason === 'RestartRequested';
      return {
        stop: {
          reason: params.reason,
          restart: params.restart,
          delete: params.reason === 'Deleted',
          withoutSavepoint: manual ? (context.pendingAction?.withoutSavepoint ?? false) : false,
          jobsDeadline: null,
        },
        notice: notice(params.reason, STOP_MESSAGES[params.reason], context.now),
      };
    }),
    markDeleting: assign(({ context }) => deletingUpdate(context, STOP_MESSAGES.Deleted)),
    restopManually: assign(({ context }) => ({
      stop: context.stop === null ? null : { ...context.stop, restart: false, reason: 'Manual' as const },
    })),
    restartAfterStop: assign(({ context }) => ({
      stop:
        context.stop === null
          ? null
          : {
              ...context.stop,
              restart: true,
              reason: 'RestartRequested' as const,
              withoutSavepoint:
                context.stop.withoutSavepoint || (context.pendingAction?.withoutSavepoint ?? false),
            },
    })),
    recordFailover: assign(({ context }) => {
      const leader = context.observed === null ? null : observedLeader(context.observed);
      const to = leaderName(leader);
      return {
        jobManagerLeader: to,
        jobManagerLeaderId: leader?.id ?? null,
        jobManagerFailovers: context.jobManagerFailovers + 1,
        lastFailoverAt: context.now,
        notice: notice(
          'JobManagerFailover',
          `JobManager leadership moved from ${context.jobManagerLeader ?? 'none'} to ${to ?? 'none'} (epoch ${context.epoch}): Flink recovers the running jobs with the same job ids; nothing is cancelled or resubmitted`,
          context.now,
        ),
      };
    }),
    recordDisruption: assign(({ context, event }) => {
      const observed = observedEvent(event);
      const disruption = observed && nextDisruption(observed.observation, context.lastDisruption);
      if (!observed || !disruption) return {};
      const reason = disruption.role === 'taskmanager' ? 'TaskManagerDisrupted' : 'JobManagerDisrupted';
      return {
        lastDisruption: disruption,
        podDisruptions: context.podDisruptions + 1,
        notice: notice(reason, disruptionMessage(disruption, observed.policy), context.now),
      };
    }),
    enterStarting: assign(({ context }) => ({
      jobManagerLeader: null,
      jobManagerLeaderId: null,
      epoch: context.epoch + 1,
      enteredAt: context.now,
      specDigest: context.observed?.specDigest ?? null,
      taskSlots: context.policy.taskSlots,
      stop: null,
      stopReason: null,
      unreachableSince: null,
      deadlines: {
        ...NO_DEADLINES,
        startTimeoutAt: context.now + seconds(context.policy.taskTimeoutSeconds),
      },
    })),
    enterStarted: assign(({ context }) => ({ enteredAt: context.now, deadlines: NO_DEADLINES })),
    noteStarted: assign(({ context }) => ({
      notice: notice('Started', `the cluster is Started (epoch ${context.epoch})`, context.now),
    })),
    adoptCluster: assign(({ context }) => ({
      epoch: Math.max(1, context.epoch),
      specDigest: context.observed?.specDigest ?? null,
      taskSlots: context.policy.taskSlots,
      notice: notice(
        'Adopted',
        'a running JobManager and its Service were found: adopted without restarting the cluster',
        context.now,
      ),
    })),
    enterUnreachable: assign(({ context }) => ({
      unreachableSince: context.now,
      deadlines: {
        ...context.deadlines,
        unhealthyAt: context.now + seconds(context.policy.taskTimeoutSeconds),
      },
      notice: notice(
        'RestUnreachable',
        `the Flink REST API does not answer; the cluster restarts if it still does not in ${context.policy.taskTimeoutSeconds}s`,
        context.now,
      ),
    })),
    leaveUnreachable: assign(({ context }) => ({
      unreachableSince: null,
      deadlines: { ...context.deadlines, unhealthyAt: null },
    })),
    armScaleDown: assign(({ context }) => ({
      deadlines: {
        ...context.deadlines,
        scaleDownAt:
          context.deadlines.scaleDownAt ?? context.now + seconds(context.policy.rescaleDelaySeconds),
      },
    })),
    disarmScaleDown: assign(({ context }) => ({ deadlines: { ...context.deadlines, scaleDownAt: null } })),
    recordRescale: assign(({ context }) => ({
      lastRescaleAt: context.now,
      deadlines: { ...context.deadlines, scaleDownAt: null },
    })),
    enterStopping: assign(({ context }) => ({
      enteredAt: context.now,
      deadlines: NO_DEADLINES,
      unreachableSince: null,
      stop:
        context.stop === null
          ? null
          : { ...context.stop, jobsDeadline: context.now + 3 * seconds(context.policy.taskTimeoutSeconds) },
    })),
    noteJobsDidNotStop: assign(({ context }) => ({
      notice: notice(
        'JobsDidNotStop',
        `jobs did not stop within 3 × taskTimeout (${3 * context.policy.taskTimeoutSeconds}s): removing the cluster anyway`,
        context.now,
      ),
    })),
    finishStop: assign(({ context }) => ({
      stopReason: context.stop?.reason ?? context.stopReason,
      startWithoutSavepoint: context.stop?.restart === true && context.stop.withoutSavepoint,
    })),
    beginCleanup: assign(({ context }) => ({
      cleanup: {
        deadline: context.now + seconds(context.policy.taskTimeoutSeconds),
        configMaps: 'Pending' as const,
        configMapsRemoved: 0,
        storage: context.policy.autoClean === true ? ('Pending' as const) : ('Skipped' as const),
      },
    })),
    recordConfigMapsRemoved: assign(({ context, event }) => {
      const removed = outputOf<RemoveHighAvailabilityConfigMapsOutput>(event)?.removed ?? 0;
      return {
        cleanup: context.cleanup && {
          ...context.cleanup,
          configMaps: 'Removed' as const,
          configMapsRemoved: removed,
        },
        notice: notice('HighAvailabilityCleaned', `removed ${removed} HA ConfigMaps of Flink`, context.now),
      };
    }),
    recordConfigMapsFailed: assign(({ context, event }) => ({
      cleanup: context.cleanup && { ...context.cleanup, configMaps: 'Failed' as const },
      notice: notice(
        'HighAvailabilityCleanupFailed',
        `Flink's HA ConfigMaps could not be removed (a new cluster of this name would recover their jobs): ${errorMessage(event)}`,
        context.now,
      ),
    })),
    markStorageCleanupRunning: assign(({ context }) => ({
      cleanup: context.cleanup && { ...context.cleanup, storage: 'Running' as const },
    })),
    recordStorageRemoved: assign(({ context }) => ({
      cleanup: context.cleanup && { ...context.cleanup, storage: 'Removed' as const },
      notice: notice(
        'StorageCleaned',
        'autoClean: the HA and checkpoint directories were removed',
        context.now,
      ),
    })),
    recordStorageFailed: assign(({ context }) => ({
      cleanup: context.cleanup && { ...context.cleanup, storage: 'Failed' as const },
      notice: notice(
        'StorageCleanupFailed',
        "autoClean: the storage-cleanup Job failed (see its pods' logs); the HA and checkpoint directories may remain: deleting the cluster anyway",
        context.now,
      ),
    })),
    noteCleanupTimedOut: assign(({ context }) => ({
      cleanup: context.cleanup && {
        ...context.cleanup,
        storage: STORAGE_CLEANUP_ENDED.has(context.cleanup.storage)
          ? context.cleanup.storage
          : ('TimedOut' as const),
      },
      notice: notice(
        'CleanupTimedOut',
        `the cleanup did not finish within taskTimeout (${context.policy.taskTimeoutSeconds}s): deleting the cluster anyway; the storage directories may remain`,
        context.now,
      ),
    })),
    enterStopped: assign(({ context }) => ({
      enteredAt: context.now,
      deadlines: NO_DEADLINES,
      stop: null,
      startWithoutSavepoint: false,
    })),
  },
}).createMachine({
  id: 'cluster',
  description: 'One FlinkCluster: JobManager, Service, TaskManagers, health and rescaling.',
  initial: 'Unknown',
  context: ({ input }) => initialClusterContext(input),
  on: {
    ACTION_REQUESTED: requestRows({
      ignored: 'C.Any.0 a request already seen (same or older requestedAt) is ignored',
      remembered: 'C.Any.1 (§4) remember the request until a state accepts or rejects it',
    }),
  },
  states: {
    Unknown: {
      description: 'Not initialised yet: waits for the first observation.',
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'C.Unknown.0 stale or repeated observation: ignored' },
          {
            guard: 'deletionRequested',
            target: 'Terminated',
            actions: 'recordObservation',
            description: 'C.Unknown.1 (§5.3 Unknown 1) deleted before it ever ran: terminate',
          },
          {
            guard: 'runningClusterFound',
            target: 'Started',
            actions: ['recordObservation', 'adoptCluster'],
            description: 'C.Unknown.2 a reset machine finds a running JobManager and Service: adopt them',
          },
          {
            guard: not('paused'),
            target: 'Starting',
            actions: 'recordObservation',
            description: 'C.Unknown.3 (§5.3 Unknown 2) initialise and start; not while paused (ADR 0019)',
          },
          {
            actions: 'recordObservation',
            description:
              'C.Unknown.4 (ADR 0019) paused before it ever ran: observed (the status says paused), nothing created',
          },
        ],
      },
    },
    Starting: {
      description: 'Creating the JobManager and its Service; the fresh cluster must run no job.',
      entry: 'enterStarting',
      initial: 'Idle',
      invoke: guardedWaiter({
        id: 'startTimeout',
        deadline: (context) => context.deadlines.startTimeoutAt,
        target: 'Stopping',
        then: beginStop({ reason: 'StartTimedOut', restart: true }),
        guard: 'notPaused',
        description:
          'C.Starting.T1 not Started within taskTimeout: restart, say so (paused: lapses; C.Starting.3 takes it once resumed)',
      }),
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'C.Starting.P1 (ADR 0019) START or STOP while paused: rejected',
        ),
        stopOnRequest(
          'pendingStop',
          { reason: 'Manual', restart: false },
          'C.Starting.A1 (§5.3 Starting 3) STOP: stop',
        ),
        rejectRequest(
          'anyPendingAction',
          'the cluster is starting',
          'C.Starting.A2 (§4) other actions are rejected while starting',
        ),
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'C.Starting.0 stale or repeated observation: ignored' },
          stopWhenObserved(
            'deletionRequested',
            { reason: 'Deleted', restart: false },
            'C.Starting.1 (§5.3 Starting 1) deleted: stop, then terminate',
          ),
          stopWhenObserved(
            and([not('paused'), 'specChanged']),
            { reason: 'SpecChanged', restart: true },
            'C.Starting.2 (§5.3 Starting 2) spec changed: restart',
          ),
          stopWhenObserved(
            and([not('paused'), 'startTimedOut']),
            { reason: 'StartTimedOut', restart: true },
            'C.Starting.3 not Started within taskTimeout (from entering Starting): restart, say so',
          ),
          {
            guard: and(['inStartingIdle', 'jobManagerMissing', not('paused')]),
            target: '.CreatingJobManager',
            actions: 'recordObservation',
            description: 'C.Starting.4 (§5.3 Starting 5) no JobManager pod: create it',
          },
          {
            guard: and(['inStartingIdle', 'serviceMissing', not('paused')]),
            target: '.CreatingService',
            actions: 'recordObservation',
            description: 'C.Starting.5 (§5.3 Starting 6) no JobManager Service: create it',
          },
          {
            guard: 'jobManagerNotReady',
            actions: 'recordObservation',
            description: 'C.Starting.6 (§5.3 Starting 5) wait for exactly one ready JobManager pod',
          },
          {
            guard: 'restUnreachable',
            actions: 'recordObservation',
            description: 'C.Starting.7 (§5.3 Starting 7) wait until the Flink REST API answers',
          },
          {
            guard: and(['inStartingIdle', 'anyFlinkJobToCancel', not('paused')]),
            target: '.CancellingJobs',
            actions: 'recordObservation',
            description: 'C.Starting.8 (§5.3 Starting 8) the fresh JobManager runs jobs: cancel all of them',
          },
          {
            guard: 'flinkJobsStillRunning',
            actions: 'recordObservation',
            description: 'C.Starting.9 (§5.3 Starting 8) wait until no job runs',
          },
          {
            target: 'Started',
            actions: ['recordObservation', 'noteStarted'],
            description:
              'C.Starting.10 (§5.3 Starting 9) JobManager, Service and REST ready, no job: Started',
          },
        ],
      },
      states: {
        Idle: { description: 'Waiting for the next observation to decide.' },
        CreatingJobManager: {
          description: 'Creating the JobManager pod of this epoch.',
          meta: { resumeAs: 'cluster.Starting.Idle' },
          invoke: effect({
            id: 'ensureJobManager',
            src: 'ensureJobManager',
            input: (context) => ({ epoch: context.epoch, taskSlots: context.taskSlots }),
            target: 'Idle',
          }),
        },
        CreatingService: {
          description: 'Creating the JobManager Service.',
          meta: { resumeAs: 'cluster.Starting.Idle' },
          invoke: effect({
            id: 'ensureJobManagerService',
            src: 'ensureJobManagerService',
            input: (context) => ({ epoch: context.epoch }),
            target: 'Idle',
          }),
        },
        CancellingJobs: {
          description: 'Cancelling every job the fresh JobManager runs.',
          meta: { resumeAs: 'cluster.Starting.Idle' },
          invoke: effect({
            id: 'cancelFlinkJobs',
            src: 'cancelFlinkJobs',
            input: (context) => ({
              jobIds: context.observed === null ? [] : flinkJobsToCancel(context.observed, new Set()),
            }),
            target: 'Idle',
          }),
        },
      },
    },
    Started: {
      description: 'Running: health, TaskManager count and unmanaged jobs are watched.',
      entry: 'enterStarted',
      initial: 'Idle',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'C.Started.P1 (ADR 0019) START or STOP while paused: rejected',
        ),
        stopOnRequest(
          'pendingStart',
          { reason: 'RestartRequested', restart: true },
          'C.Started.A1 (§5.3 Started 4) START: restart the cluster',
        ),
        stopOnRequest(
          'pendingStop',
          { reason: 'Manual', restart: false },
          'C.Started.A2 (§5.3 Started 4) STOP: stop the cluster',
        ),
        rejectRequest(
          'anyPendingAction',
          'not an action of a FlinkCluster',
          'C.Started.A3 (§4) savepoint actions do not apply to a cluster',
        ),
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'C.Started.0 stale or repeated observation: ignored' },
          stopWhenObserved(
            'deletionRequested',
            { reason: 'Deleted', restart: false },
            'C.Started.1 (§5.3 Started 1) deleted: stop the jobs (with savepoints), terminate',
          ),
          {
            guard: 'podDisrupted',
            actions: ['recordObservation', 'recordDisruption'],
            description:
              'C.Started.2 (ADR 0021) Kubernetes is taking a pod away (evicted, node drained or gone): record which and why, say it once; the next observation replaces it',
          },
          stopWhenObserved(
            and([not('paused'), 'jobManagerDraining']),
            { reason: 'JobManagerDrained', restart: true },
            'C.Started.3 (ADR 0021) the only JobManager (no HA) is being drained and Flink still answers through it: stop the jobs (with savepoints) while its preStop hook holds the JVM, then restart',
          ),
          stopWhenObserved(
            and([not('paused'), 'jobManagerLost']),
            { reason: 'JobManagerLost', restart: true },
            'C.Started.4 (§5.3 Started 2) JobManager pod or Service missing or duplicated: restart',
          ),
          stopWhenObserved(
            and([not('paused'), 'specChanged']),
            { reason: 'SpecChanged', restart: true },
            'C.Started.5 (§5.3 Started 3) spec changed: restart',
          ),
          stopWhenObserved(
            and(['restUnreachable', 'unhealthyDeadlinePassed', not('paused')]),
            { reason: 'Unhealthy', restart: true },
            'C.Started.6 (§5.3 Started 5) REST unreachable for taskTimeout (from the first failure): restart',
          ),
          {
            guard: and(['restUnreachable', not('inUnreachable')]),
            target: '.Unreachable',
            actions: 'recordObservation',
            description: 'C.Started.7 (§5.3 Started 5) REST stopped answering: start the health timeout',
          },
          {
            guard: 'restUnreachable',
            actions: 'recordObservation',
            description: 'C.Started.8 still unreachable: wait (no scaling without the REST API)',
          },
          {
            guard: and([not('startedBusy'), 'taskManagersMissing', not('paused')]),
            target: '.AddingTaskManagers',
            actions: ['recordObservation', 'recordRescale'],
            description:
              'C.Started.9 (§5.3 Started 7, 8; §5.6) fewer TaskManager pods than desired: create them now',
          },
          {
            guard: and([not('startedBusy'), 'taskManagersSurplus', 'scaleDownDue', not('paused')]),
            target: '.RemovingTaskManagers',
            actions: ['recordObservation', 'recordRescale'],
            description:
              'C.Started.10 (§5.3 Started 8; §5.6) surplus for rescaleDelay: remove idle TaskManagers',
          },
          {
            guard: and([not('startedBusy'), 'taskManagersSurplus', not('inScaleDownPending')]),
            target: '.ScaleDownPending',
            actions: 'recordObservation',
            description: 'C.Started.11 (§5.6) more TaskManagers than desired: wait rescaleDelay from now',
          },
          {
            guard: and([not('startedBusy'), 'unmanagedFlinkJobs', not('paused')]),
            target: '.CancellingJobs',
            actions: 'recordObservation',
            description: 'C.Started.12 (§5.3 Started 10) Flink runs a job no FlinkJob owns: cancel it',
          },
          {
            guard: 'inUnreachable',
            target: '.Idle',
            actions: 'recordObservation',
            description: 'C.Started.13 the REST API answers again: healthy',
          },
          {
            guard: and(['inScaleDownPending', not('taskManagersSurplus')]),
            target: '.Idle',
            actions: ['recordObservation', 'disarmScaleDown'],
            description: 'C.Started.14 (§5.6) the surplus is gone before rescaleDelay: keep the TaskManagers',
          },
          {
            guard: 'leaderChanged',
            actions: ['recordObservation', 'recordFailover'],
            description:
              'C.Started.15 (HA, ADR 0011) another JobManager leads in the same epoch: a failover; Flink recovers the jobs, record it',
          },
          {
            guard: and([not('startedBusy'), 'standbyMissing', not('paused')]),
            target: '.RestoringJobManagers',
            actions: 'recordObservation',
            description:
              'C.Started.16 (HA, ADR 0011) fewer JobManager pods than replicas but one left: recreate the standbys',
          },
          { actions: 'recordObservation', description: 'C.Started.17 otherwise: steady' },
        ],
      },
      states: {
        Idle: { description: 'Healthy and converged (or converging through observation).' },
        Unreachable: {
          description: 'The REST API does not answer; restart at unhealthyAt unless it recovers.',
          entry: 'enterUnreachable',
          exit: 'leaveUnreachable',
          invoke: guardedWaiter({
            id: 'unhealthyTimeout',
            deadline: (context) => context.deadlines.unhealthyAt,
            target: '#cluster.Stopping',
            then: beginStop({ reason: 'Unhealthy', restart: true }),
            guard: 'notPaused',
            description:
              'C.Started.T1 (§5.3 Started 5) still unreachable at unhealthyAt: restart, say so (paused: lapses; C.Started.6 takes it once resumed)',
          }),
        },
        ScaleDownPending: {
          description: 'More TaskManagers than desired: idle ones go at scaleDownAt.',
          entry: 'armScaleDown',
          invoke: guardedWaiter({
            id: 'rescaleDelay',
            deadline: (context) => context.deadlines.scaleDownAt,
            target: 'RemovingTaskManagers',
            then: 'recordRescale',
            guard: 'notPaused',
            description:
              'C.Started.T2 (§5.6) rescaleDelay elapsed: remove idle TaskManagers (paused: lapses; C.Started.10 takes it once resumed)',
          }),
        },
        RestoringJobManagers: {
          description: 'HA: creating the missing standby JobManager pods of this epoch.',
          meta: { resumeAs: 'cluster.Started.Idle' },
          invoke: effect({
            id: 'ensureJobManager',
            src: 'ensureJobManager',
            input: (context) => ({ epoch: context.epoch, taskSlots: context.taskSlots }),
            target: 'Idle',
          }),
        },
        AddingTaskManagers: {
          description: 'Creating the missing TaskManager pods.',
          meta: { resumeAs: 'cluster.Started.Idle' },
          invoke: scaleTaskManagers('addTaskManagers', false),
        },
        RemovingTaskManagers: {
          description: 'Deleting surplus TaskManager pods that are idle (busy ones stay).',
          meta: { resumeAs: 'cluster.Started.Idle' },
          invoke: scaleTaskManagers('removeTaskManagers', true),
        },
        CancellingJobs: {
          description: 'Cancelling Flink jobs that no FlinkJob owns.',
          meta: { resumeAs: 'cluster.Started.Idle' },
          invoke: effect({
            id: 'cancelFlinkJobs',
            src: 'cancelFlinkJobs',
            input: (context) => ({
              jobIds:
                context.observed === null
                  ? []
                  : flinkJobsToCancel(context.observed, managedJobIds(context.observed)),
            }),
            target: 'Idle',
          }),
        },
      },
    },
    Stopping: {
      description: 'Waiting for the jobs to stop (bounded), then removing pods and Service.',
      entry: 'enterStopping',
      initial: 'WaitingForJobs',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'C.Stopping.P1 (ADR 0019) START or STOP while paused: rejected',
        ),
        {
          guard: and(['pendingStop', 'notYetDeleting']),
          actions: ['restopManually', 'acceptAction'],
          description: 'C.Stopping.A1 STOP while stopping: do not restart afterwards',
        },
        {
          guard: and(['pendingStart', 'notYetDeleting']),
          actions: ['restartAfterStop', 'acceptAction'],
          description: 'C.Stopping.A2 (§5.3 Stopping 6) START while stopping: start again once stopped',
        },
        rejectRequest(
          'anyPendingAction',
          'the cluster is being deleted or this is not a cluster action',
          'C.Stopping.A3 (§4) other actions, or any action while deleting: rejected',
        ),
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'C.Stopping.0 stale or repeated observation: ignored' },
          {
            guard: and(['deletionRequested', 'notYetDeleting']),
            actions: ['recordObservation', 'markDeleting'],
            description: 'C.Stopping.1 deleted while stopping: terminate once stopped, no restart',
          },
          {
            guard: and(['inWaitingForJobs', 'jobsActive', 'jobsStopDeadlinePassed']),
            target: '.Removing',
            actions: ['recordObservation', 'noteJobsDidNotStop'],
            description:
              'C.Stopping.2 (§14.20) jobs still not stopped after 3 × taskTimeout: proceed, say so',
          },
          {
            guard: and(['inWaitingForJobs', 'jobsActive']),
            actions: 'recordObservation',
            description: 'C.Stopping.3 (§5.3 Stopping 1) wait until every job is Stopped or Terminated',
          },
          {
            guard: and([not('inStoppingDeletingResources'), 'resourcesPresent']),
            target: '.DeletingResources',
            actions: 'recordObservation',
            description: 'C.Stopping.4 (§5.3 Stopping 3) delete TaskManagers, JobManager and Service',
          },
          {
            guard: 'resourcesPresent',
            actions: 'recordObservation',
            description: 'C.Stopping.5 (§5.3 Stopping 3) wait until they are gone',
          },
          {
            guard: and(['stopDeletes', 'cleanupNotBegun']),
            target: '.RemovingHighAvailability',
            actions: ['recordObservation', 'beginCleanup'],
            description:
              "C.Stopping.6 (ADR 0012) deleting and Flink is gone: remove Flink's HA ConfigMaps, then (autoClean) the storage directories, within taskTimeout",
          },
          {
            guard: 'cleanupEffectRunning',
            actions: 'recordObservation',
            description: 'C.Stopping.7 (ADR 0012) a cleanup step is running: wait for it',
          },
          {
            guard: and(['inCleaning', 'storageCleanupSucceeded']),
            target: '.Done',
            actions: ['recordObservation', 'recordStorageRemoved'],
            description: 'C.Stopping.8 (ADR 0012) the storage-cleanup Job succeeded: record it, decide',
          },
          {
            guard: and(['inCleaning', 'storageCleanupFailed']),
            target: '.Done',
            actions: ['recordObservation', 'recordStorageFailed'],
            description:
              'C.Stopping.9 (ADR 0012) the storage-cleanup Job failed (its retries spent): say so, decide anyway',
          },
          {
            guard: and(['inCleaning', 'cleanupDeadlinePassed']),
            target: '.Done',
            actions: ['recordObservation', 'noteCleanupTimedOut'],
            description: 'C.Stopping.10 (ADR 0012) the cleanup outlived taskTimeout: say so, decide anyway',
          },
          {
            guard: and(['inCleaning', 'configMapsPending']),
            target: '.RemovingHighAvailability',
            actions: 'recordObservation',
            description:
              'C.Stopping.11 (ADR 0012) the HA ConfigMaps are not removed yet (after a restore): remove them',
          },
          {
            guard: and(['inCleaning', 'storageCleanupDue']),
            target: '.StartingStorageCleanup',
            actions: 'recordObservation',
            description: 'C.Stopping.12 (ADR 0012) autoClean: create the storage-cleanup Job',
          },
          {
            guard: and(['inCleaning', 'storageCleanupRunning']),
            actions: 'recordObservation',
            description: 'C.Stopping.13 (ADR 0012) the storage-cleanup Job runs: wait for it',
          },
          {
            target: '.Done',
            actions: 'recordObservation',
            description:
              'C.Stopping.14 (§5.3 Stopping 4, 5, 7) everything is gone (and cleaned up when deleting): decide',
          },
        ],
      },
      states: {
        WaitingForJobs: {
          description: 'Jobs are stopping (their savepoints first); bounded by 3 × taskTimeout.',
          invoke: waiter({
            id: 'jobsStopTimeout',
            deadline: (context) => context.stop?.jobsDeadline ?? null,
            target: 'Removing',
            then: 'noteJobsDidNotStop',
            description: 'C.Stopping.T1 (§14.20) jobs did not stop in time: proceed, say so',
          }),
        },
        Removing: { description: 'Jobs are stopped: removing the cluster resources.' },
        DeletingResources: {
          description: 'Deleting pods and Service (idempotent; repeated while they exist).',
          meta: { resumeAs: 'cluster.Stopping.Removing' },
          invoke: deleteClusterResources('Removing'),
        },
        RemovingHighAvailability: {
          description: "Deleting: removing Flink's HA ConfigMaps of the cluster (idempotent).",
          meta: { resumeAs: 'cluster.Stopping.Cleaning' },
          invoke: {
            id: 'removeHighAvailabilityConfigMaps',
            src: 'removeHighAvailabilityConfigMaps',
            input: ({ context }) => ({ epoch: context.epoch }),
            onDone: { target: 'Cleaning', actions: ['recordTime', 'recordConfigMapsRemoved'] },
            onError: { target: 'Cleaning', actions: 'recordConfigMapsFailed' },
          },
        },
        Cleaning: {
          description: 'Deleting: cleaning up after Flink, bounded by taskTimeout.',
          invoke: waiter({
            id: 'cleanupTimeout',
            deadline: (context) => context.cleanup?.deadline ?? null,
            target: 'Done',
            then: 'noteCleanupTimedOut',
            description: 'C.Stopping.T2 (ADR 0012) the cleanup outlived taskTimeout: say so, decide anyway',
          }),
        },
        StartingStorageCleanup: {
          description: 'Deleting with autoClean: creating the storage-cleanup Job (409 = done).',
          meta: { resumeAs: 'cluster.Stopping.Cleaning' },
          invoke: {
            id: 'startStorageCleanup',
            src: 'startStorageCleanup',
            input: ({ context }) => ({ epoch: context.epoch }),
            onDone: { target: 'Cleaning', actions: ['recordTime', 'markStorageCleanupRunning'] },
            onError: { target: 'Cleaning' },
          },
        },
        Done: {
          description: 'Everything is gone: decide where to go.',
          always: stopOutcomeRows('cluster', {
            terminated: 'C.Stopping.D1 (§5.3 Stopping 4) deleting: Terminated',
            restarted: 'C.Stopping.D2 (§5.3 Stopping 5) restart: Starting (next epoch)',
            stopped: 'C.Stopping.D3 (§5.3 Stopping 7) otherwise: Stopped',
          }),
        },
      },
    },
    Stopped: {
      description: 'No JobManager, no TaskManager; START restarts it.',
      entry: 'enterStopped',
      initial: 'Idle',
      always: [
        rejectRequest(
          and(['paused', or(['pendingStart', 'pendingStop'])]),
          PAUSED_REASON,
          'C.Stopped.P1 (ADR 0019) START or STOP while paused: rejected',
        ),
        stopOnRequest(
          'pendingStart',
          { reason: 'RestartRequested', restart: true },
          'C.Stopped.A1 (§5.3 Stopped 2) START: clean up, then start',
        ),
        rejectRequest(
          'anyPendingAction',
          'the cluster is stopped',
          'C.Stopped.A2 (§4) other actions are rejected while stopped',
        ),
      ],
      on: {
        OBSERVED: [
          { guard: 'staleObservation', description: 'C.Stopped.0 stale or repeated observation: ignored' },
          stopWhenObserved(
            'deletionRequested',
            { reason: 'Deleted', restart: false },
            'C.Stopped.1 (§5.3 Stopped 1) deleted: terminate',
          ),
          {
            guard: and([not('inStoppedDeletingResources'), 'resourcesPresent', not('paused')]),
            target: '.DeletingResources',
            actions: 'recordObservation',
            description: 'C.Stopped.2 (§5.3 Stopped 3) leftover pods or Service: delete them',
          },
          { actions: 'recordObservation', description: 'C.Stopped.3 otherwise: stay stopped' },
        ],
      },
      states: {
        Idle: { description: 'Stopped.' },
        DeletingResources: {
          description: 'Deleting leftover pods or Service.',
          meta: { resumeAs: 'cluster.Stopped.Idle' },
          invoke: deleteClusterResources('Idle'),
        },
      },
    },
    Terminated: {
      description: 'Final: the FlinkCluster can be released once no job holds it.',
      type: 'final',
    },
  },
});
