// Graph tests with xstate/graph: every state is reachable from the initial state, and from every
// state some path leads to Stopped or Terminated. Effects are represented by synthetic
// xstate.done.actor.<id> / xstate.error.actor.<id> events for the children a state has invoked.
import { getStateNodes } from 'xstate';
import type { AnyStateMachine, StateValue } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import type { ClusterContext } from '../../../src/machines/cluster-machine.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import type { JobContext } from '../../../src/machines/job-machine.ts';
import type {
  ClusterObservation,
  JobObservation,
  RequestedActionName,
} from '../../../src/machines/observations.ts';
import type { ClusterPolicy, JobPolicy } from '../../../src/machines/policies.ts';
import { T0, UID, SEED, clusterObserved, clusterView, jobObserved, requested } from './support.ts';

type Snapshot = { value: StateValue; context: unknown; children: Record<string, { src?: unknown }> };

const LATE = 10_000_000_000; // beyond every deadline
const ACTIONS: RequestedActionName[] = ['START', 'STOP', 'TRIGGER_SAVEPOINT', 'FORGET_SAVEPOINT'];

function effectEvents(snapshot: Snapshot): unknown[] {
  return Object.keys(snapshot.children).flatMap((id) => {
    const outputs =
      id === 'awaitSavepoint'
        ? [
            { status: 'COMPLETED', location: 's3://savepoints/g' },
            { status: 'UNKNOWN_TRIGGER' },
            { status: 'FAILED', reason: 'x' },
          ]
        : id === 'readSnapshots'
          ? [
              { checkpoint: null, savepoint: null },
              {
                checkpoint: {
                  path: 's3://checkpoints/g',
                  completedAt: (snapshot.context as { now: number }).now,
                },
                savepoint: {
                  path: 's3://savepoints/read',
                  completedAt: (snapshot.context as { now: number }).now,
                },
              },
            ]
          : id === 'rescaleInPlace'
            ? [{ applied: true }, { applied: false, reason: 'x' }]
            : [{ at: (snapshot.context as { now: number }).now + LATE }];
    return [
      ...outputs.map((output) => ({ type: `xstate.done.actor.${id}`, output })),
      { type: `xstate.error.actor.${id}`, error: new Error('x') },
    ];
  });
}

function actionEvents(now: number): unknown[] {
  return ACTIONS.flatMap((action) => [requested(action, now + 1), requested(action, now + 1, true)]);
}

function jobEvents(snapshot: Snapshot): unknown[] {
  const context = snapshot.context as JobContext;
  const ours = context.jobId;
  const observations: Partial<JobObservation>[] = [
    {},
    { flinkJob: 'NOT_FOUND' },
    { flinkJob: 'RUNNING' },
    { flinkJob: 'FAILED' },
    { flinkJob: 'FINISHED' },
    { flinkJob: 'UNREACHABLE' },
    { bootstrap: 'active', bootstrapJobId: ours, flinkJob: 'NOT_FOUND' },
    { bootstrap: 'failed', bootstrapJobId: ours, flinkJob: 'NOT_FOUND' },
    { bootstrap: 'succeeded', bootstrapJobId: 'stale' },
    { cluster: clusterView({ state: 'Starting', healthy: false, ready: false }) },
    { cluster: clusterView({ state: 'Stopping', healthy: false, ready: false }), flinkJob: 'RUNNING' },
    { cluster: clusterView({ state: 'Stopped', healthy: false, ready: false }) },
    { cluster: clusterView({ state: 'Terminated', healthy: false, ready: false }) },
    { cluster: clusterView({ ready: false }) },
    { cluster: clusterView({ epoch: 2 }), flinkJob: 'NOT_FOUND' },
    { deletionRequested: true, flinkJob: 'RUNNING' },
    { deletionRequested: true },
    { specDigest: 'bootstrap-2', flinkJob: 'RUNNING' },
  ];
  const policies: Partial<JobPolicy>[] = [
    { restartPolicy: 'Always' },
    { jobParallelism: 0 },
    { jobParallelism: 4 },
    { savepointMode: 'Manual' },
    { upgradeMode: 'last-state' },
    { upgradeMode: 'stateless' },
    // ADR 0017: a new parallelism in place through the adaptive scheduler.
    { jobParallelism: 4, adaptiveScheduler: true },
  ];
  const events: unknown[] = [];
  for (const at of [context.now + 1000, context.now + LATE]) {
    for (const observation of observations) events.push(jobObserved(at, observation));
    for (const policy of policies) events.push(jobObserved(at, { flinkJob: 'RUNNING' }, policy));
  }
  return [...events, ...actionEvents(context.now), ...effectEvents(snapshot)];
}

