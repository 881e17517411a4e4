// For every state of both machines: persist (encode, JSON), restore into a new actor, re-deliver
// the event that led there. Nothing may run again (only read-only pollers of a recorded trigger
// id restart), and every waiter is re-armed with the deadline persisted in the context.
// The states are visited by scripted pure runs; a final check proves every state was visited.
import { getStateNodes } from 'xstate';
import type { AnyStateMachine, StateValue } from 'xstate';
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import type { ClusterContext } from '../../../src/machines/cluster-machine.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import type { JobContext } from '../../../src/machines/job-machine.ts';
import type { ClusterObservation, JobObservation } from '../../../src/machines/observations.ts';
import type { ClusterPolicy, JobPolicy } from '../../../src/machines/policies.ts';
import {
  encodeClusterSnapshot,
  encodeJobSnapshot,
  restoreClusterActor,
  restoreJobActor,
} from '../../../src/machines/persistence.ts';
import {
  FakeClock,
  FakeEffects,
  SECOND,
  SEED,
  T0,
  UID,
  clusterObserved,
  clusterView,
  done,
  failed,
  jobObserved,
  providedClusterMachine,
  providedJobMachine,
  requested,
  settle,
  step,
} from './support.ts';

type Visit = { value: StateValue; context: never; status: string };
type Script<TContext> = readonly ((context: TContext) => unknown)[];

function run<TContext>(machine: AnyStateMachine, input: unknown, script: Script<TContext>) {
  let snapshot = machine.resolveState({
    value: machine.getInitialSnapshot({ self: undefined } as never, input as never).value,
    context: machine.getInitialSnapshot({ self: undefined } as never, input as never).context,
  }) as unknown as Visit;
  const visits: { snapshot: Visit; event: unknown }[] = [];
  for (const next of script) {
    const event = next(snapshot.context as TContext);
    snapshot = step(machine, snapshot, event).next as Visit;
    visits.push({ snapshot, event });
  }
  return visits;
}

function leaf(machine: AnyStateMachine, value: StateValue): string {
  const nodes = [...new Set(getStateNodes(machine.root, value))];
  return (
    nodes.filter((node) => Object.keys(node.states).length === 0).map((node) => node.path.join('.'))[0] ?? ''
  );
}

function allLeaves(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: { path: string[]; states: Record<string, unknown> }) => {
    const kids = Object.values(node.states) as (typeof node)[];
    if (kids.length === 0 && node.path.at(-1) !== 'Done') out.push(node.path.join('.'));
    for (const kid of kids) walk(kid);
  };
  walk(machine.root as never);
  return out.sort();
}

// Scripts: each step computes the next event from the context reached so far.
let clock = T0;
const at = (gap = SECOND) => (clock += gap);
const jobObs =
  (observation: Partial<JobObservation> = {}, policy: Partial<JobPolicy> = {}) =>
  () =>
    jobObserved(at(), observation, policy);
const ours =
  (observation: Partial<JobObservation>, policy: Partial<JobPolicy> = {}) =>
  (c: JobContext) =>
    jobObserved(at(), { bootstrapJobId: c.jobId, ...observation }, policy);
const act =
  (action: 'START' | 'STOP' | 'TRIGGER_SAVEPOINT' | 'FORGET_SAVEPOINT', without = false) =>
  () =>
    requested(action, at(), without);
const effect =
  (id: string, output: unknown = {}) =>
  () =>
    done(id, output);

