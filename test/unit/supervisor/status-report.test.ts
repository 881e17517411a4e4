// The status a supervisor writes, as a pure function of a machine snapshot and what the supervisor
// knows besides: conditions (Ready, Progressing, SpecValid, ActionProcessed, MachineRestored) and
// the job fields that must be true of Flink, not only of the machine.
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/status.ts';
import { initialClusterContext, type ClusterContext } from '../../../src/machines/cluster-machine.ts';
import { initialJobContext, type JobContext } from '../../../src/machines/job-machine.ts';
import type { ActionOutcome } from '../../../src/machines/observations.ts';
import type { MachineState } from '../../../src/machines/views.ts';
import { clusterObservation, jobObservation } from '../machines/support.ts';
import {
  invalidSpecPatch,
  reportedFlinkJob,
  statusFromSnapshot,
  type ClusterReport,
  type JobReport,
} from '../../../src/supervisor/status-report.ts';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const JOB_ID = 'a'.repeat(32);

function jobContext(overrides: Partial<JobContext> = {}): JobContext {
  return { ...initialJobContext({ uid: 'uid-job', idSeed: '1', at: NOW - 60_000 }), ...overrides };
}

function jobReport(
  value: MachineState<JobContext>['value'],
  context: JobContext,
  overrides: Partial<JobReport> = {},
): JobReport {
  return {
    kind: 'job',
    now: NOW,
    generation: 3,
    stored: undefined,
    restoreFailure: null,
    invalidSpec: null,
    invalidAction: null,
    snapshot: { value, context },
    clusterName: 'prod',
    clusterUid: 'uid-cluster',
    cluster: undefined,
    job: undefined,
    lastFlinkJob: null,
    ...overrides,
  };
}

function clusterReport(value: MachineState<ClusterContext>['value'], overrides: Partial<ClusterReport> = {}) {
  const context: ClusterContext = {
    ...initialClusterContext({ uid: 'uid-cluster', at: NOW - 60_000 }),
    desiredTaskManagers: 2,
    taskSlots: 4,
  };
  return {
    kind: 'cluster',
    now: NOW,
    generation: 1,
    stored: undefined,
    restoreFailure: null,
    invalidSpec: null,
    invalidAction: null,
    snapshot: { value, context },
    clusterName: 'prod',
    serviceMode: 'ClusterIP',
    taskManagerReplicas: 2,
    ...overrides,
  } satisfies ClusterReport;
}

function conditionsOf(status: Record<string, unknown>): Condition[] {
  return status['conditions'] as Condition[];
}

function condition(status: Record<string, unknown>, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

const running = () =>
  jobReport({ Started: 'Running' }, jobContext({ jobId: JOB_ID, lastFlinkState: 'RUNNING' }));

function accepted(at: number, action: ActionOutcome['action'] = 'STOP'): ActionOutcome {
  return {
    action,
    withoutSavepoint: false,
    requestedAt: at - 1,
    outcome: 'accepted',
    reason: 'stopping',
    at,
  };
}

describe('Ready and Progressing', () => {
  it('a running job is Ready (Running) and not Progressing (Settled)', () => {
    const status = statusFromSnapshot(running());
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Running',
      observedGeneration: 3,
    });
    expect(condition(status, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Settled',
      message: 'the job is Started',
    });
    expect(status).toMatchObject({
      supervisorStatus: 'Started',
      resourceStatus: 'Updated',
      observedGeneration: 3,
    });
  });

  it('a starting job is Progressing with its state as reason, and not Ready', () => {
    const status = statusFromSnapshot(jobReport({ Starting: 'WaitingForCluster' }, jobContext()));
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Starting' });
    expect(condition(status, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Starting',
      message: 'the job is Starting',
    });
  });

  it('a Ready message is the machine notice when there is one', () => {
    const report = running();
    const context = jobContext({
      jobId: JOB_ID,
      lastFlinkState: 'RUNNING',
      notice: { reason: 'Adopted', message: 'adopted', at: NOW },
    });
    const status = statusFromSnapshot({ ...report, snapshot: { ...report.snapshot, context } });
    expect(condition(status, 'Ready')?.message).toBe('adopted');
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const first = statusFromSnapshot(running());
    const later = statusFromSnapshot({ ...running(), now: NOW + 60_000, stored: first });
    expect(condition(later, 'Ready')?.lastTransitionTime).toBe(condition(first, 'Ready')?.lastTransitionTime);
    const stopping = statusFromSnapshot(
      jobReport({ Stopping: 'Idle' }, jobContext({ jobId: JOB_ID }), { now: NOW + 120_000, stored: later }),
    );
    expect(condition(stopping, 'Ready')?.lastTransitionTime).toBe(new Date(NOW + 120_000).toISOString());
  });

  it('reports a machine that could not be restored as MachineRestored=False', () => {
    const status = statusFromSnapshot({
      ...running(),
      restoreFailure: { reason: 'SnapshotOutdated', message: 'version 0' },
    });
    expect(condition(status, 'MachineRestored')).toMatchObject({
      status: 'False',
      reason: 'SnapshotOutdated',
      message: 'version 0',
    });
    expect(condition(statusFromSnapshot(running()), 'MachineRestored')).toBeUndefined();
  });
});

