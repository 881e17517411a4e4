// Table tests of the job machine: one row per rule (the rule id is the start of its description in
// job-machine.ts), each a pure transition from a given state and context. The last test checks
// that every described rule of the machine has at least one row here.
import type { StateValue } from 'xstate';
import { describe, expect, it } from 'vitest';
import { flinkJobId } from '../../../src/machines/ids.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import type { JobContext, JobStopIntent } from '../../../src/machines/job-machine.ts';
import { machineRules } from '../../../src/machines/render-mermaid.ts';
import {
  SECOND,
  SEED,
  T0,
  UID,
  baseJobContext,
  clusterView,
  done,
  failed,
  jobObservation,
  jobObserved,
  jobPolicy,
  jobSnapshot,
  requested,
  runningJobContext,
  step,
} from './support.ts';

const AT = T0 + 1000;
const JOB_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function stop(overrides: Partial<JobStopIntent> = {}): JobStopIntent {
  return {
    reason: 'Manual',
    restart: false,
    delete: false,
    withoutSavepoint: false,
    clearSavepointPath: false,
    triggerId: null,
    savepointDeadline: null,
    savepointAbandoned: false,
    cancelDeadline: null,
    savepointOutcome: null,
    checkpoint: null,
    checkpointConfirmed: false,
    asked: false,
    ...overrides,
  };
}

const inFlight = {
  triggerId: 'f'.repeat(32),
  kind: 'periodic' as const,
  requestedAt: T0,
  deadline: T0 + 300 * SECOND,
};

interface Row {
  readonly rule: string;
  readonly name: string;
  readonly from: StateValue;
  readonly context: JobContext;
  readonly event: unknown;
  readonly to: StateValue;
  readonly starts?: readonly string[];
  readonly check?: (context: JobContext) => void;
}

const launching = { Starting: { Launching: 'Idle' } };
const paused = jobObservation({ paused: true, flinkJob: 'RUNNING' });
const CP_RECENT = { path: 's3://checkpoints/chk-7', completedAt: AT - 60 * SECOND };
const stopping = (overrides: Partial<JobStopIntent> = {}, context: Partial<JobContext> = {}) =>
  runningJobContext({ stop: stop(overrides), ...context });
const stopped = (context: Partial<JobContext> = {}) =>
  baseJobContext({
    stopReason: 'Failed',
    savepointPath: 's3://savepoints/sp-0',
    deadlines: { restartTimeoutAt: null, restartAt: T0 + 60 * SECOND, savepointDueAt: null },
    ...context,
  });

/** A health gate of 60 s on the job's policy (docs/upgrades.md). */
const gate = (policy: Partial<JobContext['policy']> = {}) => ({ healthCheckWindowSeconds: 60, ...policy });
const verifying = (
  check: Partial<NonNullable<JobContext['upgrade']>> = {},
): NonNullable<JobContext['upgrade']> => ({
  phase: 'Verifying',
  specDigest: 'bootstrap-2',
  parallelism: 1,
  snapshot: { path: 's3://savepoints/sp-0', kind: 'savepoint' },
  until: AT + 60 * SECOND,
  restarts: 0,
  reason: null,
  ...check,
});