const jobScripts: Script<JobContext>[] = [
  [
    act('FORGET_SAVEPOINT'),
    jobObs({ cluster: clusterView({ state: 'Starting', healthy: false, ready: false }) }),
    jobObs({ bootstrap: 'succeeded', bootstrapJobId: 'old' }),
    jobObs({ bootstrap: 'succeeded', bootstrapJobId: 'old' }),
    effect('deleteBootstrap'),
    jobObs({ flinkJob: 'NOT_FOUND' }),
    effect('persist'),
    effect('createBootstrap'),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }),
    act('TRIGGER_SAVEPOINT'),
    effect('persist'),
    effect('triggerSavepoint'),
    effect('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/1' }),
    () => jobObserved(at(3600 * SECOND), { flinkJob: 'RUNNING' }),
    effect('persist'),
    act('STOP'),
    jobObs({ flinkJob: 'RUNNING' }),
    effect('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/2' }),
    ours({ bootstrap: 'succeeded', flinkJob: 'RUNNING' }),
    effect('deleteBootstrap'),
    jobObs({ flinkJob: 'RUNNING' }),
    effect('persist'),
    effect('stopWithSavepoint'),
    effect('awaitSavepoint', { status: 'FAILED', reason: 'declined' }),
    effect('cancelJob'),
    jobObs({ flinkJob: 'CANCELED' }),
    jobObs({ bootstrap: 'failed', bootstrapJobId: 'old' }),
    effect('deleteBootstrap'),
    act('START'),
  ],
  [
    jobObs(),
    jobObs(),
    jobObs({ flinkJob: 'NOT_FOUND' }),
    effect('persist'),
    effect('createBootstrap'),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }),
    jobObs({ flinkJob: 'FAILED' }, { restartPolicy: 'OnlyIfFailed' }),
    jobObs({}, { restartPolicy: 'OnlyIfFailed' }),
    jobObs({ deletionRequested: true, flinkJob: 'FAILED' }),
    jobObs({ deletionRequested: true, flinkJob: 'FAILED' }),
  ],
  // Upgrade modes: an unreadable savepoint status is polled again; a last-state upgrade chooses a
  // checkpoint and records it before cancelling.
  [
    jobObs(),
    jobObs(),
    jobObs({ flinkJob: 'NOT_FOUND' }),
    effect('persist'),
    effect('createBootstrap'),
    (c: JobContext) =>
      jobObserved(at(), {
        bootstrapJobId: c.jobId,
        bootstrap: 'active',
        flinkJob: 'RUNNING',
        latestCheckpoint: { path: 's3://checkpoints/chk-1', completedAt: c.now },
      }),
    act('TRIGGER_SAVEPOINT'),
    effect('persist'),
    effect('triggerSavepoint'),
    () => failed('awaitSavepoint'),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }),
    effect('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/3' }),
    ours({ flinkJob: 'RUNNING', specDigest: 'bootstrap-2' }, { upgradeMode: 'last-state' }),
    ours(
      { bootstrap: 'succeeded', flinkJob: 'RUNNING', specDigest: 'bootstrap-2' },
      { upgradeMode: 'last-state' },
    ),
    effect('deleteBootstrap'),
    jobObs({ flinkJob: 'RUNNING', specDigest: 'bootstrap-2' }, { upgradeMode: 'last-state' }),
    (c: JobContext) =>
      done('readSnapshots', {
        checkpoint: { path: 's3://checkpoints/chk-2', completedAt: c.now },
        savepoint: null,
      }),
    effect('persist'),
    jobObs({ flinkJob: 'RUNNING', specDigest: 'bootstrap-2' }, { upgradeMode: 'last-state' }),
    effect('cancelJob'),
    jobObs({ flinkJob: 'CANCELED', specDigest: 'bootstrap-2' }, { upgradeMode: 'last-state' }),
  ],
  // A stop-with-savepoint whose outcome was not read: the savepoint is read from the job's statistics.
  [
    jobObs(),
    jobObs(),
    jobObs({ flinkJob: 'NOT_FOUND' }),
    effect('persist'),
    effect('createBootstrap'),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }),
    act('STOP'),
    jobObs({ flinkJob: 'RUNNING' }),
    effect('persist'),
    effect('stopWithSavepoint'),
    () => failed('awaitSavepoint'),
    jobObs({ flinkJob: 'FINISHED' }),
    (c: JobContext) =>
      done('readSnapshots', {
        checkpoint: null,
        savepoint: { path: 's3://savepoints/final', completedAt: c.now },
      }),
    jobObs({ flinkJob: 'FINISHED' }),
  ],
  // ADR 0017: a rescale in place through the adaptive scheduler, recorded before it is asked.
  [
    jobObs(),
    jobObs(),
    jobObs({ flinkJob: 'NOT_FOUND' }),
    effect('persist'),
    effect('createBootstrap'),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }, { jobParallelism: 3, adaptiveScheduler: true }),
    effect('persist'),
    ours({ bootstrap: 'active', flinkJob: 'RUNNING' }, { jobParallelism: 3, adaptiveScheduler: true }),
    effect('rescaleInPlace', { applied: true }),
  ],
];

const empty: Partial<ClusterObservation> = {
  jobManager: { pods: 0, ready: false },
  jobManagerService: false,
  taskManagers: { pods: 0, ready: 0 },
  flink: { reachable: false },
  jobs: [],
};
const clusterObs =
  (observation: Partial<ClusterObservation> = {}, policy: Partial<ClusterPolicy> = {}, gap = SECOND) =>
  () =>
    clusterObserved(at(gap), observation, policy);

