// What the supervisor reads out of the machines: the cluster as its jobs see it, each job as its
// cluster sees it, and the status fields both show (supervisorStatus, clusterHealth, resourceStatus).
// All pure functions of a snapshot ({ value, context }), live or restored.
import { matchesState } from 'xstate';
import type { StateValue } from 'xstate';
import type { ClusterContext } from './cluster-machine.ts';
import type { JobContext } from './job-machine.ts';
import type { ClusterView, JobSummary, LifecycleState } from './observations.ts';
import { effectiveParallelism, highAvailability, requiredSlots } from './policies.ts';

export interface MachineState<TContext> {
  readonly value: StateValue;
  readonly context: TContext;
}

const LIFECYCLE_STATES: readonly LifecycleState[] = [
  'Unknown',
  'Starting',
  'Started',
  'Stopping',
  'Stopped',
  'Terminated',
];

/** The top-level state (status.supervisorStatus). */
export function lifecycleState(value: StateValue): LifecycleState {
  const top = typeof value === 'string' ? value : (Object.keys(value)[0] ?? 'Unknown');
  return (LIFECYCLE_STATES as readonly string[]).includes(top) ? (top as LifecycleState) : 'Unknown';
}

/** The cluster as each job machine receives it in its OBSERVED events. */
export function clusterView(cluster: MachineState<ClusterContext>): ClusterView {
  const state = lifecycleState(cluster.value);
  const { context } = cluster;
  const observed = context.observed;
  const healthy =
    state === 'Started' &&
    !matchesState({ Started: 'Unreachable' }, cluster.value) &&
    observed?.flink.reachable === true;
  const ready =
    healthy &&
    observed !== null &&
    observed.flink.reachable &&
    observed.taskManagers.ready >= context.desiredTaskManagers &&
    observed.flink.slotsTotal >= requiredSlots(observed.jobs);
  return {
    state,
    healthy,
    ready,
    epoch: context.epoch,
    stopWithoutSavepoint: state === 'Stopping' && context.stop?.withoutSavepoint === true,
    startWithoutSavepoint: context.startWithoutSavepoint,
    highAvailability: highAvailability(context.policy),
    jobManagerGone:
      !highAvailability(context.policy) &&
      observed !== null &&
      observed.jobManager.pods === 0 &&
      !observed.flink.reachable,
  };
}

/** One job as the cluster machine receives it in its OBSERVED events. */
export function jobSummary(name: string, job: MachineState<JobContext>): JobSummary {
  const state = lifecycleState(job.value);
  const parallelism =
    state === 'Starting'
      ? effectiveParallelism(job.context.policy)
      : state === 'Stopped'
        ? 0
        : // A rescale in place holds the slots of the larger parallelism until it is done: the
          // TaskManagers a scale-up needs are added first, a scale-down frees them once Flink runs smaller.
          Math.max(job.context.parallelism, job.context.rescale?.to ?? 0);
  return { name, state, parallelism, jobId: job.context.jobId };
}

/** status.clusterHealth: HEALTHY while Started and answering, UNHEALTHY while not, else "". */
export function clusterHealth(cluster: MachineState<ClusterContext>): '' | 'HEALTHY' | 'UNHEALTHY' {
  const state = lifecycleState(cluster.value);
  if (state === 'Started') {
    return matchesState({ Started: 'Unreachable' }, cluster.value) ? 'UNHEALTHY' : 'HEALTHY';
  }
  if (state === 'Stopping' && cluster.context.stop?.reason === 'Unhealthy') return 'UNHEALTHY';
  return '';
}

export type ResourceStatus = 'Unknown' | 'Updating' | 'Updated';

/**
 * status.resourceStatus of a cluster: Updated when converged (Started with the desired TaskManagers
 * ready and enough slots, or Stopped with nothing left, or Terminated), Updating otherwise.
 */
export function clusterResourceStatus(cluster: MachineState<ClusterContext>): ResourceStatus {
  const state = lifecycleState(cluster.value);
  const observed = cluster.context.observed;
  if (state === 'Unknown') return 'Unknown';
  if (state === 'Terminated') return 'Updated';
  if (observed === null) return 'Updating';
  if (matchesState({ Started: 'Idle' }, cluster.value)) {
    const converged =
      observed.taskManagers.pods === cluster.context.desiredTaskManagers &&
      observed.taskManagers.ready === cluster.context.desiredTaskManagers &&
      observed.flink.reachable &&
      observed.flink.slotsTotal >= requiredSlots(observed.jobs);
    return converged ? 'Updated' : 'Updating';
  }
  if (matchesState({ Stopped: 'Idle' }, cluster.value)) {
    const empty =
      observed.jobManager.pods === 0 && !observed.jobManagerService && observed.taskManagers.pods === 0;
    return empty ? 'Updated' : 'Updating';
  }
  return 'Updating';
}

/** status.resourceStatus of a job: Updated when nothing is in flight. */
export function jobResourceStatus(job: MachineState<JobContext>): ResourceStatus {
  const state = lifecycleState(job.value);
  if (state === 'Unknown') return 'Unknown';
  if (state === 'Terminated') return 'Updated';
  if (matchesState({ Started: 'Running' }, job.value)) return 'Updated';
  if (
    matchesState({ Stopped: 'Idle' }, job.value) ||
    matchesState({ Stopped: 'RestartPending' }, job.value)
  ) {
    return 'Updated';
  }
  return 'Updating';
}
