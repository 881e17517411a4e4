// Table tests of the cluster machine: one row per rule (rule ids start the descriptions in
// cluster-machine.ts); the last tests check that every described rule has a row.
import type { StateValue } from 'xstate';
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import type {
  ClusterCleanup,
  ClusterContext,
  ClusterStopIntent,
} from '../../../src/machines/cluster-machine.ts';
import type { ClusterObservation, PodDisruption } from '../../../src/machines/observations.ts';
import { machineRules } from '../../../src/machines/render-mermaid.ts';
import {
  SECOND,
  T0,
  clusterObservation,
  clusterObserved,
  clusterSnapshot,
  done,
  requested,
  runningClusterContext,
  baseClusterContext,
  step,
} from './support.ts';

const AT = T0 + 1000;

function evicted(pod: string, at: number): PodDisruption {
  return {
    pod,
    role: 'taskmanager',
    reason: 'EvictionByEvictionAPI',
    message: 'Eviction API: evicting',
    at,
  };
}

function stop(overrides: Partial<ClusterStopIntent> = {}): ClusterStopIntent {
  return {
    reason: 'Manual',
    restart: false,
    delete: false,
    withoutSavepoint: false,
    jobsDeadline: T0 + 900 * SECOND,
    ...overrides,
  };
}

const gone: Partial<ClusterObservation> = {
  jobManager: { pods: 0, ready: false },
  jobManagerService: false,
  taskManagers: { pods: 0, ready: 0 },
  flink: { reachable: false },
  jobs: [{ name: 'a', state: 'Stopped', parallelism: 0, jobId: null }],
};

const jobsStopped: Partial<ClusterObservation> = {
  jobs: [{ name: 'a', state: 'Stopped', parallelism: 0, jobId: null }],
};

const starting = { Starting: 'Idle' };
const paused = clusterObservation({ paused: true });
const startingContext = (overrides: Partial<ClusterContext> = {}) =>
  runningClusterContext({
    deadlines: { startTimeoutAt: T0 + 300 * SECOND, unhealthyAt: null, scaleDownAt: null },
    ...overrides,
  });
const stoppingContext = (overrides: Partial<ClusterStopIntent> = {}) =>
  runningClusterContext({ stop: stop(overrides) });
const deletingContext = (overrides: Partial<ClusterContext> = {}) =>
  runningClusterContext({ stop: stop({ reason: 'Deleted', delete: true }), ...overrides });
const cleanup = (overrides: Partial<ClusterCleanup> = {}): ClusterCleanup => ({
  deadline: AT + 300 * SECOND,
  configMaps: 'Pending',
  configMapsRemoved: 0,
  storage: 'Skipped',
  ...overrides,
});

interface Row {
  readonly rule: string;
  readonly name: string;
  readonly from: StateValue;
  readonly context: ClusterContext;
  readonly event: unknown;
  readonly to: StateValue;
  readonly starts?: readonly string[];
  readonly check?: (context: ClusterContext) => void;
}