const clusterScript: Script<ClusterContext> = [
  act('TRIGGER_SAVEPOINT'),
  clusterObs(empty),
  clusterObs(empty),
  effect('ensureJobManager'),
  clusterObs({ jobManager: { pods: 1, ready: false }, jobManagerService: false }),
  effect('ensureJobManagerService'),
  clusterObs({ flink: { reachable: true, slotsTotal: 0, jobs: [{ id: 'x', state: 'RUNNING' }] } }),
  effect('cancelFlinkJobs'),
  clusterObs({ taskManagers: { pods: 0, ready: 0 } }),
  clusterObs({ taskManagers: { pods: 0, ready: 0 } }),
  effect('addTaskManagers'),
  clusterObs({ taskManagers: { pods: 3, ready: 3 } }),
  clusterObs({ taskManagers: { pods: 3, ready: 3 } }, {}, 600 * SECOND),
  effect('removeTaskManagers'),
  // HA: a standby JobManager pod is gone.
  clusterObs({}, { jobManagerReplicas: 2 }),
  effect('ensureJobManager'),
  clusterObs({ flink: { reachable: true, slotsTotal: 2, jobs: [{ id: 'rogue', state: 'RUNNING' }] } }),
  effect('cancelFlinkJobs'),
  clusterObs({ flink: { reachable: false } }),
  act('STOP'),
  clusterObs({ jobs: [{ name: 'a', state: 'Stopped', parallelism: 0, jobId: null }] }),
  effect('deleteClusterResources'),
  clusterObs(empty),
  clusterObs({ ...empty, jobManagerService: true }),
  effect('deleteClusterResources'),
  clusterObs({ ...empty, deletionRequested: true }, { autoClean: true }),
  clusterObs({ ...empty, deletionRequested: true }, { autoClean: true }),
  // ADR 0012: Flink is gone; its HA ConfigMaps go, then the storage-cleanup Job runs.
  clusterObs({ ...empty, deletionRequested: true }, { autoClean: true }),
  effect('removeHighAvailabilityConfigMaps', { removed: 2 }),
  clusterObs({ ...empty, deletionRequested: true }, { autoClean: true }),
  effect('startStorageCleanup'),
  clusterObs({ ...empty, deletionRequested: true, storageCleanup: 'active' }, { autoClean: true }),
  clusterObs({ ...empty, deletionRequested: true, storageCleanup: 'succeeded' }, { autoClean: true }),
];

/** Which context field each waiter waits for. */
const JOB_WAITERS: Record<string, (c: JobContext) => number | null> = {
  restartTimeout: (c) => c.deadlines.restartTimeoutAt,
  savepointDue: (c) => c.deadlines.savepointDueAt,
  savepointTimeout: (c) => c.savepoint?.deadline ?? null,
  savepointStopTimeout: (c) => c.stop?.savepointDeadline ?? null,
  cancelTimeout: (c) => c.stop?.cancelDeadline ?? null,
  restartDelay: (c) => c.deadlines.restartAt,
  rescaleTimeout: (c) => c.rescale?.deadline ?? null,
};
const CLUSTER_WAITERS: Record<string, (c: ClusterContext) => number | null> = {
  startTimeout: (c) => c.deadlines.startTimeoutAt,
  unhealthyTimeout: (c) => c.deadlines.unhealthyAt,
  rescaleDelay: (c) => c.deadlines.scaleDownAt,
  jobsStopTimeout: (c) => c.stop?.jobsDeadline ?? null,
  cleanupTimeout: (c) => c.cleanup?.deadline ?? null,
};
/** Effects that only read (poll a recorded trigger id): restarting them after a restore is the point. */
// rescaleInPlace sends its PUT again: it sets the recorded requirements, never adds (ADR 0017).
const POLLERS = new Set(['awaitSavepoint', 'rescaleInPlace']);

function expectedDeadlines<T>(
  machine: AnyStateMachine,
  value: StateValue,
  context: T,
  waiters: Record<string, (c: T) => number | null>,
) {
  const ids = [...new Set(getStateNodes(machine.root, value))].flatMap((node) =>
    node.invoke.filter((invoke) => invoke.src === 'waitUntil').map((invoke) => invoke.id),
  );
  return ids.map((id) => (waiters[id] as (c: T) => number | null)(context));
}

function byNumber(a: number | null, b: number | null): number {
  return (a ?? -1) - (b ?? -1);
}