describe('SpecValid', () => {
  it('is False (InvalidSpec) while the spec does not parse, and Ready says so too', () => {
    const status = statusFromSnapshot({
      ...running(),
      invalidSpec: { generation: 3, message: 'spec.bootstrap.jarURI: Required' },
    });
    expect(condition(status, 'SpecValid')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.bootstrap.jarURI: Required',
      observedGeneration: 3,
    });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });

  it('keeps SpecValid=False through a machine status write while the spec is invalid (it used to be dropped)', () => {
    const patched = invalidSpecPatch(undefined, 3, 'bad', NOW);
    const status = statusFromSnapshot({
      ...running(),
      stored: { conditions: patched?.conditions },
      invalidSpec: { generation: 3, message: 'bad' },
    });
    expect(condition(status, 'SpecValid')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });

  it('turns True (Parsed) once a generation parses, after having been False', () => {
    const invalid = statusFromSnapshot({ ...running(), invalidSpec: { generation: 3, message: 'bad' } });
    const fixed = statusFromSnapshot({ ...running(), generation: 4, now: NOW + 1000, stored: invalid });
    expect(condition(fixed, 'SpecValid')).toMatchObject({
      status: 'True',
      reason: 'Parsed',
      observedGeneration: 4,
      lastTransitionTime: new Date(NOW + 1000).toISOString(),
    });
    expect(condition(fixed, 'Ready')).toMatchObject({ status: 'True', reason: 'Running' });
  });

  it('is True (Parsed) on a resource that never had an invalid spec', () => {
    expect(condition(statusFromSnapshot(running()), 'SpecValid')).toMatchObject({
      status: 'True',
      reason: 'Parsed',
    });
  });

  it('the patch for a resource without a machine is written once per generation', () => {
    const patch = invalidSpecPatch({ conditions: [] }, 2, 'bad', NOW);
    expect(patch?.observedGeneration).toBe(2);
    expect(patch?.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['SpecValid', 'False', 'InvalidSpec'],
      ['Ready', 'False', 'InvalidSpec'],
    ]);
    expect(invalidSpecPatch({ conditions: patch?.conditions }, 2, 'bad', NOW)).toBeUndefined();
    expect(invalidSpecPatch({ conditions: patch?.conditions }, 3, 'bad', NOW)).toBeDefined();
  });
});

describe('ActionProcessed', () => {
  it('True (Accepted) or False (Rejected) from the machine last action', () => {
    const report = running();
    const withAction = (last: ActionOutcome) =>
      statusFromSnapshot({
        ...report,
        snapshot: { ...report.snapshot, context: { ...report.snapshot.context, lastAction: last } },
      });
    expect(condition(withAction(accepted(NOW)), 'ActionProcessed')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      message: 'STOP: stopping',
    });
    const rejected: ActionOutcome = {
      ...accepted(NOW, 'START'),
      outcome: 'rejected',
      reason: 'already running',
    };
    expect(condition(withAction(rejected), 'ActionProcessed')).toMatchObject({
      status: 'False',
      reason: 'Rejected',
      message: 'START: already running',
    });
  });

  it('an invalid requested action sets ActionProcessed=False (InvalidAction) with its message', () => {
    const status = statusFromSnapshot({
      ...running(),
      invalidAction: { at: NOW, message: 'unknown requested action "EXPLODE"' },
    });
    expect(condition(status, 'ActionProcessed')).toMatchObject({
      status: 'False',
      reason: 'InvalidAction',
      message: 'unknown requested action "EXPLODE"',
    });
  });

  it('the later of an invalid request and the machine last action is reported', () => {
    const report = running();
    const at = (lastAt: number, invalidAt: number) =>
      statusFromSnapshot({
        ...report,
        snapshot: {
          ...report.snapshot,
          context: { ...report.snapshot.context, lastAction: accepted(lastAt) },
        },
        invalidAction: { at: invalidAt, message: 'EXPLODE' },
      });
    expect(condition(at(NOW - 1000, NOW), 'ActionProcessed')?.reason).toBe('InvalidAction');
    expect(condition(at(NOW + 1000, NOW), 'ActionProcessed')?.reason).toBe('Accepted');
  });
});