const rows: Row[] = [
  {
    rule: 'C.Any.0',
    name: 'a repeated request is ignored',
    from: { Started: 'Idle' },
    context: runningClusterContext({
      lastAction: {
        action: 'STOP',
        withoutSavepoint: false,
        requestedAt: AT,
        outcome: 'accepted',
        reason: 'accepted',
        at: AT,
      },
    }),
    event: requested('STOP', AT),
    to: { Started: 'Idle' },
  },
  {
    rule: 'C.Any.1',
    name: 'a request waits in Unknown',
    from: 'Unknown',
    context: baseClusterContext(),
    event: requested('STOP', AT),
    to: 'Unknown',
    check: (c) => expect(c.pendingAction?.action).toBe('STOP'),
  },
  {
    rule: 'C.Unknown.0',
    name: 'stale',
    from: 'Unknown',
    context: baseClusterContext(),
    event: clusterObserved(T0),
    to: 'Unknown',
  },
  {
    rule: 'C.Unknown.1',
    name: 'deleted before running',
    from: 'Unknown',
    context: baseClusterContext(),
    event: clusterObserved(AT, { deletionRequested: true }),
    to: 'Terminated',
  },
  {
    rule: 'C.Unknown.2',
    name: 'a reset machine adopts a running JobManager',
    from: 'Unknown',
    context: baseClusterContext(),
    event: clusterObserved(AT),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.epoch).toBe(1);
      expect(c.specDigest).toBe('cluster-1');
      expect(c.notice?.reason).toBe('Adopted');
    },
  },
  {
    rule: 'C.Unknown.3',
    name: 'initialise and start',
    from: 'Unknown',
    context: baseClusterContext(),
    event: clusterObserved(AT, { ...gone, jobs: [] }),
    to: starting,
    starts: ['startTimeout'],
    check: (c) => {
      expect(c.epoch).toBe(1);
      expect(c.specDigest).toBe('cluster-1');
      expect(c.deadlines.startTimeoutAt).toBe(AT + 300 * SECOND);
    },
  },
  {
    rule: 'C.Starting.A1',
    name: 'STOP',
    from: starting,
    context: startingContext(),
    event: requested('STOP', AT, true),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) =>
      expect(c.stop).toMatchObject({
        reason: 'Manual',
        withoutSavepoint: true,
        jobsDeadline: AT + 900 * SECOND,
      }),
  },
  {
    rule: 'C.Starting.A2',
    name: 'START rejected',
    from: starting,
    context: startingContext(),
    event: requested('START', AT),
    to: starting,
    check: (c) => expect(c.lastAction?.outcome).toBe('rejected'),
  },
  {
    rule: 'C.Starting.0',
    name: 'stale',
    from: starting,
    context: startingContext(),
    event: clusterObserved(T0),
    to: starting,
  },
  {
    rule: 'C.Starting.1',
    name: 'deleted',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { deletionRequested: true }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Deleted', delete: true }),
  },
  {
    rule: 'C.Starting.2',
    name: 'spec changed',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { specDigest: 'cluster-2' }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'SpecChanged', restart: true }),
  },
  {
    rule: 'C.Starting.3',
    name: 'start timed out',
    from: starting,
    context: startingContext({ deadlines: { startTimeoutAt: AT, unhealthyAt: null, scaleDownAt: null } }),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: false } }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => {
      expect(c.stop).toMatchObject({ reason: 'StartTimedOut', restart: true });
      expect(c.notice?.reason).toBe('StartTimedOut');
    },
  },
  {
    rule: 'C.Starting.4',
    name: 'create the JobManager',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { ...gone, jobs: [] }),
    to: { Starting: 'CreatingJobManager' },
    starts: ['ensureJobManager'],
  },
  {
    rule: 'C.Starting.4',
    name: 'HA: one of two JobManagers exists: create the others',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: false } }, { jobManagerReplicas: 2 }),
    to: { Starting: 'CreatingJobManager' },
    starts: ['ensureJobManager'],
  },
  {
    rule: 'C.Starting.5',
    name: 'create the Service',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { jobManagerService: false, jobManager: { pods: 1, ready: false } }),
    to: { Starting: 'CreatingService' },
    starts: ['ensureJobManagerService'],
  },
  {
    rule: 'C.Starting.6',
    name: 'JobManager not ready',
    from: { Starting: 'CreatingService' },
    context: startingContext(),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: false } }),
    to: { Starting: 'CreatingService' },
  },
  {
    rule: 'C.Starting.6',
    name: 'HA: one ready JobManager of two: wait for the standby pod',
    from: { Starting: 'CreatingService' },
    context: startingContext(),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: true } }, { jobManagerReplicas: 2 }),
    to: { Starting: 'CreatingService' },
  },
  {
    rule: 'C.Starting.7',
    name: 'REST not answering yet',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { flink: { reachable: false } }),
    to: starting,
  },
  {
    rule: 'C.Starting.8',
    name: 'fresh JobManager runs jobs: cancel all',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, {
      flink: {
        reachable: true,
        slotsTotal: 0,
        jobs: [
          { id: 'job-a', state: 'RUNNING' },
          { id: 'old', state: 'FINISHED' },
        ],
      },
    }),
    to: { Starting: 'CancellingJobs' },
    starts: ['cancelFlinkJobs'],
  },
  {
    rule: 'C.Starting.9',
    name: 'jobs still cancelling',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, {
      flink: { reachable: true, slotsTotal: 0, jobs: [{ id: 'x', state: 'CANCELLING' }] },
    }),
    to: starting,
  },
  {
    rule: 'C.Starting.10',
    name: 'Started',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { taskManagers: { pods: 0, ready: 0 } }),
    to: { Started: 'Idle' },
    check: (c) => expect(c.notice?.reason).toBe('Started'),
  },
  {
    rule: 'C.Starting.T1',
    name: 'start timeout waiter fires',
    from: { Starting: 'CreatingJobManager' },
    context: startingContext(),
    event: done('startTimeout', { at: AT }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop?.reason).toBe('StartTimedOut'),
  },
  {
    rule: 'C.Started.A1',
    name: 'START restarts',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: requested('START', AT, true),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) =>
      expect(c.stop).toMatchObject({ reason: 'RestartRequested', restart: true, withoutSavepoint: true }),
  },
  {
    rule: 'C.Started.A2',
    name: 'STOP',
    from: { Started: 'ScaleDownPending' },
    context: runningClusterContext(),
    event: requested('STOP', AT),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Manual', restart: false, withoutSavepoint: false }),
  },
  {
    rule: 'C.Started.A3',
    name: 'savepoint actions are not cluster actions',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: requested('TRIGGER_SAVEPOINT', AT),
    to: { Started: 'Idle' },
    check: (c) => expect(c.lastAction?.outcome).toBe('rejected'),
  },
  {
    rule: 'C.Started.0',
    name: 'stale',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(T0, { deletionRequested: true }),
    to: { Started: 'Idle' },
  },
  {
    rule: 'C.Started.1',
    name: 'deleted: jobs keep their savepoints',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { deletionRequested: true }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Deleted', delete: true, withoutSavepoint: false }),
  },
  {
    rule: 'C.Started.2',
    name: 'a TaskManager evicted by a drain: recorded and said, nothing replaced in this step',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, {
      taskManagers: { pods: 0, ready: 0 },
      disruptions: [evicted('taskmanager-a-1-0', T0)],
    }),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.lastDisruption).toEqual(evicted('taskmanager-a-1-0', T0));
      expect(c.podDisruptions).toBe(1);
      expect(c.notice?.reason).toBe('TaskManagerDisrupted');
      expect(c.notice?.message).toContain(
        'TaskManager pod taskmanager-a-1-0 was evicted through the eviction API',
      );
      expect(c.notice?.message).toContain('the supervisor replaces it');
    },
  },
  {
    rule: 'C.Started.2',
    name: 'two pods of one drain: the older first, then the other; neither again',
    from: { Started: 'Idle' },
    context: runningClusterContext({ lastDisruption: evicted('taskmanager-a-1-0', T0), podDisruptions: 1 }),
    event: clusterObserved(AT, {
      taskManagers: { pods: 0, ready: 0 },
      disruptions: [evicted('taskmanager-a-1-1', T0), evicted('taskmanager-a-1-0', T0)],
    }),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.lastDisruption?.pod).toBe('taskmanager-a-1-1');
      expect(c.podDisruptions).toBe(2);
    },
  },
  {
    rule: 'C.Started.2',
    name: 'the single JobManager deleted for its gone node: said with the restart that follows',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, {
      jobManager: { pods: 0, ready: false },
      flink: { reachable: false },
      disruptions: [
        { ...evicted('jobmanager-a-1-0', T0), role: 'jobmanager', reason: 'DeletionByPodGC', message: '' },
      ],
    }),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.stop).toBeNull();
      expect(c.notice?.reason).toBe('JobManagerDisrupted');
      expect(c.notice?.message).toBe(
        'JobManager pod jobmanager-a-1-0 was deleted by the pod garbage collector (its node is gone): without HA the cluster restarts; its jobs resume from their latest savepoint or checkpoint by their policy',
      );
    },
  },
  {
    rule: 'C.Started.9',
    name: 'a disruption already recorded (a new leader sees the pod still terminating): the pod is replaced, nothing said again',
    from: { Started: 'Idle' },
    context: runningClusterContext({ lastDisruption: evicted('taskmanager-a-1-0', T0), podDisruptions: 1 }),
    event: clusterObserved(AT, {
      taskManagers: { pods: 0, ready: 0 },
      disruptions: [evicted('taskmanager-a-1-0', T0)],
    }),
    to: { Started: 'AddingTaskManagers' },
    starts: ['addTaskManagers'],
    check: (c) => {
      expect(c.podDisruptions).toBe(1);
      expect(c.notice).toBeNull();
    },
  },
  {
    rule: 'C.Started.2',
    name: 'the single JobManager evicted by a drain: said with the savepoints its preStop hook waits for',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, {
      jobManager: { pods: 0, ready: false, draining: true },
      disruptions: [{ ...evicted('jobmanager-a-1', T0), role: 'jobmanager' }],
    }),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.stop).toBeNull();
      expect(c.notice?.reason).toBe('JobManagerDisrupted');
      expect(c.notice?.message).toContain(
        'without HA the jobs stop with savepoints while its preStop hook holds',
      );
    },
  },
  {
    rule: 'C.Started.3',
    name: 'the single JobManager is being drained and Flink answers through it: stop the jobs with savepoints, restart',
    from: { Started: 'Idle' },
    context: runningClusterContext({
      lastDisruption: { ...evicted('jobmanager-a-1', T0), role: 'jobmanager' },
    }),
    event: clusterObserved(AT, {
      jobManager: { pods: 0, ready: false, draining: true },
      disruptions: [{ ...evicted('jobmanager-a-1', T0), role: 'jobmanager' }],
    }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => {
      expect(c.stop).toMatchObject({ reason: 'JobManagerDrained', restart: true, withoutSavepoint: false });
      expect(c.notice?.reason).toBe('JobManagerDrained');
    },
  },
  {
    rule: 'C.Started.4',
    name: 'the single JobManager is being drained but Flink no longer answers: a lost JobManager (no savepoint possible)',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, {
      jobManager: { pods: 0, ready: false, draining: true },
      flink: { reachable: false },
    }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'JobManagerLost', restart: true }),
  },
  {
    rule: 'C.Started.4',
    name: 'HA: a draining flag does not hold the cluster (a standby takes over); every JobManager gone is lost',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(
      AT,
      { jobManager: { pods: 0, ready: false, draining: true } },
      { jobManagerReplicas: 2 },
    ),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'JobManagerLost', restart: true }),
  },
  {
    rule: 'C.Started.4',
    name: 'JobManager pod gone',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { jobManager: { pods: 0, ready: false }, flink: { reachable: false } }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'JobManagerLost', restart: true }),
  },
  {
    rule: 'C.Started.4',
    name: 'HA: every JobManager pod gone: restart as without HA',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(
      AT,
      { jobManager: { pods: 0, ready: false }, flink: { reachable: false } },
      { jobManagerReplicas: 2 },
    ),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'JobManagerLost', restart: true }),
  },
  {
    rule: 'C.Started.4',
    name: 'without HA, two JobManager pods are one too many: restart',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { jobManager: { pods: 2, ready: true } }),
    to: { Stopping: 'WaitingForJobs' },
  },
  {
    rule: 'C.Started.4',
    name: 'JobManager Service gone',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { jobManagerService: false }),
    to: { Stopping: 'WaitingForJobs' },
  },
  {
    rule: 'C.Started.5',
    name: 'spec changed',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { specDigest: 'cluster-2' }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop?.reason).toBe('SpecChanged'),
  },
  {
    rule: 'C.Started.6',
    name: 'unreachable for taskTimeout',
    from: { Started: 'Unreachable' },
    context: runningClusterContext({
      unreachableSince: T0,
      deadlines: { startTimeoutAt: null, unhealthyAt: AT, scaleDownAt: null },
    }),
    event: clusterObserved(AT, { flink: { reachable: false } }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Unhealthy', restart: true }),
  },
  {
    rule: 'C.Started.7',
    name: 'REST stops answering',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { flink: { reachable: false } }),
    to: { Started: 'Unreachable' },
    starts: ['unhealthyTimeout'],
    check: (c) => {
      expect(c.unreachableSince).toBe(AT);
      expect(c.deadlines.unhealthyAt).toBe(AT + 300 * SECOND);
    },
  },
  {
    rule: 'C.Started.8',
    name: 'still unreachable',
    from: { Started: 'Unreachable' },
    context: runningClusterContext({
      unreachableSince: T0,
      deadlines: { startTimeoutAt: null, unhealthyAt: T0 + 300 * SECOND, scaleDownAt: null },
    }),
    event: clusterObserved(AT, { flink: { reachable: false }, taskManagers: { pods: 0, ready: 0 } }),
    to: { Started: 'Unreachable' },
  },
  {
    rule: 'C.Started.9',
    name: 'TaskManagers missing',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { taskManagers: { pods: 0, ready: 0 } }),
    to: { Started: 'AddingTaskManagers' },
    starts: ['addTaskManagers'],
    check: (c) => {
      expect(c.lastRescaleAt).toBe(AT);
      expect(c.desiredTaskManagers).toBe(1);
    },
  },
  {
    rule: 'C.Started.10',
    name: 'surplus for rescaleDelay: remove idle TaskManagers',
    from: { Started: 'ScaleDownPending' },
    context: runningClusterContext({
      deadlines: { startTimeoutAt: null, unhealthyAt: null, scaleDownAt: AT },
    }),
    event: clusterObserved(AT, { taskManagers: { pods: 3, ready: 3 } }),
    to: { Started: 'RemovingTaskManagers' },
    starts: ['removeTaskManagers'],
    check: (c) => expect(c.deadlines.scaleDownAt).toBeNull(),
  },
  {
    rule: 'C.Started.11',
    name: 'surplus: wait rescaleDelay',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { taskManagers: { pods: 3, ready: 3 } }),
    to: { Started: 'ScaleDownPending' },
    starts: ['rescaleDelay'],
    check: (c) => expect(c.deadlines.scaleDownAt).toBe(AT + 60 * SECOND),
  },
  {
    rule: 'C.Started.12',
    name: 'unmanaged Flink job',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, {
      flink: {
        reachable: true,
        slotsTotal: 2,
        jobs: [
          { id: 'job-a', state: 'RUNNING' },
          { id: 'rogue', state: 'RUNNING' },
        ],
      },
    }),
    to: { Started: 'CancellingJobs' },
    starts: ['cancelFlinkJobs'],
  },
  {
    rule: 'C.Started.13',
    name: 'REST answers again',
    from: { Started: 'Unreachable' },
    context: runningClusterContext({
      unreachableSince: T0,
      deadlines: { startTimeoutAt: null, unhealthyAt: T0 + 300 * SECOND, scaleDownAt: null },
    }),
    event: clusterObserved(AT),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.unreachableSince).toBeNull();
      expect(c.deadlines.unhealthyAt).toBeNull();
    },
  },
  {
    rule: 'C.Started.14',
    name: 'surplus gone before rescaleDelay',
    from: { Started: 'ScaleDownPending' },
    context: runningClusterContext({
      deadlines: { startTimeoutAt: null, unhealthyAt: null, scaleDownAt: T0 + 60 * SECOND },
    }),
    event: clusterObserved(AT),
    to: { Started: 'Idle' },
    check: (c) => expect(c.deadlines.scaleDownAt).toBeNull(),
  },
  {
    rule: 'C.Started.15',
    name: 'HA: another JobManager process leads in the same epoch: record the failover, restart nothing',
    from: { Started: 'Idle' },
    context: runningClusterContext({ jobManagerLeader: 'jobmanager-a-1-0', jobManagerLeaderId: 'lock-0' }),
    event: clusterObserved(
      AT,
      { jobManager: { pods: 2, ready: true, leader: { id: 'lock-1', pod: 'jobmanager-a-1-1' } } },
      { jobManagerReplicas: 2 },
    ),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.epoch).toBe(1);
      expect(c.stop).toBeNull();
      expect(c).toMatchObject({
        jobManagerLeader: 'jobmanager-a-1-1',
        jobManagerLeaderId: 'lock-1',
        jobManagerFailovers: 1,
        lastFailoverAt: AT,
      });
      expect(c.notice?.reason).toBe('JobManagerFailover');
      expect(c.notice?.message).toContain('from jobmanager-a-1-0 to jobmanager-a-1-1');
    },
  },
  {
    rule: 'C.Started.16',
    name: 'HA: a standby JobManager pod is gone: recreate it, the cluster stays Started',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: true } }, { jobManagerReplicas: 2 }),
    to: { Started: 'RestoringJobManagers' },
    starts: ['ensureJobManager'],
  },
  {
    rule: 'C.Started.17',
    name: 'HA: the first leader seen is recorded, as no failover',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(
      AT,
      { jobManager: { pods: 2, ready: true, leader: { id: 'lock-0', pod: 'jobmanager-a-1-0' } } },
      { jobManagerReplicas: 2 },
    ),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c).toMatchObject({ jobManagerLeader: 'jobmanager-a-1-0', jobManagerFailovers: 0 });
      expect(c.notice).toBeNull();
    },
  },
  {
    rule: 'C.Started.17',
    name: 'HA: the same leader process, whose pod is known only now: named after its pod',
    from: { Started: 'Idle' },
    context: runningClusterContext({ jobManagerLeader: 'lock-0', jobManagerLeaderId: 'lock-0' }),
    event: clusterObserved(
      AT,
      { jobManager: { pods: 2, ready: true, leader: { id: 'lock-0', pod: 'jobmanager-a-1-0' } } },
      { jobManagerReplicas: 2 },
    ),
    to: { Started: 'Idle' },
    check: (c) => expect(c).toMatchObject({ jobManagerLeader: 'jobmanager-a-1-0', jobManagerFailovers: 0 }),
  },
  {
    rule: 'C.Started.17',
    name: 'HA: the same leader process, or none known for a moment: no failover',
    from: { Started: 'Idle' },
    context: runningClusterContext({ jobManagerLeader: 'jobmanager-a-1-0', jobManagerLeaderId: 'lock-0' }),
    event: clusterObserved(
      AT,
      { jobManager: { pods: 2, ready: true, leader: null } },
      { jobManagerReplicas: 2 },
    ),
    to: { Started: 'Idle' },
    check: (c) => expect(c).toMatchObject({ jobManagerLeaderId: 'lock-0', jobManagerFailovers: 0 }),
  },
  {
    rule: 'C.Started.17',
    name: 'steady',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT),
    to: { Started: 'Idle' },
  },
  {
    rule: 'C.Started.T1',
    name: 'unhealthy waiter fires',
    from: { Started: 'Unreachable' },
    context: runningClusterContext({
      deadlines: { startTimeoutAt: null, unhealthyAt: AT, scaleDownAt: null },
    }),
    event: done('unhealthyTimeout', { at: AT }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop?.reason).toBe('Unhealthy'),
  },
  {
    rule: 'C.Started.T2',
    name: 'rescaleDelay waiter fires',
    from: { Started: 'ScaleDownPending' },
    context: runningClusterContext({
      deadlines: { startTimeoutAt: null, unhealthyAt: null, scaleDownAt: AT },
    }),
    event: done('rescaleDelay', { at: AT }),
    to: { Started: 'RemovingTaskManagers' },
  },
  {
    rule: 'C.Stopping.A1',
    name: 'STOP cancels the restart',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext({ reason: 'SpecChanged', restart: true }),
    event: requested('STOP', AT),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Manual', restart: false }),
  },
  {
    rule: 'C.Stopping.A2',
    name: 'START restarts once stopped',
    from: { Stopping: 'Removing' },
    context: stoppingContext(),
    event: requested('START', AT),
    to: { Stopping: 'Removing' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'RestartRequested', restart: true }),
  },
  {
    rule: 'C.Stopping.A3',
    name: 'START while deleting is rejected',
    from: { Stopping: 'Removing' },
    context: stoppingContext({ reason: 'Deleted', delete: true }),
    event: requested('START', AT),
    to: { Stopping: 'Removing' },
    check: (c) => {
      expect(c.lastAction?.outcome).toBe('rejected');
      expect(c.stop?.restart).toBe(false);
    },
  },
  {
    rule: 'C.Stopping.0',
    name: 'stale',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext(),
    event: clusterObserved(T0, gone),
    to: { Stopping: 'WaitingForJobs' },
  },
  {
    rule: 'C.Stopping.1',
    name: 'deleted while stopping',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext({ reason: 'SpecChanged', restart: true }),
    event: clusterObserved(AT, { deletionRequested: true }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Deleted', delete: true, restart: false }),
  },
  {
    rule: 'C.Stopping.2',
    name: 'jobs did not stop in time',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext({ jobsDeadline: AT }),
    event: clusterObserved(AT),
    to: { Stopping: 'Removing' },
    check: (c) => expect(c.notice?.reason).toBe('JobsDidNotStop'),
  },
  {
    rule: 'C.Stopping.3',
    name: 'waiting for jobs',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext(),
    event: clusterObserved(AT),
    to: { Stopping: 'WaitingForJobs' },
  },
  {
    rule: 'C.Stopping.4',
    name: 'jobs stopped: delete the resources',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext(),
    event: clusterObserved(AT, jobsStopped),
    to: { Stopping: 'DeletingResources' },
    starts: ['deleteClusterResources'],
  },
  {
    rule: 'C.Stopping.5',
    name: 'resources still there',
    from: { Stopping: 'DeletingResources' },
    context: stoppingContext(),
    event: clusterObserved(AT, jobsStopped),
    to: { Stopping: 'DeletingResources' },
  },
  {
    rule: 'C.Stopping.6',
    name: 'deleted and Flink gone: remove the HA ConfigMaps first, storage next with autoClean',
    from: { Stopping: 'Removing' },
    context: deletingContext(),
    event: clusterObserved(AT, gone, { autoClean: true }),
    to: { Stopping: 'RemovingHighAvailability' },
    starts: ['removeHighAvailabilityConfigMaps'],
    check: (c) =>
      expect(c.cleanup).toEqual({
        deadline: AT + 300 * SECOND,
        configMaps: 'Pending',
        configMapsRemoved: 0,
        storage: 'Pending',
      }),
  },
  {
    rule: 'C.Stopping.7',
    name: 'a cleanup step runs: wait',
    from: { Stopping: 'RemovingHighAvailability' },
    context: deletingContext({ cleanup: cleanup() }),
    event: clusterObserved(AT, gone),
    to: { Stopping: 'RemovingHighAvailability' },
  },
  {
    rule: 'C.Stopping.8',
    name: 'the storage-cleanup Job succeeded: Terminated',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({ cleanup: cleanup({ configMaps: 'Removed', storage: 'Running' }) }),
    event: clusterObserved(AT, { ...gone, storageCleanup: 'succeeded' }),
    to: 'Terminated',
    check: (c) => {
      expect(c.cleanup?.storage).toBe('Removed');
      expect(c.notice?.reason).toBe('StorageCleaned');
    },
  },
  {
    rule: 'C.Stopping.9',
    name: 'the storage-cleanup Job failed: said, Terminated anyway',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({ cleanup: cleanup({ configMaps: 'Removed', storage: 'Running' }) }),
    event: clusterObserved(AT, { ...gone, storageCleanup: 'failed' }),
    to: 'Terminated',
    check: (c) => {
      expect(c.cleanup?.storage).toBe('Failed');
      expect(c.notice?.reason).toBe('StorageCleanupFailed');
    },
  },
  {
    rule: 'C.Stopping.10',
    name: 'the cleanup outlived taskTimeout: said, Terminated anyway',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({
      cleanup: cleanup({ deadline: AT, configMaps: 'Removed', storage: 'Running' }),
    }),
    event: clusterObserved(AT, { ...gone, storageCleanup: 'active' }),
    to: 'Terminated',
    check: (c) => {
      expect(c.cleanup?.storage).toBe('TimedOut');
      expect(c.notice?.reason).toBe('CleanupTimedOut');
    },
  },
  {
    rule: 'C.Stopping.11',
    name: 'restored before the HA ConfigMaps were removed: remove them',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({ cleanup: cleanup() }),
    event: clusterObserved(AT, gone),
    to: { Stopping: 'RemovingHighAvailability' },
    starts: ['removeHighAvailabilityConfigMaps'],
  },
  {
    rule: 'C.Stopping.12',
    name: 'autoClean: create the storage-cleanup Job',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({ cleanup: cleanup({ configMaps: 'Removed', storage: 'Pending' }) }),
    event: clusterObserved(AT, gone),
    to: { Stopping: 'StartingStorageCleanup' },
    starts: ['startStorageCleanup'],
  },
  {
    rule: 'C.Stopping.13',
    name: 'the storage-cleanup Job runs: wait',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({ cleanup: cleanup({ configMaps: 'Removed', storage: 'Running' }) }),
    event: clusterObserved(AT, { ...gone, storageCleanup: 'active' }),
    to: { Stopping: 'Cleaning' },
  },
  {
    rule: 'C.Stopping.14',
    name: 'everything gone',
    from: { Stopping: 'Removing' },
    context: stoppingContext(),
    event: clusterObserved(AT, gone),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'C.Stopping.T2',
    name: 'cleanup waiter fires: Terminated anyway',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({
      cleanup: cleanup({ deadline: AT, configMaps: 'Removed', storage: 'Running' }),
    }),
    event: done('cleanupTimeout', { at: AT }),
    to: 'Terminated',
    check: (c) => expect(c.cleanup?.storage).toBe('TimedOut'),
  },
  {
    rule: 'C.Stopping.T1',
    name: 'jobs-stop waiter fires',
    from: { Stopping: 'WaitingForJobs' },
    context: stoppingContext({ jobsDeadline: AT }),
    event: done('jobsStopTimeout', { at: AT }),
    to: { Stopping: 'Removing' },
    check: (c) => expect(c.notice?.reason).toBe('JobsDidNotStop'),
  },
  {
    rule: 'C.Stopping.D1',
    name: 'deleted and cleaned up: Terminated',
    from: { Stopping: 'Cleaning' },
    context: deletingContext({ cleanup: cleanup({ configMaps: 'Removed', storage: 'Skipped' }) }),
    event: clusterObserved(AT, gone),
    to: 'Terminated',
  },
  {
    rule: 'C.Stopping.D2',
    name: 'restart: next epoch, started without savepoint when asked',
    from: { Stopping: 'Removing' },
    context: stoppingContext({ reason: 'RestartRequested', restart: true, withoutSavepoint: true }),
    event: clusterObserved(AT, gone),
    to: { Starting: 'Idle' },
    check: (c) => {
      expect(c.epoch).toBe(2);
      expect(c.startWithoutSavepoint).toBe(true);
      expect(c.stop).toBeNull();
    },
  },
  {
    rule: 'C.Stopping.D3',
    name: 'otherwise: Stopped',
    from: { Stopping: 'Removing' },
    context: stoppingContext(),
    event: clusterObserved(AT, gone),
    to: { Stopped: 'Idle' },
    check: (c) => {
      expect(c.stopReason).toBe('Manual');
      expect(c.startWithoutSavepoint).toBe(false);
    },
  },
  {
    rule: 'C.Stopped.A1',
    name: 'START',
    from: { Stopped: 'Idle' },
    context: runningClusterContext({ stopReason: 'Manual' }),
    event: requested('START', AT),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'RestartRequested', restart: true }),
  },
  {
    rule: 'C.Stopped.A2',
    name: 'STOP rejected',
    from: { Stopped: 'Idle' },
    context: runningClusterContext({ stopReason: 'Manual' }),
    event: requested('STOP', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.lastAction?.outcome).toBe('rejected'),
  },
  {
    rule: 'C.Stopped.0',
    name: 'stale',
    from: { Stopped: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(T0, { deletionRequested: true }),
    to: { Stopped: 'Idle' },
  },
  {
    rule: 'C.Stopped.1',
    name: 'deleted',
    from: { Stopped: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { ...gone, deletionRequested: true }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop?.delete).toBe(true),
  },
  {
    rule: 'C.Stopped.2',
    name: 'leftovers',
    from: { Stopped: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { ...gone, jobManagerService: true }),
    to: { Stopped: 'DeletingResources' },
    starts: ['deleteClusterResources'],
  },
  {
    rule: 'C.Stopped.3',
    name: 'nothing left',
    from: { Stopped: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, gone),
    to: { Stopped: 'Idle' },
  },
  // Pause (ADR 0019): the rows that act are guarded; observation and deletion go on.
  {
    rule: 'C.Starting.6',
    name: 'paused while starting: the missing JobManager is not created, the start waits',
    from: starting,
    context: startingContext(),
    event: clusterObserved(AT, { ...gone, jobs: [], paused: true }),
    to: starting,
  },
  {
    rule: 'C.Starting.6',
    name: 'paused while starting: the start timeout passed does not restart the cluster',
    from: starting,
    context: startingContext({ deadlines: { startTimeoutAt: AT, unhealthyAt: null, scaleDownAt: null } }),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: false }, paused: true }),
    to: starting,
    check: (c) => expect(c.stop).toBeNull(),
  },
  {
    rule: 'C.Starting.T1',
    name: 'paused: the start timeout waiter lapses',
    from: starting,
    context: startingContext({
      observed: paused,
      deadlines: { startTimeoutAt: AT, unhealthyAt: null, scaleDownAt: null },
    }),
    event: done('startTimeout', { at: AT }),
    to: starting,
  },
  {
    rule: 'C.Starting.3',
    name: 'unpaused: the start timeout that passed meanwhile restarts the cluster',
    from: starting,
    context: startingContext({
      observed: paused,
      deadlines: { startTimeoutAt: AT, unhealthyAt: null, scaleDownAt: null },
    }),
    event: clusterObserved(AT, { jobManager: { pods: 1, ready: false } }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'StartTimedOut', restart: true }),
  },
  {
    rule: 'C.Unknown.4',
    name: 'paused before it ever ran: stays Unknown, nothing is created, the observation is recorded',
    from: 'Unknown',
    context: baseClusterContext(),
    event: clusterObserved(AT, { paused: true, jobManager: { pods: 0, ready: false } }),
    to: 'Unknown',
    check: (c) => expect(c.observed?.paused).toBe(true),
  },
  {
    rule: 'C.Starting.P1',
    name: 'STOP while paused and starting: rejected',
    from: starting,
    context: startingContext({ observed: paused }),
    event: requested('STOP', AT),
    to: starting,
    check: (c) => expect(c.lastAction).toMatchObject({ action: 'STOP', outcome: 'rejected' }),
  },
  {
    rule: 'C.Started.P1',
    name: 'START while paused: rejected, no restart',
    from: { Started: 'Idle' },
    context: runningClusterContext({ observed: paused }),
    event: requested('START', AT),
    to: { Started: 'Idle' },
    check: (c) => {
      expect(c.lastAction).toMatchObject({ action: 'START', outcome: 'rejected' });
      expect(c.lastAction?.reason).toContain('flinkvisor.io/paused');
    },
  },
  {
    rule: 'C.Started.17',
    name: 'paused: a spec change is not applied (no restart)',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { specDigest: 'cluster-2', paused: true }),
    to: { Started: 'Idle' },
    check: (c) => expect(c.stop).toBeNull(),
  },
  {
    rule: 'C.Started.5',
    name: 'unpaused: the spec change observed now is applied',
    from: { Started: 'Idle' },
    context: runningClusterContext({ observed: paused }),
    event: clusterObserved(AT, { specDigest: 'cluster-2' }),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop?.reason).toBe('SpecChanged'),
  },
  {
    rule: 'C.Started.17',
    name: 'paused: a lost JobManager is observed, not restarted',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, {
      paused: true,
      jobManager: { pods: 0, ready: false },
      jobManagerService: false,
    }),
    to: { Started: 'Idle' },
  },
  {
    rule: 'C.Started.17',
    name: 'paused: missing TaskManagers are not created (no scaling)',
    from: { Started: 'Idle' },
    context: runningClusterContext(),
    event: clusterObserved(AT, { paused: true, taskManagers: { pods: 0, ready: 0 } }),
    to: { Started: 'Idle' },
  },
  {
    rule: 'C.Started.T1',
    name: 'paused: the unhealthy waiter lapses',
    from: { Started: 'Unreachable' },
    context: runningClusterContext({
      observed: paused,
      deadlines: { startTimeoutAt: null, unhealthyAt: AT, scaleDownAt: null },
    }),
    event: done('unhealthyTimeout', { at: AT }),
    to: { Started: 'Unreachable' },
  },
  {
    rule: 'C.Started.T2',
    name: 'paused: the rescaleDelay waiter lapses',
    from: { Started: 'ScaleDownPending' },
    context: runningClusterContext({
      observed: paused,
      deadlines: { startTimeoutAt: null, unhealthyAt: null, scaleDownAt: AT },
    }),
    event: done('rescaleDelay', { at: AT }),
    to: { Started: 'ScaleDownPending' },
  },
  {
    rule: 'C.Stopping.P1',
    name: 'START while paused and stopping: rejected',
    from: { Stopping: 'WaitingForJobs' },
    context: { ...stoppingContext({ reason: 'Manual', restart: false }), observed: paused },
    event: requested('START', AT),
    to: { Stopping: 'WaitingForJobs' },
    check: (c) => expect(c.stop).toMatchObject({ reason: 'Manual', restart: false }),
  },
  {
    rule: 'C.Stopped.P1',
    name: 'START while paused and stopped: rejected',
    from: { Stopped: 'Idle' },
    context: runningClusterContext({ stopReason: 'Manual', observed: paused }),
    event: requested('START', AT),
    to: { Stopped: 'Idle' },
    check: (c) => expect(c.lastAction).toMatchObject({ action: 'START', outcome: 'rejected' }),
  },
  {
    rule: 'C.Stopped.3',
    name: 'paused: leftover pods are not deleted',
    from: { Stopped: 'Idle' },
    context: runningClusterContext({ stopReason: 'Manual' }),
    event: clusterObserved(AT, { paused: true }),
    to: { Stopped: 'Idle' },
  },
];

