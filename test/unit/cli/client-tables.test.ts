import { describe, expect, it } from 'vitest';
import {
  actionLine,
  clustersTable,
  deploymentsTable,
  jobDetailsTable,
  jobsTable,
  pauseLine,
  statsTable,
  statusTable,
  taskManagersTable,
  writeLine,
} from '../../../src/cli/client-tables.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const lines = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));

describe('client tables', () => {
  it('lists clusters with the columns of kubectl get fc', () => {
    const text = clustersTable(
      [
        {
          name: 'demo',
          supervisorStatus: 'Started',
          resourceStatus: 'Updated',
          clusterHealth: 'HEALTHY',
          taskManagers: 1,
          requestedTaskManagers: 1,
          taskManagerReplicas: 1,
          totalTaskSlots: 2,
          created: '2026-11-20T11:00:00Z',
        },
      ],
      NOW,
    );
    expect(lines(text)).toEqual([
      [
        'NAME',
        'SUPERVISOR-STATUS',
        'RESOURCE-STATUS',
        'CLUSTER-HEALTH',
        'TASK-MANAGERS',
        'REQUESTED-TASK-MANAGERS',
        'TASK-MANAGERS-REPLICAS',
        'TOTAL-TASK-SLOTS',
        'AGE',
        'PAUSED',
      ],
      ['demo', 'Started', 'Updated', 'HEALTHY', '1', '1', '1', '2', '60m', 'false'],
    ]);
  });

  it('lists jobs by their name in the cluster and their resource', () => {
    const text = jobsTable(
      [
        {
          name: 'speed',
          resource: 'demo-speed',
          supervisorStatus: 'Stopped',
          savepointPath: '',
          paused: true,
        },
      ],
      NOW,
    );
    expect(lines(text)[0]?.slice(-2)).toEqual(['PAUSED', 'RESTARTS']);
    expect(lines(text)[1]).toEqual([
      'speed',
      'demo-speed',
      'Stopped',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
      'true',
      '<none>',
    ]);
  });

  it('shows at a glance a job its state, health, savepoint age, restarts and pause', () => {
    const text = jobsTable(
      [
        {
          name: 'speed',
          resource: 'demo-speed',
          supervisorStatus: 'Started',
          resourceStatus: 'Updated',
          clusterHealth: 'HEALTHY',
          jobStatus: 'RUNNING',
          jobId: 'ecc96795e1565d8bf48b39d98f6e909a',
          jobParallelism: 2,
          requestedParallelism: 2,
          savepointPath: 's3://state/sp-1',
          savepointTimestamp: '2026-11-20T11:15:00Z',
          paused: false,
          restarts: 4,
          created: '2026-11-18T12:00:00Z',
        },
      ],
      NOW,
    );
    const [header, row] = lines(text);
    const cells = Object.fromEntries((header ?? []).map((h, i) => [h, row?.[i]]));
    expect(cells).toEqual({
      NAME: 'speed',
      RESOURCE: 'demo-speed',
      'SUPERVISOR-STATUS': 'Started',
      'RESOURCE-STATUS': 'Updated',
      'CLUSTER-HEALTH': 'HEALTHY',
      'JOB-STATUS': 'RUNNING',
      'JOB-ID': 'ecc96795e1565d8bf48b39d98f6e909a',
      'JOB-PARALLELISM': '2',
      'REQUESTED-JOB-PARALLELISM': '2',
      'SAVEPOINT-PATH': 's3://state/sp-1',
      'SAVEPOINT-AGE': '45m',
      AGE: '2d',
      PAUSED: 'false',
      RESTARTS: '4',
    });
  });

  it('lists deployments with the status of their Ready condition', () => {
    const text = deploymentsTable(
      [{ name: 'demo', resourceStatus: 'Updated', jobs: ['cars'], paused: true, ready: 'False' }],
      NOW,
    );
    expect(lines(text)).toEqual([
      ['NAME', 'RESOURCE-STATUS', 'JOBS', 'AGE', 'PAUSED', 'READY'],
      ['demo', 'Updated', 'cars', '<none>', 'true', 'False'],
    ]);
  });

  it("shows job details with the FlinkJob's last failure from its status", () => {
    const details = { jid: 'j1', name: 'TopSpeedWindowing', state: 'RESTARTING', vertices: [] };
    const status = {
      lastFailure: {
        jobId: 'j1',
        exception: 'java.lang.RuntimeException: boom (Caused by: java.io.IOException: disk)',
        time: '2026-11-20T11:59:00.000Z',
        restarts: 3,
      },
    };
    const blocks = jobDetailsTable(details, status).split('\n\n');
    expect(lines(blocks.at(-1) ?? '')).toEqual([
      ['LAST-FAILURE', 'VALUE'],
      ['time', '2026-11-20T11:59:00.000Z'],
      ['jobId', 'j1'],
      ['restarts', '3'],
      ['exception', 'java.lang.RuntimeException: boom (Caused by: java.io.IOException: disk)'],
    ]);
    expect(jobDetailsTable(details, {})).not.toContain('LAST-FAILURE');
  });

  it('says what a pause or resume did in one line', () => {
    const ref = { kind: 'FlinkJob', name: 'demo-speed' };
    expect(pauseLine({ ...ref, paused: true, changed: true })).toBe('flinkjob/demo-speed paused\n');
    expect(pauseLine({ ...ref, paused: true, changed: false })).toBe('flinkjob/demo-speed already paused\n');
    expect(pauseLine({ ...ref, paused: false, changed: true })).toBe('flinkjob/demo-speed resumed\n');
    expect(pauseLine({ ...ref, paused: false, changed: false })).toBe('flinkjob/demo-speed not paused\n');
  });

  it('shows a status as fields, then its conditions, and no digests', () => {
    const text = statusTable({
      supervisorStatus: 'Started',
      lastAction: { action: 'STOP', outcome: 'accepted' },
      digest: { runtime: 'abc' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'the job is Started' }],
    });
    expect(text).toContain('lastAction.outcome');
    expect(text).not.toContain('digest');
    expect(lines(text.split('\n\n')[1] ?? '')).toEqual([
      ['CONDITION', 'STATUS', 'REASON', 'MESSAGE'],
      ['Ready', 'True', 'Running', 'the job is Started'],
    ]);
  });

  it('shows job details with their vertices, and stats with their garbage collectors', () => {
    const details = jobDetailsTable({
      jid: 'j1',
      name: 'TopSpeedWindowing',
      state: 'RUNNING',
      vertices: [{ name: 'Source', parallelism: 2, status: 'RUNNING', duration: 10 }],
    });
    expect(details).toContain('TopSpeedWindowing');
    expect(lines(details.split('\n\n')[1] ?? '')).toEqual([
      ['VERTEX', 'PARALLELISM', 'STATUS', 'DURATION'],
      ['Source', '2', 'RUNNING', '10'],
    ]);
    const stats = statsTable({
      taskSlotsTotal: 2,
      jvmCPULoad: null,
      jvmGarbageCollectors: { G1_Young_Generation: { count: 3, time: 12 } },
    });
    expect(lines(stats)).toEqual([
      ['FIELD', 'VALUE'],
      ['taskSlotsTotal', '2'],
      ['jvmCPULoad', '<none>'],
      [''],
      ['GARBAGE-COLLECTOR', 'COUNT', 'TIME-MS'],
      ['G1_Young_Generation', '3', '12'],
    ]);
  });

  it('lists TaskManagers with their slots and hardware', () => {
    const text = taskManagersTable([
      {
        id: '127.0.0.5:40000-abc',
        slotsNumber: 2,
        freeSlots: 1,
        hardware: { cpuCores: 2, physicalMemory: 2 * 1024 * 1024 * 1024 },
        timeSinceLastHeartbeat: 1500,
      },
    ]);
    expect(lines(text)[1]).toEqual(['127.0.0.5:40000-abc', '2', '1', '2', '2048Mi', '1500']);
  });

  it('says what a write or an action did in one line', () => {
    expect(writeLine({ kind: 'FlinkCluster', name: 'demo' }, 'created')).toBe('flinkcluster/demo created\n');
    expect(actionLine({ kind: 'FlinkJob', name: 'demo-a', action: 'STOP', withoutSavepoint: true })).toBe(
      'flinkjob/demo-a: STOP requested (without savepoint)\n',
    );
  });
});
