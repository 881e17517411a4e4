import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, TOOLBOX_ANNOTATIONS } from '../../../src/api/names.ts';
import {
  garbageCollectorIds,
  jobManagerStats,
  jobStats,
  metricIds,
  metricValue,
  JOB_STATS_SOURCES,
  taskManagerStats,
} from '../../../src/control-api/flink-stats.ts';
import {
  clusterSummary,
  jobSummary,
  nextActionTimestamp,
  requestedActionOf,
  statusView,
  untakenRequestOf,
} from '../../../src/control-api/resource-views.ts';

const machine = (context: Record<string, unknown>) => ({
  machine: { machine: 'job', version: 1, value: 'Started', context },
});
const T = Date.parse('2026-11-20T10:00:00Z');

describe('status views', () => {
  it("reads the time of a supervisor's stamp (<ms>:<ACTION>), and no time from an absurd one", () => {
    const stampedBySupervisor = {
      metadata: {
        annotations: { [ANNOTATIONS.requestedAction]: 'STOP', [ANNOTATIONS.actionTimestamp]: `${T}:STOP` },
      },
    };
    expect(requestedActionOf(stampedBySupervisor)?.requestedAt).toBe(T);
    for (const stamp of ['1e300', '1e300:STOP', '99999999999999999999', '-5', 'soon']) {
      const obj = {
        metadata: {
          annotations: { [ANNOTATIONS.requestedAction]: 'STOP', [ANNOTATIONS.actionTimestamp]: stamp },
        },
      };
      expect(requestedActionOf(obj)?.requestedAt, stamp).toBeNull();
    }
  });

  it("shows a request made under the toolbox's annotation names as pending, with its without-savepoint", () => {
    const obj = {
      metadata: {
        annotations: {
          [TOOLBOX_ANNOTATIONS.requestedAction]: 'stop',
          [TOOLBOX_ANNOTATIONS.withoutSavepoint]: 'true',
          [ANNOTATIONS.actionTimestamp]: `${T}:STOP`,
        },
      },
    };
    expect(requestedActionOf(obj)).toEqual({ action: 'STOP', withoutSavepoint: true, requestedAt: T });
    const resting = { metadata: { annotations: { [TOOLBOX_ANNOTATIONS.requestedAction]: 'NONE' } } };
    expect(requestedActionOf(resting)).toBeUndefined();
  });

  it('a recorded action time of absurd size does not make every new request look taken', () => {
    const obj = {
      metadata: {
        annotations: { [ANNOTATIONS.requestedAction]: 'STOP', [ANNOTATIONS.actionTimestamp]: `${T}` },
      },
      status: machine({ lastAction: { action: 'STOP', withoutSavepoint: false, requestedAt: 1e300 } }),
    };
    expect(untakenRequestOf(obj)?.requestedAt).toBe(T);
    // A sane later record still says the request was taken.
    const taken = {
      ...obj,
      status: machine({ lastAction: { action: 'STOP', withoutSavepoint: false, requestedAt: T } }),
    };
    expect(untakenRequestOf(taken)).toBeUndefined();
  });

  it('a request stamped earlier than the last one recorded (a clock behind) is not taken until recorded itself (K1)', () => {
    const obj = {
      metadata: {
        annotations: { [ANNOTATIONS.requestedAction]: 'START', [ANNOTATIONS.actionTimestamp]: `${T}:START` },
      },
      status: machine({ lastAction: { action: 'STOP', withoutSavepoint: false, requestedAt: T + 60_000 } }),
    };
    expect(untakenRequestOf(obj)?.action).toBe('START');
  });

  it('drops the machine snapshot and shows the requested, pending and last action', () => {
    const view = statusView({
      metadata: {
        name: 'demo-a',
        annotations: {
          [ANNOTATIONS.requestedAction]: 'stop',
          [ANNOTATIONS.withoutSavepoint]: 'TRUE',
          [ANNOTATIONS.actionTimestamp]: '1700000000123',
        },
      },
      status: {
        supervisorStatus: 'Started',
        ...machine({
          pendingAction: { action: 'START', withoutSavepoint: false, requestedAt: 5 },
          lastAction: {
            action: 'TRIGGER_SAVEPOINT',
            withoutSavepoint: false,
            requestedAt: 4,
            outcome: 'rejected',
            reason: 'savepoint in flight',
            at: 6,
          },
        }),
      },
    });
    expect(view).toEqual({
      supervisorStatus: 'Started',
      requestedAction: { action: 'STOP', withoutSavepoint: true, requestedAt: 1700000000123 },
      pendingAction: { action: 'START', withoutSavepoint: false, requestedAt: 5 },
      lastAction: {
        action: 'TRIGGER_SAVEPOINT',
        withoutSavepoint: false,
        requestedAt: 4,
        outcome: 'rejected',
        reason: 'savepoint in flight',
        at: 6,
      },
    });
  });

  it('shows no action for NONE, an empty value, or a malformed machine context', () => {
    const view = statusView({
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'NONE' } },
      status: { machine: { context: { lastAction: { action: 3 } } } },
    });
    expect(view).toEqual({});
  });

  it('stamps a new action later than any the supervisor has seen, even from a slower clock', () => {
    const obj = {
      metadata: {},
      status: machine({ lastAction: { action: 'STOP', withoutSavepoint: false, requestedAt: T + 2_000 } }),
    };
    expect(nextActionTimestamp(T + 1_000, obj)).toBe(T + 2_001);
    expect(nextActionTimestamp(T + 5_000.7, obj)).toBe(T + 5_000);
    expect(nextActionTimestamp(T + 1_000, { metadata: {} })).toBe(T + 1_000);
  });

  it.each([1e300, -5, 1.5, T + 24 * 60 * 60 * 1000, Number('9'.repeat(400)), 5, Date.UTC(2019, 11, 31)])(
    'ignores an absurd requestedAt in status (%s): the new stamp is now',
    (absurd) => {
      const action = { action: 'STOP', withoutSavepoint: false, requestedAt: absurd };
      for (const context of [{ lastAction: action }, { pendingAction: action }]) {
        expect(nextActionTimestamp(T, { metadata: {}, status: machine(context) })).toBe(T);
      }
    },
  );

  it('still goes past a sane requestedAt up to ten minutes ahead of now, beside an absurd one', () => {
    const obj = {
      metadata: {},
      status: machine({
        lastAction: { action: 'STOP', withoutSavepoint: false, requestedAt: 1e300 },
        pendingAction: { action: 'START', withoutSavepoint: false, requestedAt: T + 10 * 60 * 1000 },
      }),
    };
    expect(nextActionTimestamp(T, obj)).toBe(T + 10 * 60 * 1000 + 1);
  });

  it('summarises clusters and jobs for the lists; a job is named as in the paths', () => {
    expect(
      clusterSummary({
        metadata: { name: 'demo', deletionTimestamp: new Date(0) },
        spec: { taskManagers: 2 },
        status: { supervisorStatus: 'Started', taskManagers: 2, machine: {} },
      }),
    ).toEqual({
      name: 'demo',
      supervisorStatus: 'Started',
      taskManagers: 2,
      requestedTaskManagers: 2,
      deleting: true,
      created: null,
    });
    expect(jobSummary({ metadata: { name: 'demo-a' }, spec: { jobParallelism: 3 } }, 'demo')).toMatchObject({
      name: 'a',
      resource: 'demo-a',
      requestedParallelism: 3,
    });
    expect(jobSummary({ metadata: { name: 'solo' } }, 'demo')).toMatchObject({
      name: 'solo',
      resource: 'solo',
    });
  });
});