describe('cluster machine rules', () => {
  it.each(rows.map((row) => [`${row.rule} ${row.name}`, row] as const))('%s', (_, row) => {
    const { next, started } = step(clusterMachine, clusterSnapshot(row.from, row.context), row.event);
    expect(next.value).toEqual(row.to);
    if (row.starts !== undefined) expect(started).toEqual(expect.arrayContaining([...row.starts]));
    row.check?.(next.context as ClusterContext);
  });

  it('has a row for every described rule, and every row names an existing rule', () => {
    const ids = new Set(
      machineRules(clusterMachine)
        .map((rule) => /^(C\.[A-Za-z]+\.[A-Z]?\d+)\b/.exec(rule.description ?? '')?.[1])
        .filter((id): id is string => id !== undefined),
    );
    const tested = new Set(rows.map((row) => row.rule));
    expect([...ids].filter((id) => !tested.has(id))).toEqual([]);
    expect([...tested].filter((id) => !ids.has(id))).toEqual([]);
  });

  it('numbers OBSERVED rows by the order xstate tries them', () => {
    for (const rule of machineRules(clusterMachine).filter((r) => r.event === 'OBSERVED')) {
      expect(rule.description, rule.source).toMatch(new RegExp(`^C\\.[A-Za-z]+\\.${rule.index} `));
    }
  });

  it('hands the effects what they need: epoch, desired count, jobs to cancel', () => {
    const fresh = step(
      clusterMachine,
      clusterSnapshot(starting, startingContext({ epoch: 4 })),
      clusterObserved(AT, {
        flink: {
          reachable: true,
          slotsTotal: 0,
          jobs: [
            { id: 'job-a', state: 'RUNNING' },
            { id: 'gone', state: 'CANCELED' },
          ],
        },
      }),
    );
    const cancelling = fresh.next as unknown as {
      children: Record<string, { getSnapshot(): { input: unknown } }>;
    };
    expect(cancelling.children['cancelFlinkJobs']?.getSnapshot().input).toEqual({ jobIds: ['job-a'] });
  });
});