function clusterEvents(snapshot: Snapshot): unknown[] {
  const context = snapshot.context as ClusterContext;
  const empty: Partial<ClusterObservation> = {
    jobManager: { pods: 0, ready: false },
    jobManagerService: false,
    taskManagers: { pods: 0, ready: 0 },
    flink: { reachable: false },
    jobs: [{ name: 'a', state: 'Stopped', parallelism: 0, jobId: null }],
  };
  const observations: Partial<ClusterObservation>[] = [
    {},
    empty,
    { ...empty, deletionRequested: true },
    { deletionRequested: true },
    { jobManagerService: false },
    { jobManager: { pods: 1, ready: false } },
    { flink: { reachable: false } },
    { flink: { reachable: true, slotsTotal: 2, jobs: [{ id: 'rogue', state: 'RUNNING' }] } },
    { flink: { reachable: true, slotsTotal: 2, jobs: [{ id: 'rogue', state: 'CANCELLING' }] } },
    { taskManagers: { pods: 0, ready: 0 } },
    { taskManagers: { pods: 4, ready: 4 } },
    { specDigest: 'cluster-2' },
    { jobs: [{ name: 'a', state: 'Stopped', parallelism: 0, jobId: null }] },
    // ADR 0012: the storage-cleanup Job of a deletion ends.
    { ...empty, deletionRequested: true, storageCleanup: 'succeeded' },
    { ...empty, deletionRequested: true, storageCleanup: 'failed' },
  ];
  const policies: Partial<ClusterPolicy>[] = [
    { rescalePolicy: 'None', taskManagers: 3 },
    // HA with one of two JobManager pods left (the default observation has one).
    { jobManagerReplicas: 2 },
  ];
  const events: unknown[] = [];
  for (const at of [context.now + 1000, context.now + LATE]) {
    for (const observation of observations) events.push(clusterObserved(at, observation));
    for (const policy of policies) events.push(clusterObserved(at, {}, policy));
    // Deleted with autoClean: the storage part of the cleanup runs.
    events.push(clusterObserved(at, { ...empty, deletionRequested: true }, { autoClean: true }));
  }
  return [...events, ...actionEvents(context.now), ...effectEvents(snapshot)];
}

/** Leaf states where a machine can rest (transient Done states are left at once). */
function restingLeaves(machine: AnyStateMachine): string[] {
  const leaves: string[] = [];
  const walk = (node: { path: string[]; states: Record<string, unknown>; always?: unknown[] }) => {
    const kids = Object.values(node.states) as (typeof node)[];
    if (kids.length === 0) {
      if ((node.always ?? []).length === 0 || node.path.at(-1) !== 'Done') leaves.push(node.path.join('.'));
      return;
    }
    for (const kid of kids) walk(kid);
  };
  walk(machine.root as never);
  return leaves.filter((leaf) => !leaf.endsWith('.Done')).sort();
}

function leafOf(machine: AnyStateMachine, value: StateValue): string {
  const nodes = [...new Set(getStateNodes(machine.root, value))];
  const leaf = nodes
    .filter((node) => Object.keys(node.states).length === 0)
    .map((node) => node.path.join('.'));
  return leaf[0] ?? '';
}

/**
 * States are told apart by value plus the context their rules decide on (a stop that restarts or
 * deletes, a job id owned, a savepoint in flight, a pending request), not by clocks and counters.
 */
function jobKey(state: unknown): string {
  const { value, context } = state as { value: StateValue; context: JobContext };
  const stop = context.stop;
  return JSON.stringify([
    value,
    context.jobId !== null,
    context.savepoint !== null,
    context.stopReason,
    context.pendingAction?.action ?? null,
    stop && [
      stop.restart,
      stop.delete,
      stop.withoutSavepoint,
      stop.savepointAbandoned,
      stop.cancelDeadline !== null,
    ],
  ]);
}

function clusterKey(state: unknown): string {
  const { value, context } = state as { value: StateValue; context: ClusterContext };
  const stop = context.stop;
  return JSON.stringify([
    value,
    context.stopReason,
    context.pendingAction?.action ?? null,
    context.deadlines.scaleDownAt !== null,
    stop && [stop.restart, stop.delete, stop.withoutSavepoint],
    context.cleanup && [context.cleanup.configMaps, context.cleanup.storage],
  ]);
}

function isEnd(state: unknown): boolean {
  const { value } = state as Snapshot;
  return value === 'Terminated' || (typeof value === 'object' && 'Stopped' in value);
}

function graphChecks(
  name: string,
  machine: AnyStateMachine,
  input: unknown,
  events: (snapshot: Snapshot) => unknown[],
  serializeState: (state: unknown) => string,
): void {
  describe(`${name} machine graph`, () => {
    const options = { input, events: events as never, serializeState: serializeState as never };
    const adjacency = getAdjacencyMap(machine, options) as unknown as Record<
      string,
      { state: unknown; transitions: Record<string, { state: unknown }> }
    >;

    // Graph walks take seconds on a loaded 2-core machine: a generous bound, the assertions decide.
    it('reaches every state from the initial state (shortest paths)', { timeout: 60_000 }, () => {
      const paths = getShortestPaths(machine, options);
      const reached = new Set(paths.map((path) => leafOf(machine, (path.state as Snapshot).value)));
      expect([...reached].sort()).toEqual(restingLeaves(machine));
      for (const path of paths) expect(path.steps[0]?.event.type).toBe('xstate.init');
    });

    it('has a path from every reachable state to Stopped or Terminated', { timeout: 60_000 }, () => {
      const keys = Object.keys(adjacency);
      const predecessors = new Map<string, Set<string>>(keys.map((key) => [key, new Set<string>()]));
      for (const [key, entry] of Object.entries(adjacency)) {
        for (const { state } of Object.values(entry.transitions)) {
          predecessors.get(serializeState(state))?.add(key);
        }
      }
      const canEnd = new Set(keys.filter((key) => isEnd(adjacency[key]?.state)));
      const queue = [...canEnd];
      while (queue.length > 0) {
        for (const previous of predecessors.get(queue.pop() as string) ?? []) {
          if (!canEnd.has(previous)) {
            canEnd.add(previous);
            queue.push(previous);
          }
        }
      }
      expect(keys.length).toBeGreaterThan(restingLeaves(machine).length);
      expect(keys.filter((key) => !canEnd.has(key))).toEqual([]);
    });
  });
}

graphChecks('job', jobMachine, { uid: UID, idSeed: SEED, at: T0 }, jobEvents, jobKey);
graphChecks('cluster', clusterMachine, { uid: UID, at: T0 }, clusterEvents, clusterKey);