const rows: Row[] = [
  // Requests, any state.
  {
    rule: 'J.Any.0',
    name: 'a repeated request is ignored',
    from: { Stopped: 'Idle' },
    context: stopped({
      lastAction: {
        action: 'START',
        withoutSavepoint: false,
        requestedAt: AT,
        outcome: 'accepted',
        reason: 'accepted',
        at: AT,
      },
    }),
    event: requested('START', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.pendingAction).toBeNull(),
  },
  {
    rule: 'J.Any.0',
    name: 'the request taken before the last, delivered again by a lagging watch, is ignored: a START stamped by a clock behind stays the last word (K19, seed 1002912)',
    from: { Stopping: 'Idle' },
    context: stopping(
      { reason: 'Manual', restart: true },
      {
        lastAction: {
          action: 'START',
          withoutSavepoint: false,
          requestedAt: AT - 196_000,
          outcome: 'accepted',
          reason: 'accepted',
          at: AT - 196_000,
        },
        previousAction: {
          action: 'STOP',
          withoutSavepoint: false,
          requestedAt: AT,
          outcome: 'accepted',
          reason: 'accepted',
          at: AT,
        },
      },
    ),
    event: requested('STOP', AT),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.pendingAction).toBeNull();
      expect(c.lastAction).toMatchObject({ action: 'START', requestedAt: AT - 196_000 });
      expect(c.stop?.restart).toBe(true);
    },
  },
  {
    rule: 'J.Any.1',
    name: 'a request waits in Stopping until a state decides',
    from: { Stopping: 'Idle' },
    context: stopping(),
    event: requested('TRIGGER_SAVEPOINT', AT),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.pendingAction?.action).toBe('TRIGGER_SAVEPOINT'),
  },
  {
    rule: 'J.Any.1',
    name: 'a request still pending when a newer one comes is answered: rejected as superseded',
    from: { Stopping: 'Idle' },
    context: stopping(
      {},
      { pendingAction: { action: 'TRIGGER_SAVEPOINT', withoutSavepoint: false, requestedAt: AT - 1 } },
    ),
    event: requested('START', AT),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.notice?.reason).toBe('ActionRejected');
      expect(c.notice?.message).toContain('TRIGGER_SAVEPOINT rejected: superseded by START');
      expect(c.stop?.restart).toBe(true);
      expect(c.lastAction).toMatchObject({ action: 'START', outcome: 'accepted' });
    },
  },
  // Unknown.
  {
    rule: 'J.Unknown.0',
    name: 'stale observation',
    from: 'Unknown',
    context: baseJobContext(),
    event: jobObserved(T0),
    to: 'Unknown',
  },
  {
    rule: 'J.Unknown.1',
    name: 'deleted before running',
    from: 'Unknown',
    context: baseJobContext(),
    event: jobObserved(AT, { deletionRequested: true }),
    to: 'Terminated',
  },
  {
    rule: 'J.Unknown.2',
    name: 'cluster terminated',
    from: 'Unknown',
    context: baseJobContext(),
    event: jobObserved(AT, { cluster: clusterView({ state: 'Terminated' }) }),
    to: 'Unknown',
  },
  {
    rule: 'J.Unknown.3',
    name: 'a reset machine adopts the job id it was given when Flink runs it',
    from: 'Unknown',
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { flinkJob: 'RUNNING', cluster: clusterView({ epoch: 4 }) }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.jobId).toBe(JOB_ID);
      expect(c.parallelism).toBe(2);
      expect(c.clusterEpoch).toBe(4);
      expect(c.specDigest).toBe('bootstrap-1');
      expect(c.notice?.reason).toBe('Adopted');
    },
  },
  {
    rule: 'J.Unknown.4',
    name: 'a recorded job id Flink does not run is not adopted',
    from: 'Unknown',
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND' }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.jobId).toBeNull(),
  },
  {
    rule: 'J.Unknown.4',
    name: 'initialise with the initial savepoint path',
    from: 'Unknown',
    context: baseJobContext(),
    event: jobObserved(AT, {}, { initialSavepointPath: 's3://initial' }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.savepointPath).toBe('s3://initial'),
  },
  // Starting.
  {
    rule: 'J.Starting.A1',
    name: 'STOP while starting',
    from: launching,
    context: baseJobContext(),
    event: requested('STOP', AT),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.stop?.reason).toBe('Manual');
      expect(c.lastAction?.outcome).toBe('accepted');
    },
  },
  {
    rule: 'J.Starting.A2',
    name: 'START while starting is rejected',
    from: launching,
    context: baseJobContext(),
    event: requested('START', AT),
    to: launching,
    check: (c) => {
      expect(c.lastAction?.outcome).toBe('rejected');
      expect(c.pendingAction).toBeNull();
    },
  },
  {
    rule: 'J.Starting.0',
    name: 'the last observation delivered again',
    from: launching,
    context: baseJobContext(),
    event: jobObserved(T0, { deletionRequested: true }),
    to: launching,
  },
  {
    rule: 'J.Starting.1',
    name: 'deleted',
    from: launching,
    context: baseJobContext(),
    event: jobObserved(AT, { deletionRequested: true }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Deleted', delete: true, restart: false }),
  },
  {
    rule: 'J.Starting.2',
    name: 'cluster stopping',
    from: launching,
    context: baseJobContext(),
    event: jobObserved(AT, { cluster: clusterView({ state: 'Stopping' }) }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.reason).toBe('ClusterStopped'),
  },
  {
    rule: 'J.Starting.3',
    name: 'parallelism 0 suspends',
    from: { Starting: 'WaitingForCluster' },
    context: baseJobContext(),
    event: jobObserved(AT, {}, { jobParallelism: 0 }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.reason).toBe('Suspended'),
  },
  {
    rule: 'J.Starting.4',
    name: 'cluster starting: wait without timeout',
    from: launching,
    context: baseJobContext({
      deadlines: { restartTimeoutAt: T0 + 5, restartAt: null, savepointDueAt: null },
    }),
    event: jobObserved(AT, { cluster: clusterView({ state: 'Starting', healthy: false, ready: false }) }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.deadlines.restartTimeoutAt).toBeNull(),
  },
  {
    rule: 'J.Starting.5',
    name: 'restartTimeout reached',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      deadlines: { restartTimeoutAt: AT, restartAt: null, savepointDueAt: null },
    }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND', bootstrap: 'active', bootstrapJobId: JOB_ID }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.stop?.reason).toBe('StartTimedOut');
      expect(c.notice?.reason).toBe('StartTimedOut');
    },
  },
  {
    rule: 'J.Starting.6',
    name: 'submitted job already failed',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { flinkJob: 'FAILED' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.reason).toBe('Failed'),
  },
  {
    rule: 'J.Starting.7',
    name: 'Flink runs the job id',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { flinkJob: 'RUNNING', bootstrap: 'succeeded', bootstrapJobId: JOB_ID }),
    to: { Started: 'Running' },
  },
  {
    rule: 'J.Starting.8',
    name: 'bootstrap failed',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND', bootstrap: 'failed', bootstrapJobId: JOB_ID }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.reason).toBe('BootstrapFailed'),
  },
  {
    rule: 'J.Starting.8',
    name: 'bootstrap found no _metadata: stop as SnapshotMissing (no restart by policy), say what to do',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      restoredFrom: { path: 's3://checkpoints/chk-7', kind: 'checkpoint' },
    }),
    event: jobObserved(AT, {
      flinkJob: 'NOT_FOUND',
      bootstrap: 'failed',
      bootstrapJobId: JOB_ID,
      bootstrapFailure: 'SnapshotMissing',
    }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.stop?.reason).toBe('SnapshotMissing');
      expect(c.notice?.reason).toBe('SnapshotMissing');
      expect(c.notice?.message).toContain('checkpoint to restore, s3://checkpoints/chk-7, has no _metadata');
    },
  },
  {
    rule: 'J.Starting.9',
    name: 'cluster started: launch and arm restartTimeout',
    from: { Starting: 'WaitingForCluster' },
    context: baseJobContext(),
    event: jobObserved(AT),
    to: launching,
    starts: ['restartTimeout'],
    check: (c) => expect(c.deadlines.restartTimeoutAt).toBe(AT + 180 * SECOND),
  },
  {
    rule: 'J.Starting.10',
    name: 'not enough slots yet',
    from: launching,
    context: baseJobContext(),
    event: jobObserved(AT, { cluster: clusterView({ ready: false }) }),
    to: launching,
  },
  {
    rule: 'J.Starting.11',
    name: 'stale bootstrap of another submission',
    from: launching,
    context: baseJobContext(),
    event: jobObserved(AT, { bootstrap: 'succeeded', bootstrapJobId: 'old' }),
    to: { Starting: { Launching: 'DeletingBootstrap' } },
    starts: ['deleteBootstrap'],
  },
  {
    rule: 'J.Starting.12',
    name: 'record the job id, then submit',
    from: launching,
    context: baseJobContext({ submission: 3 }),
    event: jobObserved(AT, { flinkJob: 'NONE' }),
    to: { Starting: { Launching: 'Recording' } },
    starts: ['persist'],
    check: (c) => {
      expect(c.submission).toBe(4);
      expect(c.jobId).toBe(flinkJobId({ uid: UID, idSeed: SEED }, 4));
      expect(c.parallelism).toBe(2);
      expect(c.specDigest).toBe('bootstrap-1');
      expect(c.clusterEpoch).toBe(1);
    },
  },
  {
    rule: 'J.Starting.13',
    name: 'our bootstrap exists',
    from: launching,
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { bootstrap: 'active', bootstrapJobId: JOB_ID, flinkJob: 'NOT_FOUND' }),
    to: { Starting: { Launching: 'Submitted' } },
  },
  {
    rule: 'J.Starting.15',
    name: 'submitted, waiting',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, { bootstrap: 'active', bootstrapJobId: JOB_ID, flinkJob: 'NOT_FOUND' }),
    to: { Starting: { Launching: 'Submitted' } },
  },
  {
    rule: 'J.Starting.14',
    name: 'submitted, the bootstrap Job seen succeeded before, Flink does not know the job (no HA): lost',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      observed: jobObservation({ bootstrap: 'succeeded', bootstrapJobId: JOB_ID, flinkJob: 'NOT_FOUND' }),
    }),
    event: jobObserved(AT, { bootstrap: 'succeeded', bootstrapJobId: JOB_ID, flinkJob: 'NOT_FOUND' }),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.stopReason).toBe('Lost'),
  },
  {
    rule: 'J.Starting.15',
    name: "the bootstrap Job first seen succeeded with Flink's 404 in the same observation: that answer may predate the submit (K15), wait",
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      observed: jobObservation({ bootstrap: 'active', bootstrapJobId: JOB_ID, flinkJob: 'NOT_FOUND' }),
    }),
    event: jobObserved(AT, { bootstrap: 'succeeded', bootstrapJobId: JOB_ID, flinkJob: 'NOT_FOUND' }),
    to: { Starting: { Launching: 'Submitted' } },
    check: (c) => expect(c.stopReason).not.toBe('Lost'),
  },
  {
    rule: 'J.Starting.15',
    name: 'submitted, the bootstrap Job succeeded, Flink does not know the job with HA: a standby may recover it, wait',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({ jobId: JOB_ID }),
    event: jobObserved(AT, {
      bootstrap: 'succeeded',
      bootstrapJobId: JOB_ID,
      flinkJob: 'NOT_FOUND',
      cluster: clusterView({ highAvailability: true }),
    }),
    to: { Starting: { Launching: 'Submitted' } },
  },
  {
    rule: 'J.Starting.T1',
    name: 'restartTimeout waiter fires',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      deadlines: { restartTimeoutAt: AT, restartAt: null, savepointDueAt: null },
    }),
    event: done('restartTimeout', { at: AT }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.reason).toBe('StartTimedOut'),
  },
  // Started.
  {
    rule: 'J.Started.A1',
    name: 'STOP',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: requested('STOP', AT, true),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Manual', restart: false, withoutSavepoint: true }),
  },
  {
    rule: 'J.Started.A2',
    name: 'START restarts, withoutSavepoint forgets the savepoint for this restart',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: requested('START', AT, true),
    to: { Stopping: 'Idle' },
    check: (c) =>
      expect(c.stop).toMatchObject({
        reason: 'RestartRequested',
        restart: true,
        withoutSavepoint: true,
        clearSavepointPath: true,
      }),
  },
  {
    rule: 'J.Started.A3',
    name: 'TRIGGER_SAVEPOINT',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: requested('TRIGGER_SAVEPOINT', AT),
    to: { Started: { Savepointing: 'Recording' } },
    starts: ['savepointTimeout', 'persist'],
    check: (c) =>
      expect(c.savepoint).toMatchObject({ kind: 'manual', requestedAt: AT, deadline: AT + 300 * SECOND }),
  },
  {
    rule: 'J.Started.A4',
    name: 'TRIGGER_SAVEPOINT while one is in flight',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: requested('TRIGGER_SAVEPOINT', AT),
    to: { Started: { Savepointing: 'Awaiting' } },
    check: (c) => expect(c.lastAction?.outcome).toBe('rejected'),
  },
  {
    rule: 'J.Started.A5',
    name: 'FORGET_SAVEPOINT',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: requested('FORGET_SAVEPOINT', AT),
    to: { Started: 'Running' },
    check: (c) => expect(c.savepointPath).toBeNull(),
  },
  {
    rule: 'J.Started.0',
    name: 'stale observation',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(T0, { flinkJob: 'FAILED' }),
    to: { Started: 'Running' },
  },
  {
    rule: 'J.Started.1',
    name: 'deleted',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { deletionRequested: true, flinkJob: 'RUNNING' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Deleted', delete: true }),
  },
  {
    rule: 'J.Started.2',
    name: 'cluster stopping without savepoint',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { cluster: clusterView({ state: 'Stopping', stopWithoutSavepoint: true }) }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'ClusterStopped', withoutSavepoint: true }),
  },
  {
    rule: 'J.Started.3',
    name: 'cluster restarted under the job',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { cluster: clusterView({ epoch: 2 }), flinkJob: 'NOT_FOUND' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.reason).toBe('ClusterStopped'),
  },
  {
    rule: 'J.Started.4',
    name: 'bootstrap settings changed',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { specDigest: 'bootstrap-2', flinkJob: 'RUNNING' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'SpecChanged', restart: true }),
  },
  {
    rule: 'J.Started.5',
    name: 'parallelism changed',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { jobParallelism: 4 }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Rescale', restart: true }),
  },
  {
    rule: 'J.Started.5',
    name: 'parallelism changed on the adaptive scheduler, but Flink refused it in place already: the upgrade mode',
    from: { Started: 'Running' },
    context: runningJobContext({ inPlaceRefused: 4 }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { jobParallelism: 4, adaptiveScheduler: true }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Rescale', restart: true }),
  },
  {
    rule: 'J.Started.15',
    name: 'parallelism changed on the adaptive scheduler: rescale in place, the target recorded first',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { jobParallelism: 4, adaptiveScheduler: true }),
    to: { Started: { Rescaling: 'Recording' } },
    starts: ['persist'],
    check: (c) => {
      expect(c.rescale).toEqual({ from: 2, to: 4, deadline: AT + 300 * SECOND });
      expect(c.parallelism).toBe(2);
      expect(c.jobId).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
      expect(c.stop).toBeNull();
      expect(c.notice?.reason).toBe('Rescaling');
    },
  },
  {
    rule: 'J.Started.15',
    name: "the autoscaler's parallelism (act mode) in place of the spec's",
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(
      AT,
      { flinkJob: 'RUNNING' },
      { jobParallelism: 2, autoscalerParallelism: 3, adaptiveScheduler: true },
    ),
    to: { Started: { Rescaling: 'Recording' } },
    check: (c) => expect(c.rescale?.to).toBe(3),
  },
  {
    rule: 'J.Started.16',
    name: 'a rescale in place in flight toward the asked parallelism: no second one, no stop',
    from: { Started: { Rescaling: 'Applying' } },
    context: runningJobContext({ rescale: { from: 2, to: 4, deadline: AT + 300 * SECOND } }),
    event: jobObserved(AT, { flinkJob: 'RESTARTING' }, { jobParallelism: 4, adaptiveScheduler: true }),
    to: { Started: { Rescaling: 'Applying' } },
  },
  {
    rule: 'J.Started.16',
    name: 'parallelism changed on the adaptive scheduler while a savepoint is in flight: it finishes first',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { jobParallelism: 4, adaptiveScheduler: true }),
    to: { Started: { Savepointing: 'Awaiting' } },
  },
  {
    rule: 'J.Started.R4',
    name: 'the rescale target could not be persisted: not asked',
    from: { Started: { Rescaling: 'Recording' } },
    context: runningJobContext({ rescale: { from: 2, to: 4, deadline: AT + 300 * SECOND } }),
    event: failed('persist'),
    to: { Started: 'Running' },
    check: (c) => expect(c.rescale).toBeNull(),
  },
  {
    rule: 'J.Started.R1',
    name: 'rescaled in place: the new parallelism, same job id, no savepoint',
    from: { Started: { Rescaling: 'Applying' } },
    context: runningJobContext({ rescale: { from: 2, to: 4, deadline: AT + 300 * SECOND } }),
    event: done('rescaleInPlace', { applied: true, at: AT }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.parallelism).toBe(4);
      expect(c.rescale).toBeNull();
      expect(c.jobId).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
      expect(c.notice?.reason).toBe('Rescaled');
    },
  },
  {
    rule: 'J.Started.R2',
    name: 'Flink cannot rescale in place: remembered, so the next observation takes the upgrade mode',
    from: { Started: { Rescaling: 'Applying' } },
    context: runningJobContext({ rescale: { from: 2, to: 4, deadline: AT + 300 * SECOND } }),
    event: done('rescaleInPlace', { applied: false, reason: 'Flink 1.17.2 has no endpoint', at: AT }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.parallelism).toBe(2);
      expect(c.inPlaceRefused).toBe(4);
      expect(c.notice?.message).toMatch(/Flink 1.17.2 has no endpoint/);
    },
  },
  {
    rule: 'J.Started.R3',
    name: 'the request failed for good: the upgrade mode',
    from: { Started: { Rescaling: 'Applying' } },
    context: runningJobContext({ rescale: { from: 2, to: 4, deadline: AT + 300 * SECOND } }),
    event: failed('rescaleInPlace'),
    to: { Started: 'Running' },
    check: (c) => expect(c.inPlaceRefused).toBe(4),
  },
  {
    rule: 'J.Started.T3',
    name: 'the rescale in place did not complete within taskTimeout: the upgrade mode',
    from: { Started: { Rescaling: 'Applying' } },
    context: runningJobContext({ rescale: { from: 2, to: 4, deadline: AT } }),
    event: done('rescaleTimeout', { at: AT }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.inPlaceRefused).toBe(4);
      expect(c.notice?.message).toMatch(/within taskTimeout/);
    },
  },
  {
    rule: 'J.Started.6',
    name: 'HA: 404 while a standby takes over: wait for the recovery, keep the job id, submit nothing',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND', cluster: clusterView({ highAvailability: true }) }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.jobId).toBe(runningJobContext().jobId);
      expect(c.stopReason).toBeNull();
      expect(c.recoverUntil).toBe(AT + 300 * SECOND);
      expect(c.notice?.reason).toBe('JobRecovering');
    },
  },
  {
    rule: 'J.Started.6',
    name: 'HA: still 404 before recoverUntil: keep waiting, the deadline does not move',
    from: { Started: 'Running' },
    context: runningJobContext({ recoverUntil: AT + 10 * SECOND }),
    event: jobObserved(AT + 9 * SECOND, {
      flinkJob: 'NOT_FOUND',
      cluster: clusterView({ highAvailability: true }),
    }),
    to: { Started: 'Running' },
    check: (c) => expect(c.recoverUntil).toBe(AT + 10 * SECOND),
  },
  {
    rule: 'J.Started.7',
    name: 'lost (404)',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND' }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.stopReason).toBe('Lost');
      expect(c.notice?.reason).toBe('JobLost');
    },
  },
  {
    rule: 'J.Started.7',
    name: 'HA: not recovered by recoverUntil: lost after all',
    from: { Started: 'Running' },
    context: runningJobContext({ recoverUntil: AT }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND', cluster: clusterView({ highAvailability: true }) }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.stopReason).toBe('Lost');
      expect(c.recoverUntil).toBeNull();
      expect(c.notice?.message).toContain('within taskTimeout (HA)');
    },
  },
  ...(['FINISHED', 'FAILED', 'CANCELED'] as const).map((state): Row => ({
    rule: 'J.Started.8',
    name: `Flink reports ${state}`,
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: state }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.stopReason).toBe({ FINISHED: 'Finished', FAILED: 'Failed', CANCELED: 'Canceled' }[state]);
      expect(c.parallelism).toBe(0);
      expect(c.lastFlinkState).toBe(state);
    },
  })),
  {
    rule: 'J.Started.9',
    name: 'in-flight savepoint passed its deadline',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: { ...inFlight, deadline: AT } }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.savepoint).toBeNull();
      expect(c.notice?.reason).toBe('SavepointAbandoned');
    },
  },
  {
    rule: 'J.Started.10',
    name: 'periodic savepoint due',
    from: { Started: 'Running' },
    context: runningJobContext({ enteredAt: T0 }),
    event: jobObserved(T0 + 60 * SECOND, { flinkJob: 'RUNNING' }, { savepointIntervalSeconds: 60 }),
    to: { Started: { Savepointing: 'Recording' } },
    check: (c) => expect(c.savepoint?.kind).toBe('periodic'),
  },
  {
    rule: 'J.Started.12',
    name: 'gated upgrade restarts beyond the limit, rollback on: stop it without savepoint',
    from: { Started: 'Running' },
    context: runningJobContext({
      specDigest: 'bootstrap-2',
      lastFlinkState: 'RUNNING',
      stableSpec: { specDigest: 'bootstrap-1', parallelism: 1 },
      upgrade: verifying({ specDigest: 'bootstrap-2' }),
    }),
    event: jobObserved(AT, { flinkJob: 'RESTARTING', specDigest: 'bootstrap-2' }, gate({ rollback: true })),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.upgrade?.phase).toBe('RollingBack');
      expect(c.upgrade?.restarts).toBe(1);
      expect(c.stop).toMatchObject({ reason: 'RollingBack', restart: true, withoutSavepoint: true });
      expect(c.notice?.reason).toBe('RollingBack');
    },
  },
  {
    rule: 'J.Started.13',
    name: 'gated upgrade restarts beyond the limit, rollback off: say so, leave the job',
    from: { Started: 'Running' },
    context: runningJobContext({
      specDigest: 'bootstrap-2',
      lastFlinkState: 'RUNNING',
      upgrade: verifying({ specDigest: 'bootstrap-2', restarts: 1 }),
    }),
    event: jobObserved(
      AT,
      { flinkJob: 'RESTARTING', specDigest: 'bootstrap-2' },
      gate({ healthCheckMaxRestarts: 1 }),
    ),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.upgrade?.phase).toBe('Failed');
      expect(c.upgrade?.reason).toContain('restarted 2 time(s)');
      expect(c.stop).toBeNull();
      expect(c.notice?.reason).toBe('UpgradeFailed');
    },
  },
  {
    rule: 'J.Started.14',
    name: 'gated upgrade ran its window within the limit: its spec becomes the stable one',
    from: { Started: 'Running' },
    context: runningJobContext({
      specDigest: 'bootstrap-2',
      parallelism: 2,
      lastFlinkState: 'RUNNING',
      stableSpec: { specDigest: 'bootstrap-1', parallelism: 1 },
      upgrade: verifying({ specDigest: 'bootstrap-2', until: AT }),
    }),
    event: jobObserved(AT, { flinkJob: 'RUNNING', specDigest: 'bootstrap-2' }, gate({ jobParallelism: 2 })),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.upgrade?.phase).toBe('Healthy');
      expect(c.stableSpec).toEqual({ specDigest: 'bootstrap-2', parallelism: 2 });
      expect(c.notice?.reason).toBe('UpgradeHealthy');
    },
  },
  {
    rule: 'J.Started.16',
    name: 'gated upgrade still inside its window: wait',
    from: { Started: 'Running' },
    context: runningJobContext({
      specDigest: 'bootstrap-2',
      lastFlinkState: 'RUNNING',
      upgrade: verifying({ specDigest: 'bootstrap-2', until: AT + SECOND }),
    }),
    event: jobObserved(AT, { flinkJob: 'RUNNING', specDigest: 'bootstrap-2' }, gate()),
    to: { Started: 'Running' },
    check: (c) => expect(c.upgrade?.phase).toBe('Verifying'),
  },
  {
    rule: 'J.Started.16',
    name: 'rolled back: the FlinkJob still asking for the failed spec is no change',
    from: { Started: 'Running' },
    context: runningJobContext({
      specDigest: 'bootstrap-1',
      stableSpec: { specDigest: 'bootstrap-1', parallelism: 1 },
      upgrade: { ...verifying({ specDigest: 'bootstrap-2', parallelism: 3 }), phase: 'RolledBack' },
    }),
    event: jobObserved(
      AT,
      { flinkJob: 'RUNNING', specDigest: 'bootstrap-2' },
      gate({ rollback: true, jobParallelism: 3 }),
    ),
    to: { Started: 'Running' },
    check: (c) => expect(c.stop).toBeNull(),
  },
  {
    rule: 'J.Started.16',
    name: 'an adopted cluster brings a new epoch while the job runs: follow it',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'RUNNING', cluster: clusterView({ epoch: 7 }) }),
    to: { Started: 'Running' },
    check: (c) => expect(c.clusterEpoch).toBe(7),
  },
  {
    rule: 'J.Started.16',
    name: 'running, nothing due',
    from: { Started: 'Running' },
    context: runningJobContext({ enteredAt: T0 }),
    event: jobObserved(AT, { flinkJob: 'RESTARTING' }, { savepointIntervalSeconds: 60 }),
    to: { Started: 'Running' },
    check: (c) => expect(c.lastFlinkState).toBe('RESTARTING'),
  },
  {
    rule: 'J.Started.16',
    name: 'HA: the recovered job runs again under its id: the wait is over',
    from: { Started: 'Running' },
    context: runningJobContext({ recoverUntil: AT + 10 * SECOND }),
    event: jobObserved(AT, { flinkJob: 'RUNNING', cluster: clusterView({ highAvailability: true }) }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.recoverUntil).toBeNull();
      expect(c.jobId).toBe(runningJobContext().jobId);
    },
  },
  {
    rule: 'J.Started.T1',
    name: 'periodic savepoint waiter fires',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: done('savepointDue', { at: AT }),
    to: { Started: { Savepointing: 'Recording' } },
    check: (c) => expect(c.savepoint?.kind).toBe('periodic'),
  },
  {
    rule: 'J.Started.T2',
    name: 'savepoint timeout waiter fires',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: done('savepointTimeout', { at: AT }),
    to: { Started: 'Running' },
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Started.S1',
    name: 'savepoint completed',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: done('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/sp-1', at: AT }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.savepointPath).toBe('s3://savepoints/sp-1');
      expect(c.savepointAt).toBe(AT);
      // The path is this trigger's: only its record takes it (K16).
      expect(c.savepointTriggerId).toBe(inFlight.triggerId);
      expect(c.savepoint).toBeNull();
    },
  },
  {
    rule: 'J.Started.S2',
    name: 'trigger unknown to Flink: send it again, same id',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: done('awaitSavepoint', { status: 'UNKNOWN_TRIGGER' }),
    to: { Started: { Savepointing: 'Triggering' } },
    starts: ['triggerSavepoint'],
    check: (c) => expect(c.savepoint?.triggerId).toBe(inFlight.triggerId),
  },
  {
    rule: 'J.Started.S3',
    name: 'savepoint failed',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: done('awaitSavepoint', { status: 'FAILED', reason: 'disk full' }),
    to: { Started: 'Running' },
    check: (c) => expect(c.notice?.message).toContain('disk full'),
  },
  {
    rule: 'J.Started.S4',
    name: 'savepoint status unreadable: kept in flight, not abandoned',
    from: { Started: { Savepointing: 'Awaiting' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: failed('awaitSavepoint'),
    to: { Started: { Savepointing: 'Unread' } },
    check: (c) => expect(c.savepoint).toEqual(inFlight),
  },
  {
    rule: 'J.Started.S5',
    name: 'trigger sent, answer lost: polled, not abandoned',
    from: { Started: { Savepointing: 'Triggering' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: done('triggerSavepoint', { at: AT, outcomeUnknown: true }),
    to: { Started: { Savepointing: 'Unread' } },
    check: (c) => {
      expect(c.savepoint).toEqual(inFlight);
      expect(c.notice?.reason ?? '').not.toMatch(/Abandon|Fail/);
    },
  },
  {
    rule: 'J.Started.11',
    name: 'unread savepoint: the next observation polls it again',
    from: { Started: { Savepointing: 'Unread' } },
    context: runningJobContext({ savepoint: inFlight }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Started: { Savepointing: 'Awaiting' } },
    starts: ['awaitSavepoint'],
  },
  // Stopping.
  {
    rule: 'J.Stopping.A1',
    name: 'STOP cancels a pending restart',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'SpecChanged', restart: true }),
    event: requested('STOP', AT),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Manual', restart: false }),
  },
  {
    rule: 'J.Stopping.A2',
    name: 'START while stopping',
    from: { Stopping: 'Idle' },
    context: stopping(),
    event: requested('START', AT, true),
    to: { Stopping: 'Idle' },
    check: (c) =>
      expect(c.stop).toMatchObject({ reason: 'RestartRequested', restart: true, clearSavepointPath: true }),
  },
  {
    rule: 'J.Stopping.0',
    name: 'stale observation',
    from: { Stopping: 'Idle' },
    context: stopping(),
    event: jobObserved(T0, { flinkJob: 'FINISHED' }),
    to: { Stopping: 'Idle' },
  },
  {
    rule: 'J.Stopping.1',
    name: 'deleted while stopping',
    from: { Stopping: { Cancelling: 'Awaiting' } },
    context: stopping({ reason: 'SpecChanged', restart: true }),
    event: jobObserved(AT, { deletionRequested: true, flinkJob: 'CANCELLING' }),
    to: { Stopping: { Cancelling: 'Awaiting' } },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Deleted', delete: true, restart: false }),
  },
  {
    rule: 'J.Stopping.2',
    name: 'delete the bootstrap first',
    from: { Stopping: 'Idle' },
    context: stopping(),
    event: jobObserved(AT, { bootstrap: 'active', bootstrapJobId: JOB_ID, flinkJob: 'RUNNING' }),
    to: { Stopping: 'DeletingBootstrap' },
    starts: ['deleteBootstrap'],
  },
  {
    rule: 'J.Stopping.3',
    name: 'bootstrap still there',
    from: { Stopping: 'DeletingBootstrap' },
    context: stopping(),
    event: jobObserved(AT, { bootstrap: 'active', bootstrapJobId: JOB_ID, flinkJob: 'RUNNING' }),
    to: { Stopping: 'DeletingBootstrap' },
  },
  {
    rule: 'J.Stopping.5',
    name: 'cluster stopped: nothing to stop',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: T0 + 300 * SECOND }),
    event: jobObserved(AT, {
      cluster: clusterView({ state: 'Stopped', healthy: false }),
      flinkJob: 'UNREACHABLE',
    }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.jobId).toBeNull();
      expect(c.stopReason).toBe('Manual');
    },
  },
  {
    rule: 'J.Stopping.15',
    name: 'STOP, no HA, JobManager pod gone: stopped at once',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: T0 + 300 * SECOND }),
    event: jobObserved(AT, {
      cluster: clusterView({ state: 'Stopping', healthy: false, jobManagerGone: true }),
      flinkJob: 'UNREACHABLE',
    }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.jobId).toBeNull();
      expect(c.notice?.reason).toBe('JobManagerGoneWhileStopping');
      expect(c.notice?.message).toContain('cannot be read');
    },
  },
  {
    rule: 'J.Stopping.6',
    name: 'Flink job gone',
    from: { Stopping: { Cancelling: 'Awaiting' } },
    context: stopping(),
    event: jobObserved(AT, { flinkJob: 'CANCELED' }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'J.Stopping.7',
    name: 'cancel not confirmed within taskTimeout: give up',
    from: { Stopping: { Cancelling: 'Awaiting' } },
    context: stopping({ cancelDeadline: AT }),
    event: jobObserved(AT, { flinkJob: 'UNREACHABLE' }),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.notice?.reason).toBe('CancelTimedOut'),
  },
  {
    rule: 'J.Stopping.8',
    name: 'stop-with-savepoint timed out: fall back to cancel',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT }),
    event: jobObserved(AT, { flinkJob: 'UNREACHABLE' }),
    to: { Stopping: { Cancelling: 'Requesting' } },
    starts: ['cancelTimeout', 'cancelJob'],
    check: (c) => {
      expect(c.stop?.savepointAbandoned).toBe(true);
      expect(c.notice?.reason).toBe('StopWithSavepointFailed');
    },
  },
  {
    rule: 'J.Stopping.9',
    name: 'savepoint in flight before the stop timed out',
    from: { Stopping: 'FinishingSavepoint' },
    context: stopping({}, { savepoint: { ...inFlight, deadline: AT } }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Stopping.12',
    name: 'let the in-flight savepoint finish',
    from: { Stopping: 'Idle' },
    context: stopping({}, { savepoint: inFlight }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Stopping: 'FinishingSavepoint' },
    starts: ['awaitSavepoint', 'savepointTimeout'],
  },
  {
    rule: 'J.Stopping.13',
    name: 'Automatic: stop-with-savepoint, trigger id recorded first',
    from: { Stopping: 'Idle' },
    context: stopping({}, { savepointCounter: 7 }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Stopping: { SavepointStop: 'Recording' } },
    starts: ['savepointStopTimeout', 'persist'],
    check: (c) => {
      expect(c.savepointCounter).toBe(8);
      expect(c.stop?.triggerId).toMatch(/^[0-9a-f]{32}$/);
      expect(c.stop?.savepointDeadline).toBe(AT + 300 * SECOND);
    },
  },
  {
    rule: 'J.Stopping.14',
    name: 'Manual mode: cancel',
    from: { Stopping: 'Idle' },
    context: stopping(),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { savepointMode: 'Manual' }),
    to: { Stopping: { Cancelling: 'Requesting' } },
    starts: ['cancelTimeout', 'cancelJob'],
    check: (c) => expect(c.stop?.cancelDeadline).toBe(AT + 300 * SECOND),
  },
  {
    rule: 'J.Stopping.14',
    name: 'withoutSavepoint: cancel',
    from: { Stopping: 'Idle' },
    context: stopping({ withoutSavepoint: true }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Stopping: { Cancelling: 'Requesting' } },
  },
  {
    rule: 'J.Stopping.14',
    name: 'deleted without savepointOnDelete: cancel',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'Deleted', delete: true }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }),
    to: { Stopping: { Cancelling: 'Requesting' } },
  },
  {
    rule: 'J.Stopping.13',
    name: 'deleted with savepointOnDelete: stop with savepoint',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'Deleted', delete: true }),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { savepointOnDelete: true }),
    to: { Stopping: { SavepointStop: 'Recording' } },
  },
  {
    rule: 'J.Stopping.16',
    name: 'an upgrade whose JobManager is gone does not skip: its snapshot fallback decides (timeout, then checkpoint)',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({
      reason: 'SpecChanged',
      restart: true,
      triggerId: 'e'.repeat(32),
      savepointDeadline: AT + 300 * SECOND,
    }),
    event: jobObserved(AT, {
      cluster: clusterView({ state: 'Stopping', healthy: false, jobManagerGone: true }),
      flinkJob: 'UNREACHABLE',
    }),
    to: { Stopping: { SavepointStop: 'Awaiting' } },
  },
  {
    rule: 'J.Stopping.16',
    name: 'cancel requested, waiting',
    from: { Stopping: { Cancelling: 'Awaiting' } },
    context: stopping({ cancelDeadline: AT + 5 }),
    event: jobObserved(AT, { flinkJob: 'CANCELLING' }),
    to: { Stopping: { Cancelling: 'Awaiting' } },
  },
  {
    rule: 'J.Stopping.F1',
    name: 'in-flight savepoint completed',
    from: { Stopping: 'FinishingSavepoint' },
    context: stopping({}, { savepoint: inFlight }),
    event: done('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/sp-9' }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.savepointPath).toBe('s3://savepoints/sp-9');
      expect(c.savepointTriggerId).toBe(inFlight.triggerId);
    },
  },
  {
    rule: 'J.Stopping.F2',
    name: 'in-flight savepoint failed',
    from: { Stopping: 'FinishingSavepoint' },
    context: stopping({}, { savepoint: inFlight }),
    event: done('awaitSavepoint', { status: 'UNKNOWN_TRIGGER' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Stopping.F3',
    name: 'in-flight savepoint timed out',
    from: { Stopping: 'FinishingSavepoint' },
    context: stopping({}, { savepoint: inFlight }),
    event: done('savepointTimeout', { at: AT }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Stopping.F4',
    name: 'in-flight savepoint status unreadable: kept, polled again',
    from: { Stopping: 'FinishingSavepoint' },
    context: stopping({}, { savepoint: inFlight }),
    event: failed('awaitSavepoint'),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.savepoint).toEqual(inFlight),
  },
  {
    rule: 'J.Stopping.4',
    name: 'stop outcome unread, the job finished: read its savepoint from the statistics',
    from: { Stopping: { Cancelling: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointAbandoned: true, savepointOutcome: 'Unread' }),
    event: jobObserved(AT, { flinkJob: 'FINISHED' }),
    to: { Stopping: 'ReadingSavepoint' },
    starts: ['readSnapshots'],
  },
  {
    rule: 'J.Stopping.R2',
    name: 'a newer savepoint is named: remember it',
    from: { Stopping: 'ReadingSavepoint' },
    context: stopping(
      { triggerId: 'e'.repeat(32), savepointOutcome: 'Unread' },
      { savepointPath: 's3://savepoints/old' },
    ),
    event: done('readSnapshots', {
      checkpoint: null,
      savepoint: { path: 's3://savepoints/new', completedAt: AT },
      at: AT,
    }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.savepointPath).toBe('s3://savepoints/new');
      expect(c.savepointTriggerId).toBe('e'.repeat(32));
      expect(c.stop?.savepointOutcome).toBe('Completed');
    },
  },
  {
    rule: 'J.Stopping.R3',
    name: 'no newer savepoint: the stop took none',
    from: { Stopping: 'ReadingSavepoint' },
    context: stopping(
      { triggerId: 'e'.repeat(32), savepointOutcome: 'Unread' },
      { savepointPath: 's3://savepoints/old' },
    ),
    event: done('readSnapshots', {
      checkpoint: null,
      savepoint: { path: 's3://savepoints/old', completedAt: AT },
    }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.savepointPath).toBe('s3://savepoints/old');
      expect(c.stop?.savepointOutcome).toBe('Lost');
    },
  },
  {
    rule: 'J.Stopping.R4',
    name: 'Flink did not answer: lost',
    from: { Stopping: 'ReadingSavepoint' },
    context: stopping({ triggerId: 'e'.repeat(32), savepointOutcome: 'Unread' }),
    event: failed('readSnapshots'),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.savepointOutcome).toBe('Lost'),
  },
  {
    rule: 'J.Stopping.10',
    name: 'stateless upgrade: cancel and forget the snapshots',
    from: { Stopping: 'Idle' },
    context: stopping(
      { reason: 'SpecChanged', restart: true },
      { policy: jobPolicy({ upgradeMode: 'stateless' }), savepointPath: 's3://savepoints/sp-1' },
    ),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { upgradeMode: 'stateless' }),
    to: { Stopping: { Cancelling: 'Requesting' } },
    check: (c) => {
      expect(c.stop?.clearSavepointPath).toBe(true);
      expect(c.notice?.reason).toBe('StatelessUpgrade');
    },
  },
  {
    rule: 'J.Stopping.11',
    name: 'last-state upgrade: choose a checkpoint before cancelling',
    from: { Stopping: 'Idle' },
    context: stopping(
      { reason: 'SpecChanged', restart: true },
      { policy: jobPolicy({ upgradeMode: 'last-state' }) },
    ),
    event: jobObserved(AT, { flinkJob: 'RUNNING' }, { upgradeMode: 'last-state' }),
    to: { Stopping: 'ChoosingCheckpoint' },
    starts: ['readSnapshots'],
  },
  {
    rule: 'J.Stopping.K1',
    name: 'Flink names a young checkpoint: recorded first (write-ahead)',
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping({ reason: 'SpecChanged', restart: true }, { now: AT }),
    event: done('readSnapshots', { checkpoint: CP_RECENT, savepoint: null, at: AT }),
    to: { Stopping: 'RecordingRestore' },
    starts: ['persist'],
    check: (c) => {
      expect(c.stop?.checkpoint?.path).toBe('s3://checkpoints/chk-7');
      expect(c.notice?.reason).toBe('CheckpointChosen');
    },
  },
  {
    rule: 'J.Stopping.K2',
    name: 'only an old checkpoint: stop and ask',
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping({ reason: 'SpecChanged', restart: true }, { now: AT }),
    event: done('readSnapshots', {
      checkpoint: { path: 's3://checkpoints/chk-1', completedAt: AT - 3600 * SECOND },
      savepoint: null,
      at: AT,
    }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.stop).toMatchObject({ asked: true, restart: false, reason: 'SnapshotUnavailable' });
      expect(c.notice?.reason).toBe('SnapshotUnavailable');
      expect(c.notice?.message).toContain('--without-savepoint');
    },
  },
  {
    rule: 'J.Stopping.K3',
    name: 'JobManager unreachable: the recorded checkpoint, when young enough',
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping({ reason: 'SpecChanged', restart: true }, { now: AT, lastCheckpoint: CP_RECENT }),
    event: failed('readSnapshots'),
    to: { Stopping: 'RecordingRestore' },
    check: (c) => expect(c.stop?.checkpoint).toEqual(CP_RECENT),
  },
  {
    rule: 'J.Stopping.K4',
    name: 'JobManager unreachable, nothing recorded: stop and ask',
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping({ reason: 'Rescale', restart: true }, { now: AT }),
    event: failed('readSnapshots'),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.asked).toBe(true),
  },
  {
    rule: 'J.Stopping.K5',
    name: "no checkpoint, the job's own savepoint is young: restart from it (recorded first)",
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping(
      { reason: 'SpecChanged', restart: true },
      { now: AT, savepointPath: 's3://savepoints/own', savepointAt: AT - 30 * SECOND },
    ),
    event: done('readSnapshots', { checkpoint: null, savepoint: null, at: AT }),
    to: { Stopping: 'RecordingRestore' },
    starts: ['persist'],
    check: (c) => {
      expect(c.stop?.checkpoint?.path).toBe('s3://savepoints/own');
      expect(c.notice?.reason).toBe('CheckpointChosen');
    },
  },
  {
    rule: 'J.Stopping.K6',
    name: "JobManager unreachable: the job's own savepoint, when newer than the recorded checkpoint and young",
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping(
      { reason: 'SpecChanged', restart: true },
      {
        now: AT,
        savepointPath: 's3://savepoints/own',
        savepointAt: AT - 30 * SECOND,
        lastCheckpoint: { path: 's3://checkpoints/chk-1', completedAt: AT - 60 * SECOND },
      },
    ),
    event: failed('readSnapshots'),
    to: { Stopping: 'RecordingRestore' },
    check: (c) => expect(c.stop?.checkpoint?.path).toBe('s3://savepoints/own'),
  },
  {
    rule: 'J.Stopping.D0',
    name: 'an upgrade whose job is gone without a savepoint chooses a checkpoint first',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'SpecChanged', restart: true }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND' }),
    to: { Stopping: 'ChoosingCheckpoint' },
    check: (c) => expect(c.stop?.checkpointConfirmed).toBe(true),
  },
  {
    rule: 'J.Stopping.K7',
    name: 'the re-read after the job ended names no newer checkpoint: the choice stands',
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping(
      {
        reason: 'SpecChanged',
        restart: true,
        checkpoint: { path: 's3://checkpoints/chk-2', completedAt: AT - 2 * SECOND },
        checkpointConfirmed: true,
      },
      { now: AT },
    ),
    event: done('readSnapshots', {
      checkpoint: { path: 's3://checkpoints/chk-2', completedAt: AT - 2 * SECOND },
      savepoint: null,
    }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.checkpointRestore?.path).toBe('s3://checkpoints/chk-2'),
  },
  {
    rule: 'J.Stopping.K8',
    name: 'the re-read after the job ended got no answer: the choice stands, however old by now',
    from: { Stopping: 'ChoosingCheckpoint' },
    context: stopping(
      {
        reason: 'SpecChanged',
        restart: true,
        checkpoint: { path: 's3://checkpoints/chk-2', completedAt: AT - 3600 * SECOND },
        checkpointConfirmed: true,
      },
      { now: AT },
    ),
    event: failed('readSnapshots'),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.checkpointRestore?.path).toBe('s3://checkpoints/chk-2'),
  },
  {
    rule: 'J.Stopping.D4',
    name: 'the job ended after an upgrade chose a checkpoint: choose again, once (the chosen one may be subsumed)',
    from: { Stopping: 'Idle' },
    context: stopping({
      reason: 'SpecChanged',
      restart: true,
      checkpoint: { path: 's3://checkpoints/chk-1', completedAt: AT - 2 * SECOND },
    }),
    event: jobObserved(AT, { flinkJob: 'CANCELED' }),
    to: { Stopping: 'ChoosingCheckpoint' },
    check: (c) => expect(c.stop?.checkpointConfirmed).toBe(true),
  },
  {
    rule: 'J.Stopping.T3',
    name: 'upgrade stop-with-savepoint waiter fires: choose a checkpoint, outcome still unread',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({
      reason: 'SpecChanged',
      restart: true,
      triggerId: 'e'.repeat(32),
      savepointDeadline: AT,
      savepointOutcome: 'Unread',
    }),
    event: done('savepointStopTimeout', { at: AT }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ savepointAbandoned: true, savepointOutcome: 'Unread' }),
  },
  {
    rule: 'J.Stopping.S5',
    name: 'upgrade stop-with-savepoint failed: choose a checkpoint before cancelling',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({
      reason: 'SpecChanged',
      restart: true,
      triggerId: 'e'.repeat(32),
      savepointDeadline: AT + 5,
      savepointOutcome: 'Unread',
    }),
    event: done('awaitSavepoint', { status: 'FAILED', reason: 'target not writable' }),
    to: { Stopping: 'Idle' },
    check: (c) => {
      expect(c.stop?.savepointOutcome).toBe('Lost');
      expect(c.notice?.message).toContain('newest checkpoint');
    },
  },
  {
    rule: 'J.Stopping.T1',
    name: 'stop-with-savepoint waiter fires',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT }),
    event: done('savepointStopTimeout', { at: AT }),
    to: { Stopping: { Cancelling: 'Requesting' } },
    check: (c) => expect(c.stop?.savepointAbandoned).toBe(true),
  },
  {
    rule: 'J.Stopping.S1',
    name: 'stopped with a savepoint',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT + 5 }),
    event: done('awaitSavepoint', { status: 'COMPLETED', location: 's3://savepoints/final', at: AT }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.savepointPath).toBe('s3://savepoints/final');
      expect(c.savepointTriggerId).toBe('e'.repeat(32));
      expect(c.jobId).toBeNull();
      expect(c.stopReason).toBe('Manual');
    },
  },
  {
    rule: 'J.Stopping.S2',
    name: 'stop trigger unknown: send again, same id',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT + 5 }),
    event: done('awaitSavepoint', { status: 'UNKNOWN_TRIGGER' }),
    to: { Stopping: { SavepointStop: 'Requesting' } },
    starts: ['stopWithSavepoint'],
    check: (c) => expect(c.stop?.triggerId).toBe('e'.repeat(32)),
  },
  {
    rule: 'J.Stopping.S3',
    name: 'stop-with-savepoint failed: cancel',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT + 5 }),
    event: done('awaitSavepoint', { status: 'FAILED', reason: 'checkpoint declined' }),
    to: { Stopping: { Cancelling: 'Requesting' } },
    check: (c) => expect(c.notice?.message).toContain('checkpoint declined'),
  },
  {
    rule: 'J.Stopping.S4',
    name: 'stop status unreadable: retry',
    from: { Stopping: { SavepointStop: 'Awaiting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT + 5 }),
    event: failed('awaitSavepoint'),
    to: { Stopping: 'Idle' },
  },
  {
    rule: 'J.Stopping.R1',
    name: 'stop request failed: retry',
    from: { Stopping: { SavepointStop: 'Requesting' } },
    context: stopping({ triggerId: 'e'.repeat(32), savepointDeadline: AT + 5 }),
    event: failed('stopWithSavepoint'),
    to: { Stopping: 'Idle' },
  },
  {
    rule: 'J.Stopping.C1',
    name: 'cancel request failed: retry',
    from: { Stopping: { Cancelling: 'Requesting' } },
    context: stopping({ cancelDeadline: AT + 5 }),
    event: failed('cancelJob'),
    to: { Stopping: 'Idle' },
  },
  {
    rule: 'J.Stopping.T2',
    name: 'cancel waiter fires: give up',
    from: { Stopping: { Cancelling: 'Awaiting' } },
    context: stopping({ cancelDeadline: AT }),
    event: done('cancelTimeout', { at: AT }),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.notice?.reason).toBe('CancelTimedOut'),
  },
  {
    rule: 'J.Stopping.D1',
    name: 'deleting: Terminated',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'Deleted', delete: true }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND' }),
    to: 'Terminated',
  },
  {
    rule: 'J.Stopping.D1',
    name: 'deleting with a savepoint still in flight: Terminated, the savepoint out of flight, its record resolved by the history (K18, seed 1011556)',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'Deleted', delete: true }, { savepoint: inFlight }),
    event: jobObserved(AT, { flinkJob: 'NOT_FOUND' }),
    to: 'Terminated',
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Stopping.D2',
    name: 'restart: Starting, savepoint forgotten when asked',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'RestartRequested', restart: true, clearSavepointPath: true }),
    event: jobObserved(AT, { flinkJob: 'FINISHED' }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => {
      expect(c.savepointPath).toBeNull();
      expect(c.jobId).toBeNull();
    },
  },
  {
    rule: 'J.Stopping.D3',
    name: 'otherwise: Stopped',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'Rescale' }),
    event: jobObserved(AT, { flinkJob: 'NONE' }),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.stopReason).toBe('Rescale');
      expect(c.deadlines.restartAt).toBe(AT + 60 * SECOND);
    },
  },
  // Stopped.
  {
    rule: 'J.Stopped.A1',
    name: 'START without savepoint',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Manual' }),
    event: requested('START', AT, true),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => {
      expect(c.savepointPath).toBeNull();
      expect(c.lastAction?.outcome).toBe('accepted');
    },
  },
  {
    rule: 'J.Stopped.A1',
    name: 'START keeps the savepoint',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Manual' }),
    event: requested('START', AT),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.savepointPath).toBe('s3://savepoints/sp-0'),
  },
  {
    rule: 'J.Stopped.A2',
    name: 'STOP makes the stop durable',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed' }),
    event: requested('STOP', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.stopReason).toBe('Manual'),
  },
  {
    rule: 'J.Stopped.A3',
    name: 'FORGET_SAVEPOINT',
    from: { Stopped: 'Idle' },
    context: stopped(),
    event: requested('FORGET_SAVEPOINT', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.savepointPath).toBeNull(),
  },
  {
    rule: 'J.Stopped.A4',
    name: 'TRIGGER_SAVEPOINT rejected',
    from: { Stopped: 'Idle' },
    context: stopped(),
    event: requested('TRIGGER_SAVEPOINT', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.lastAction).toMatchObject({ outcome: 'rejected', action: 'TRIGGER_SAVEPOINT' }),
  },
  {
    rule: 'J.Stopped.0',
    name: 'stale observation',
    from: { Stopped: 'Idle' },
    context: stopped(),
    event: jobObserved(T0, { deletionRequested: true }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'J.Stopped.1',
    name: 'deleted',
    from: { Stopped: 'Idle' },
    context: stopped(),
    event: jobObserved(AT, { deletionRequested: true }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop?.delete).toBe(true),
  },
  {
    rule: 'J.Stopped.2',
    name: 'cluster terminated',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'ClusterStopped' }),
    event: jobObserved(AT, { cluster: clusterView({ state: 'Terminated', healthy: false, ready: false }) }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'J.Stopped.3',
    name: 'leftover bootstrap',
    from: { Stopped: 'Idle' },
    context: stopped(),
    event: jobObserved(AT, { bootstrap: 'failed', bootstrapJobId: 'x' }),
    to: { Stopped: 'DeletingBootstrap' },
    starts: ['deleteBootstrap'],
  },
  {
    rule: 'J.Stopped.4',
    name: 'bootstrap still there',
    from: { Stopped: 'DeletingBootstrap' },
    context: stopped(),
    event: jobObserved(AT, { bootstrap: 'failed', bootstrapJobId: 'x' }),
    to: { Stopped: 'DeletingBootstrap' },
  },
  {
    rule: 'J.Stopped.5',
    name: 'gated upgrade failed in Flink, rollback on: resubmit the stable spec from the snapshot before it',
    from: { Stopped: 'Idle' },
    context: stopped({
      specDigest: 'bootstrap-2',
      savepointPath: 's3://savepoints/sp-9',
      stableSpec: { specDigest: 'bootstrap-1', parallelism: 1 },
      upgrade: verifying({
        specDigest: 'bootstrap-2',
        snapshot: { path: 's3://savepoints/sp-0', kind: 'savepoint' },
      }),
    }),
    event: jobObserved(AT, { specDigest: 'bootstrap-2' }, gate({ rollback: true, restartPolicy: 'Always' })),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => {
      expect(c.upgrade?.phase).toBe('RollingBack');
      expect(c.upgrade?.reason).toContain('stopped (Failed)');
    },
  },
  {
    rule: 'J.Stopped.6',
    name: 'gated upgrade failed to start, rollback off: stays stopped, no restart by policy',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'BootstrapFailed', upgrade: verifying({ specDigest: 'bootstrap-1' }) }),
    event: jobObserved(AT + 120 * SECOND, {}, gate({ restartPolicy: 'Always' })),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.upgrade?.phase).toBe('Failed');
      expect(c.stopReason).toBe('UpgradeFailed');
    },
  },
  {
    rule: 'J.Stopped.7',
    name: 'stopped by a failed upgrade, the spec changed again: start the new spec, gated',
    from: { Stopped: 'Idle' },
    context: stopped({
      stopReason: 'UpgradeFailed',
      upgrade: { ...verifying({ specDigest: 'bootstrap-2' }), phase: 'Failed' },
    }),
    event: jobObserved(AT, { specDigest: 'bootstrap-3' }, gate()),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.upgrade).toMatchObject({ phase: 'Verifying', specDigest: 'bootstrap-3' }),
  },
  {
    rule: 'J.Stopped.8',
    name: 'cluster back: resume whatever the policy',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'ClusterStopped' }),
    event: jobObserved(AT, { cluster: clusterView({ epoch: 2 }) }, { restartPolicy: 'Never' }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.savepointPath).toBe('s3://savepoints/sp-0'),
  },
  {
    rule: 'J.Stopped.8',
    name: 'last-state: the cluster back, resume from the recorded checkpoint newer than the savepoint',
    from: { Stopped: 'Idle' },
    context: stopped({
      stopReason: 'ClusterStopped',
      savepointAt: T0 - 600 * SECOND,
      lastCheckpoint: CP_RECENT,
      policy: { ...stopped().policy, upgradeMode: 'last-state' },
    }),
    event: jobObserved(AT, { cluster: clusterView({ epoch: 2 }) }, { upgradeMode: 'last-state' }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => {
      expect(c.checkpointRestore).toEqual(CP_RECENT);
      expect(c.notice?.reason).toBe('CheckpointChosen');
    },
  },
  {
    rule: 'J.Stopped.8',
    name: 'savepoint mode: the cluster back, resume from the savepoint whatever the checkpoints',
    from: { Stopped: 'Idle' },
    context: stopped({
      stopReason: 'ClusterStopped',
      savepointAt: T0 - 600 * SECOND,
      lastCheckpoint: CP_RECENT,
    }),
    event: jobObserved(AT, { cluster: clusterView({ epoch: 2 }) }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.checkpointRestore).toBeNull(),
  },
  {
    rule: 'J.Stopped.8',
    name: 'cluster started without savepoint: resume stateless',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'ClusterStopped' }),
    event: jobObserved(AT, { cluster: clusterView({ epoch: 2, startWithoutSavepoint: true }) }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.savepointPath).toBeNull(),
  },
  {
    rule: 'J.Stopped.9',
    name: 'parallelism back above 0',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Suspended' }),
    event: jobObserved(AT, {}, { jobParallelism: 1 }),
    to: { Starting: 'WaitingForCluster' },
  },
  {
    rule: 'J.Stopped.10',
    name: 'restart by policy after its cluster was started without savepoint (new epoch): without state',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Lost', clusterEpoch: 1 }),
    event: jobObserved(
      T0 + 60 * SECOND,
      { cluster: clusterView({ epoch: 2, startWithoutSavepoint: true }) },
      { restartPolicy: 'Always' },
    ),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => {
      expect(c.savepointPath).toBeNull();
      expect(c.notice?.message).toContain('without savepoint');
    },
  },
  {
    rule: 'J.Stopped.10',
    name: 'restart by policy in the epoch the job ran in: from its savepoint, whatever the cluster started with',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Lost', clusterEpoch: 2 }),
    event: jobObserved(
      T0 + 60 * SECOND,
      { cluster: clusterView({ epoch: 2, startWithoutSavepoint: true }) },
      { restartPolicy: 'Always' },
    ),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.savepointPath).toBe('s3://savepoints/sp-0'),
  },
  {
    rule: 'J.Stopped.10',
    name: 'restartDelay elapsed, OnlyIfFailed and failed',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed' }),
    event: jobObserved(T0 + 60 * SECOND, {}, { restartPolicy: 'OnlyIfFailed' }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.notice?.reason).toBe('RestartedByPolicy'),
  },
  {
    rule: 'J.Stopped.11',
    name: 'policy allows a restart: wait restartDelay',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Finished' }),
    event: jobObserved(AT, {}, { restartPolicy: 'Always' }),
    to: { Stopped: 'RestartPending' },
    starts: ['restartDelay'],
  },
  {
    rule: 'J.Stopped.12',
    name: 'policy changed to Never while waiting',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed' }),
    event: jobObserved(AT, {}, { restartPolicy: 'Never' }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'J.Stopped.13',
    name: 'manual stop stays stopped with Always',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Manual' }),
    event: jobObserved(T0 + 3600 * SECOND, {}, { restartPolicy: 'Always' }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'J.Stopped.13',
    name: 'finished job with OnlyIfFailed stays stopped',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Finished' }),
    event: jobObserved(T0 + 3600 * SECOND, {}, { restartPolicy: 'OnlyIfFailed' }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'J.Stopped.T1',
    name: 'restartDelay waiter fires',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed' }),
    event: done('restartDelay', { at: T0 + 60 * SECOND }),
    to: { Starting: 'WaitingForCluster' },
  },
  // Pause (ADR 0019): the rows that act are guarded; observation, deletion and TRIGGER_SAVEPOINT go on.
  {
    rule: 'J.Starting.10',
    name: 'paused while waiting for the cluster: the launch waits',
    from: { Starting: 'WaitingForCluster' },
    context: baseJobContext(),
    event: jobObserved(AT, { paused: true, cluster: clusterView({ ready: false }) }),
    to: { Starting: 'WaitingForCluster' },
  },
  {
    rule: 'J.Starting.15',
    name: 'paused while waiting for the cluster: a Started cluster does not launch the job',
    from: { Starting: 'WaitingForCluster' },
    context: baseJobContext(),
    event: jobObserved(AT, { paused: true }),
    to: { Starting: 'WaitingForCluster' },
    check: (c) => expect(c.deadlines.restartTimeoutAt).toBeNull(),
  },
  {
    rule: 'J.Starting.15',
    name: 'paused while launching: no job id is recorded, nothing is submitted',
    from: launching,
    context: baseJobContext({ submission: 3 }),
    event: jobObserved(AT, { flinkJob: 'NONE', paused: true }),
    to: launching,
    check: (c) => expect(c.submission).toBe(3),
  },
  {
    rule: 'J.Starting.15',
    name: 'paused: restartTimeout passed, a failed bootstrap: no stop, no restart',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      deadlines: { restartTimeoutAt: AT, restartAt: null, savepointDueAt: null },
    }),
    event: jobObserved(AT, {
      flinkJob: 'NOT_FOUND',
      bootstrap: 'failed',
      bootstrapJobId: JOB_ID,
      paused: true,
    }),
    to: { Starting: { Launching: 'Submitted' } },
    check: (c) => expect(c.stop).toBeNull(),
  },
  {
    rule: 'J.Starting.T1',
    name: 'paused: the restartTimeout waiter lapses',
    from: { Starting: { Launching: 'Submitted' } },
    context: baseJobContext({
      jobId: JOB_ID,
      observed: paused,
      deadlines: { restartTimeoutAt: AT, restartAt: null, savepointDueAt: null },
    }),
    event: done('restartTimeout', { at: AT }),
    to: { Starting: { Launching: 'Submitted' } },
  },
  {
    rule: 'J.Unknown.5',
    name: 'paused before it ever ran: stays Unknown, nothing is started, the observation is recorded',
    from: 'Unknown',
    context: baseJobContext(),
    event: jobObserved(AT, { paused: true }),
    to: 'Unknown',
    check: (c) => expect(c.observed?.paused).toBe(true),
  },
  {
    rule: 'J.Starting.P1',
    name: 'STOP while paused and starting: rejected',
    from: launching,
    context: baseJobContext({ observed: paused }),
    event: requested('STOP', AT),
    to: launching,
    check: (c) => expect(c.lastAction).toMatchObject({ action: 'STOP', outcome: 'rejected' }),
  },
  {
    rule: 'J.Started.P1',
    name: 'STOP while paused: rejected, the job keeps running',
    from: { Started: 'Running' },
    context: runningJobContext({ observed: paused }),
    event: requested('STOP', AT),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.lastAction).toMatchObject({ action: 'STOP', outcome: 'rejected' });
      expect(c.lastAction?.reason).toContain('flinkvisor.io/paused');
      expect(c.stop).toBeNull();
    },
  },
  {
    rule: 'J.Started.P1',
    name: 'START while paused: rejected, no restart',
    from: { Started: 'Running' },
    context: runningJobContext({ observed: paused }),
    event: requested('START', AT),
    to: { Started: 'Running' },
    check: (c) => expect(c.lastAction).toMatchObject({ action: 'START', outcome: 'rejected' }),
  },
  {
    rule: 'J.Started.A3',
    name: "TRIGGER_SAVEPOINT while paused: the user's explicit savepoint is still taken",
    from: { Started: 'Running' },
    context: runningJobContext({ observed: paused }),
    event: requested('TRIGGER_SAVEPOINT', AT),
    to: { Started: { Savepointing: 'Recording' } },
    check: (c) => expect(c.savepoint?.kind).toBe('manual'),
  },
  {
    rule: 'J.Started.16',
    name: 'paused: a spec change is not applied (no restart)',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { specDigest: 'bootstrap-2', flinkJob: 'RUNNING', paused: true }),
    to: { Started: 'Running' },
    check: (c) => {
      expect(c.stop).toBeNull();
      expect(c.observed?.paused).toBe(true);
    },
  },
  {
    rule: 'J.Started.4',
    name: 'unpaused: the spec change observed now is applied (from the observed state, no stale plan)',
    from: { Started: 'Running' },
    context: runningJobContext({ observed: paused }),
    event: jobObserved(AT, { specDigest: 'bootstrap-2', flinkJob: 'RUNNING' }),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'SpecChanged', restart: true }),
  },
  {
    rule: 'J.Started.16',
    name: 'paused: no rescale',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'RUNNING', paused: true }, { jobParallelism: 4 }),
    to: { Started: 'Running' },
  },
  {
    rule: 'J.Started.16',
    name: 'paused: no periodic savepoint',
    from: { Started: 'Running' },
    context: runningJobContext({ enteredAt: T0 }),
    event: jobObserved(
      T0 + 60 * SECOND,
      { flinkJob: 'RUNNING', paused: true },
      { savepointIntervalSeconds: 60 },
    ),
    to: { Started: 'Running' },
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Started.8',
    name: 'paused: a job that failed in Flink is still observed (Stopped)',
    from: { Started: 'Running' },
    context: runningJobContext(),
    event: jobObserved(AT, { flinkJob: 'FAILED', paused: true }),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.stopReason).toBe('Failed'),
  },
  {
    rule: 'J.Started.T1',
    name: 'paused: the periodic savepoint waiter lapses',
    from: { Started: 'Running' },
    context: runningJobContext({ observed: paused }),
    event: done('savepointDue', { at: AT }),
    to: { Started: 'Running' },
    check: (c) => expect(c.savepoint).toBeNull(),
  },
  {
    rule: 'J.Stopping.P1',
    name: 'START while paused and stopping: rejected',
    from: { Stopping: 'Idle' },
    context: stopping({ reason: 'Manual' }, { observed: paused }),
    event: requested('START', AT),
    to: { Stopping: 'Idle' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Manual', restart: false }),
  },
  {
    rule: 'J.Stopped.P1',
    name: 'START while paused and stopped: rejected',
    from: { Stopped: 'Idle' },
    context: stopped({ stopReason: 'Manual', observed: paused }),
    event: requested('START', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.lastAction).toMatchObject({ action: 'START', outcome: 'rejected' }),
  },
  {
    rule: 'J.Stopped.13',
    name: 'paused: restartDelay elapsed, no restart by policy',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed' }),
    event: jobObserved(T0 + 60 * SECOND, { paused: true }, { restartPolicy: 'OnlyIfFailed' }),
    to: { Stopped: 'RestartPending' },
  },
  {
    rule: 'J.Stopped.10',
    name: 'unpaused: the restart that came due while paused is taken',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed', observed: paused }),
    event: jobObserved(T0 + 120 * SECOND, {}, { restartPolicy: 'OnlyIfFailed' }),
    to: { Starting: 'WaitingForCluster' },
  },
  {
    rule: 'J.Stopped.T1',
    name: 'paused: the restartDelay waiter lapses',
    from: { Stopped: 'RestartPending' },
    context: stopped({ stopReason: 'Failed', observed: paused }),
    event: done('restartDelay', { at: T0 + 60 * SECOND }),
    to: { Stopped: 'RestartPending' },
  },
];