describe('Flink stats', () => {
  it('reads numbers as numbers and n/a or nothing as null', () => {
    expect(metricValue('42')).toBe(42);
    expect(metricValue('0.25')).toBe(0.25);
    expect(metricValue('n/a')).toBeNull();
    expect(metricValue(undefined)).toBeNull();
    expect(metricValue('file:/x/chk-1')).toBe('file:/x/chk-1');
    expect(metricValue('1e3')).toBe(1000);
  });

  it("builds the toolbox's JobStats, falling back to the newer metric names and null for removed ones", () => {
    const stats = jobStats([
      { id: 'numberOfCompletedCheckpoints', value: '4' },
      { id: 'numRestarts', value: '1' },
      { id: 'runningTime', value: '60000' },
      { id: 'lastCheckpointExternalPath', value: 'n/a' },
    ]);
    expect(stats).toMatchObject({
      numberOfCompletedCheckpoints: 4,
      fullRestarts: 1,
      numRestarts: 1,
      uptime: 60000,
      downtime: null,
      lastCheckpointExternalPath: null,
    });
    expect(Object.keys(stats).sort()).toEqual(Object.keys(JOB_STATS_SOURCES).sort());
    expect(metricIds(JOB_STATS_SOURCES)).toContain('fullRestarts');
    expect(new Set(metricIds(JOB_STATS_SOURCES)).size).toBe(metricIds(JOB_STATS_SOURCES).length);
  });

  it('reports the JVM and slot metrics and each garbage collector by name', () => {
    const available = [
      { id: 'Status.JVM.GarbageCollector.G1_Young_Generation.Count' },
      { id: 'Status.JVM.GarbageCollector.G1_Young_Generation.Time' },
      { id: 'Status.JVM.GarbageCollector.All.Count' },
      { id: 'Status.JVM.CPU.Load' },
    ];
    expect(garbageCollectorIds(available)).toHaveLength(3);
    const stats = jobManagerStats([
      { id: 'Status.JVM.Memory.Heap.Used', value: '1024' },
      { id: 'taskSlotsAvailable', value: '1' },
      { id: 'Status.JVM.GarbageCollector.G1_Young_Generation.Count', value: '5' },
      { id: 'Status.JVM.GarbageCollector.G1_Young_Generation.Time', value: '30' },
    ]);
    expect(stats).toMatchObject({
      jvmMemoryHeapUsed: 1024,
      taskSlotsAvailable: 1,
      numRunningJobs: null,
      jvmGarbageCollectors: { G1_Young_Generation: { count: 5, time: 30 } },
    });
    expect(taskManagerStats([{ id: 'Status.Flink.Memory.Managed.Total', value: '67108864' }])).toMatchObject({
      managedMemoryTotal: 67108864,
      jvmCPULoad: null,
    });
  });
});