describe('persist, restore, re-deliver: job machine', () => {
  const visits = jobScripts.flatMap((script) =>
    run<JobContext>(jobMachine, { uid: UID, idSeed: SEED, at: T0 }, script),
  );

  it('visits every state of the machine', () => {
    expect([...new Set(visits.map((v) => leaf(jobMachine, v.snapshot.value)))].sort()).toEqual(
      allLeaves(jobMachine),
    );
  });

  it.each(visits.map((visit, i) => [`${i} ${JSON.stringify(visit.snapshot.value)}`, visit] as const))(
    '%s',
    async (_, visit) => {
      const envelope = JSON.parse(JSON.stringify(encodeJobSnapshot(visit.snapshot)));
      const effects = new FakeEffects();
      for (const src of [
        'persist',
        'createBootstrap',
        'deleteBootstrap',
        'triggerSavepoint',
        'awaitSavepoint',
        'stopWithSavepoint',
        'cancelJob',
        'readSnapshots',
        'rescaleInPlace',
      ]) {
        effects.set(src, 'hold');
      }
      const fakeClock = new FakeClock(T0 - 1);
      const { actor, restored, failure } = restoreJobActor(providedJobMachine(effects, fakeClock), envelope, {
        uid: UID,
        idSeed: SEED,
        at: T0,
      });
      expect(failure).toBeNull();
      expect(restored).toBe(true);
      actor.start();
      await settle();
      const restoredValue = actor.getSnapshot().value;
      expect(restoredValue).toEqual(envelope.value);

      // Deadlines re-armed from the persisted context.
      const context = envelope.context as JobContext;
      expect([...fakeClock.requested].sort(byNumber)).toEqual(
        expectedDeadlines(jobMachine, restoredValue, context, JOB_WAITERS).sort(byNumber),
      );
      // Only read-only pollers restart.
      expect(effects.calls.filter((call) => !POLLERS.has(call.src))).toEqual([]);
      for (const call of effects.calls) {
        // The recorded target, asked again (never a second one).
        if (call.src === 'rescaleInPlace')
          expect(call.input).toEqual({
            jobId: context.jobId,
            from: context.rescale?.from,
            to: context.rescale?.to,
          });
        else
          expect(call.input).toMatchObject({
            triggerId: context.savepoint?.triggerId ?? context.stop?.triggerId,
          });
      }

      // A terminated machine is done: the supervisor releases the resource and sends nothing more.
      if (restoredValue === 'Terminated') {
        expect(actor.getSnapshot().status).toBe('done');
        return;
      }
      // Re-deliver the last event: nothing happens again. An invoked actor's error event cannot be
      // re-delivered in life (only the child that failed sends it, and a restored machine's
      // children are new); sent by hand to a state that no longer invokes that child, XState
      // would rightly fail the actor, so those are not re-sent.
      const before = effects.calls.length;
      const type = (visit.event as { type?: string }).type ?? '';
      if (!type.startsWith('xstate.error.actor.')) actor.send(visit.event as never);
      await settle();
      expect(effects.calls.length).toBe(before);
      expect(actor.getSnapshot().value).toEqual(restoredValue);
      actor.stop();
    },
  );
});

describe('persist, restore, re-deliver: cluster machine', () => {
  const visits = run<ClusterContext>(clusterMachine, { uid: UID, at: T0 }, clusterScript);

  it('visits every state of the machine', () => {
    expect([...new Set(visits.map((v) => leaf(clusterMachine, v.snapshot.value)))].sort()).toEqual(
      allLeaves(clusterMachine),
    );
  });

  it.each(visits.map((visit, i) => [`${i} ${JSON.stringify(visit.snapshot.value)}`, visit] as const))(
    '%s',
    async (_, visit) => {
      const envelope = JSON.parse(JSON.stringify(encodeClusterSnapshot(visit.snapshot)));
      const effects = new FakeEffects();
      for (const src of [
        'ensureJobManager',
        'ensureJobManagerService',
        'cancelFlinkJobs',
        'scaleTaskManagers',
        'deleteClusterResources',
        'removeHighAvailabilityConfigMaps',
        'startStorageCleanup',
      ]) {
        effects.set(src, 'hold');
      }
      const fakeClock = new FakeClock(T0 - 1);
      const { actor, restored, failure } = restoreClusterActor(
        providedClusterMachine(effects, fakeClock),
        envelope,
        {
          uid: UID,
          at: T0,
        },
      );
      expect(failure).toBeNull();
      expect(restored).toBe(true);
      actor.start();
      await settle();
      const restoredValue = actor.getSnapshot().value;
      expect(restoredValue).toEqual(envelope.value);
      expect([...fakeClock.requested].sort(byNumber)).toEqual(
        expectedDeadlines(
          clusterMachine,
          restoredValue,
          envelope.context as ClusterContext,
          CLUSTER_WAITERS,
        ).sort(byNumber),
      );
      expect(effects.calls).toEqual([]);
      if (restoredValue === 'Terminated') {
        expect(actor.getSnapshot().status).toBe('done');
        return;
      }
      actor.send(visit.event as never);
      await settle();
      expect(effects.calls).toEqual([]);
      expect(actor.getSnapshot().value).toEqual(restoredValue);
      actor.stop();
    },
  );
});