describe('job machine rules', () => {
  it.each(rows.map((row) => [`${row.rule} ${row.name}`, row] as const))('%s', (_, row) => {
    const { next, started } = step(jobMachine, jobSnapshot(row.from, row.context), row.event);
    expect(next.value).toEqual(row.to);
    if (row.starts !== undefined) expect(started).toEqual(expect.arrayContaining([...row.starts]));
    row.check?.(next.context as JobContext);
  });

  it('has a row for every described rule, and every row names an existing rule', () => {
    const ids = new Set(
      machineRules(jobMachine)
        .map((rule) => /^(J\.[A-Za-z]+\.[A-Z]?\d+)\b/.exec(rule.description ?? '')?.[1])
        .filter((id): id is string => id !== undefined),
    );
    const tested = new Set(rows.map((row) => row.rule));
    expect([...ids].filter((id) => !tested.has(id))).toEqual([]);
    expect([...tested].filter((id) => !ids.has(id))).toEqual([]);
  });

  it('numbers OBSERVED rows by the order xstate tries them', () => {
    for (const rule of machineRules(jobMachine).filter((r) => r.event === 'OBSERVED')) {
      expect(rule.description, rule.source).toMatch(new RegExp(`^J\\.[A-Za-z]+\\.${rule.index} `));
    }
  });
});