describe('jobId and jobStatus', () => {
  it('while the machine owns a job: its id and the last state Flink reported for it', () => {
    expect(statusFromSnapshot(running())).toMatchObject({ jobId: JOB_ID, jobStatus: 'RUNNING' });
  });

  it('after a stop completed on the savepoint (before Flink was seen to end the job): FINISHED as Flink lists it, not RUNNING', () => {
    // The machine cleared jobId on the savepoint's completion; its lastFlinkState is the RUNNING
    // of the last observation. Flink lists the stopped job FINISHED.
    const context = jobContext({ jobId: null, lastFlinkState: 'RUNNING', savepointPath: 'file:///sp/1' });
    const status = statusFromSnapshot(
      jobReport({ Stopped: 'Idle' }, context, { lastFlinkJob: { id: JOB_ID, state: 'FINISHED' } }),
    );
    expect(status).toMatchObject({ supervisorStatus: 'Stopped', jobId: '', jobStatus: 'FINISHED' });
    // The stopped job stays named where people look first.
    expect(condition(status, 'Ready')?.message).toContain(`last Flink job ${JOB_ID} FINISHED`);
  });

  it('once stopped, never reports the state of a running job', () => {
    const context = jobContext({ jobId: null, lastFlinkState: 'RUNNING' });
    // Flink not reachable since: nothing is known of how the job ended.
    const unknown = statusFromSnapshot(
      jobReport({ Stopped: 'Idle' }, context, { lastFlinkJob: { id: JOB_ID, state: 'RUNNING' } }),
    );
    expect(unknown['jobStatus']).toBe('');
    // What a previous leader stored (it saw the end) is kept.
    const stored = statusFromSnapshot(
      jobReport({ Stopped: 'Idle' }, context, { stored: { jobStatus: 'CANCELED' }, lastFlinkJob: null }),
    );
    expect(stored['jobStatus']).toBe('CANCELED');
  });

  it('a stop the machine saw end (cancel observed) keeps the state it saw', () => {
    expect(reportedFlinkJob({ jobId: null, lastFlinkState: 'CANCELED' }, null, undefined)).toEqual({
      jobId: '',
      jobStatus: 'CANCELED',
    });
    expect(reportedFlinkJob({ jobId: null, lastFlinkState: 'NOT_FOUND' }, null, 'RUNNING')).toEqual({
      jobId: '',
      jobStatus: 'NOT_FOUND',
    });
    expect(
      reportedFlinkJob(
        { jobId: null, lastFlinkState: 'RUNNING' },
        { id: JOB_ID, state: 'FAILED' },
        'RUNNING',
      ),
    ).toEqual({ jobId: '', jobStatus: 'FAILED' });
  });

  it('the savepoint in flight names the job it belongs to', () => {
    const context = jobContext({
      jobId: JOB_ID,
      lastFlinkState: 'RUNNING',
      savepoint: {
        triggerId: 't'.repeat(32),
        deadline: NOW + 1000,
        requestedAt: NOW,
      } as JobContext['savepoint'],
    });
    const status = statusFromSnapshot(jobReport({ Started: 'Savepointing' }, context));
    expect(status).toMatchObject({ savepointJobId: JOB_ID, savepointTriggerId: 't'.repeat(32) });
  });
});

describe('a cluster status', () => {
  it('reports its TaskManagers, slots and selector', () => {
    const status = statusFromSnapshot(clusterReport({ Started: 'Idle' }));
    expect(status).toMatchObject({
      supervisorStatus: 'Started',
      clusterHealth: 'HEALTHY',
      labelSelector: expect.stringContaining('prod'),
      serviceMode: 'ClusterIP',
      taskManagers: 2,
      taskSlots: 4,
      taskManagerReplicas: 2,
      totalTaskSlots: 8,
    });
    expect((status['machine'] as { machine: string }).machine).toBe('cluster');
  });

  it('stores the write-ahead envelope it is given instead of encoding the snapshot', () => {
    const envelope = { machine: 'job', version: 1, value: 'Unknown', context: { marker: true } };
    const status = statusFromSnapshot({ ...running(), envelope } as JobReport);
    expect(status['machine']).toBe(envelope);
  });
});

describe('ReconciliationPaused (ADR 0019)', () => {
  it('a paused job says so in a condition and in status.paused, and keeps its state', () => {
    const context = jobContext({
      jobId: JOB_ID,
      lastFlinkState: 'RUNNING',
      observed: jobObservation({ paused: true, flinkJob: 'RUNNING' }),
    });
    const status = statusFromSnapshot(jobReport({ Started: 'Running' }, context));
    expect(status['paused']).toBe(true);
    expect(status['supervisorStatus']).toBe('Started');
    expect(condition(status, 'ReconciliationPaused')).toMatchObject({ status: 'True', reason: 'Paused' });
    expect(condition(status, 'ReconciliationPaused')?.message).toContain('flinkvisor.io/paused');
  });

  it('a paused cluster says so too', () => {
    const report = clusterReport({ Started: 'Idle' });
    const paused = {
      ...report,
      snapshot: {
        ...report.snapshot,
        context: { ...report.snapshot.context, observed: clusterObservation({ paused: true }) },
      },
    };
    const status = statusFromSnapshot(paused);
    expect(status['paused']).toBe(true);
    expect(condition(status, 'ReconciliationPaused')).toMatchObject({ status: 'True' });
  });

  it('resumed: the condition is removed and status.paused is false', () => {
    const pausedStatus = statusFromSnapshot(
      jobReport(
        { Started: 'Running' },
        jobContext({ jobId: JOB_ID, observed: jobObservation({ paused: true, flinkJob: 'RUNNING' }) }),
      ),
    );
    const status = statusFromSnapshot(
      jobReport(
        { Started: 'Running' },
        jobContext({ jobId: JOB_ID, observed: jobObservation({ flinkJob: 'RUNNING' }) }),
        { stored: { conditions: pausedStatus['conditions'] } },
      ),
    );
    expect(status['paused']).toBe(false);
    expect(condition(status, 'ReconciliationPaused')).toBeUndefined();
  });
});

describe('restarts (status.restarts, the RESTARTS column)', () => {
  const failure = (jobId: string, restarts?: number) => ({
    jobId,
    exception: 'java.lang.RuntimeException: boom',
    time: '2026-11-20T09:59:00.000Z',
    ...(restarts === undefined ? {} : { restarts }),
  });

  it("is Flink's count read at the running job's latest failure", () => {
    const status = statusFromSnapshot({ ...running(), lastFailure: failure(JOB_ID, 3) });
    expect(status['restarts']).toBe(3);
  });

  it('is 0 for a job without a failure seen, and for a new job after an earlier one failed', () => {
    expect(statusFromSnapshot(running())['restarts']).toBe(0);
    const earlier = 'b'.repeat(32);
    expect(statusFromSnapshot({ ...running(), lastFailure: failure(earlier, 7) })['restarts']).toBe(0);
  });

  it('names the last Flink job once the job stopped, and is absent before any job ran', () => {
    const stopped = jobReport({ Stopped: 'Idle' }, jobContext({ jobId: null, lastFlinkState: 'FAILED' }), {
      lastFlinkJob: { id: JOB_ID, state: 'FAILED' },
      lastFailure: failure(JOB_ID, 5),
    });
    expect(statusFromSnapshot(stopped)['restarts']).toBe(5);
    const fresh = jobReport({ Stopped: 'Idle' }, jobContext());
    expect(statusFromSnapshot(fresh)).not.toHaveProperty('restarts');
  });

  it('is left out when Flink could not say its count at the failure', () => {
    expect(statusFromSnapshot({ ...running(), lastFailure: failure(JOB_ID) })).not.toHaveProperty('restarts');
  });
});
