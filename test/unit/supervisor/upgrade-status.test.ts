// The supervisor's side of upgrade modes (docs/upgrades.md): Flink's checkpoint statistics reduced
// to the snapshots an upgrade may restore, the checkpoint the watch hands the machine, the policy the
// spec maps to, and what status says: restoredFrom, lastCheckpoint, upgradeMode, StateRestorable.
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/status.ts';
import { FlinkNotFoundError } from '../../../src/flink/errors.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import type { FlinkCheckpointingStatistics } from '../../../src/flink/schemas.ts';
import { initialJobContext, type JobContext } from '../../../src/machines/job-machine.ts';
import { CheckpointWatch } from '../../../src/supervisor/checkpoint-watch.ts';
import type { CheckpointReader } from '../../../src/supervisor/checkpoint-watch.ts';
import { readSnapshots } from '../../../src/supervisor/flink-gateway.ts';
import { jobPolicy } from '../../../src/supervisor/spec-policies.ts';
import { statusFromSnapshot, type JobReport } from '../../../src/supervisor/status-report.ts';
import { parseFlinkCluster, parseFlinkJob } from '../../../src/api/parse.ts';
import { BOOTSTRAP_EXIT } from '../../../src/bootstrap/exit-codes.ts';
import { bootstrapJob } from '../../../src/supervisor/resource-builders.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const JOB = '0123456789abcdef0123456789abcdef';

function statistics(latest: FlinkCheckpointingStatistics['latest']): FlinkCheckpointingStatistics {
  return { counts: { restored: 0, total: 3, in_progress: 0, completed: 3, failed: 0 }, latest, history: [] };
}

function clientAnswering(answer: FlinkCheckpointingStatistics | Error): FlinkRestClient {
  return {
    getCheckpoints: async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as FlinkRestClient;
}

describe('the snapshots Flink names for a job', () => {
  it('the newest completed checkpoint and savepoint, with their paths and completion times', async () => {
    const client = clientAnswering(
      statistics({
        completed: {
          id: 7,
          status: 'COMPLETED',
          is_savepoint: false,
          latest_ack_timestamp: NOW - 5000,
          external_path: 's3://state/checkpoints/ns/c/job/chk-7',
        },
        savepoint: {
          id: 6,
          status: 'COMPLETED',
          is_savepoint: true,
          trigger_timestamp: NOW - 60_000,
          end_to_end_duration: 2000,
          external_path: 's3://state/savepoints/savepoint-0123-abc',
        },
      }),
    );
    expect(await readSnapshots(client, JOB, 1000)).toEqual({
      checkpoint: { path: 's3://state/checkpoints/ns/c/job/chk-7', completedAt: NOW - 5000 },
      savepoint: { path: 's3://state/savepoints/savepoint-0123-abc', completedAt: NOW - 58_000 },
    });
  });

  it('none without a path (not externalized) or for a job Flink does not know; other failures reject', async () => {
    const withoutPath = clientAnswering(
      statistics({
        completed: { id: 1, status: 'COMPLETED', is_savepoint: false, latest_ack_timestamp: NOW },
      }),
    );
    expect(await readSnapshots(withoutPath, JOB, 1000)).toEqual({ checkpoint: null, savepoint: null });
    const unknown = clientAnswering(new FlinkNotFoundError('Job not found', { status: 404 }));
    expect(await readSnapshots(unknown, JOB, 1000)).toEqual({ checkpoint: null, savepoint: null });
    await expect(readSnapshots(clientAnswering(new Error('ECONNREFUSED')), JOB, 1000)).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

describe('the checkpoint the watch hands the machine', () => {
  it('is the newest completed checkpoint with a path of the watched job, forgotten with the job id', async () => {
    let path: string | null = 's3://state/checkpoints/chk-1';
    const reader: CheckpointReader = {
      config: async () => ({ intervalMs: 2000, timeoutMs: 60_000, minPauseMs: 0 }),
      stats: async () => ({
        lastCompleted: { id: 1, at: NOW - 1000, durationMs: 100, path },
        failedSince: 0,
        lastFailure: null,
        inProgress: 0,
        failedTotal: 0,
      }),
    };
    const watch = new CheckpointWatch(null);
    expect(watch.latestCheckpointOf(JOB)).toBeNull();
    await watch.observe(JOB, 'RUNNING', NOW, reader);
    expect(watch.latestCheckpointOf(JOB)).toEqual({
      path: 's3://state/checkpoints/chk-1',
      completedAt: NOW - 1000,
    });
    expect(watch.latestCheckpointOf('e'.repeat(32))).toBeNull();
    path = null;
    await watch.observe('f'.repeat(32), 'RUNNING', NOW + 1000, reader);
    expect(watch.latestCheckpointOf(JOB)).toBeNull();
    expect(watch.latestCheckpointOf('f'.repeat(32))).toBeNull();
  });
});

describe('the job policy of a spec', () => {
  it('carries upgradeMode, drainOnStop and maxCheckpointAge', () => {
    const found = validFixtures().find((f) => f.file === 'job-upgrade-modes.yaml');
    if (!found) throw new Error('no fixture');
    expect(jobPolicy(parseFlinkJob(structuredClone(found.resource)), undefined)).toMatchObject({
      upgradeMode: 'last-state',
      drainOnStop: true,
      maxCheckpointAgeSeconds: 300,
    });
  });
});

function report(
  value: JobReport['snapshot']['value'],
  overrides: Partial<JobContext>,
): Record<string, unknown> {
  const context = { ...initialJobContext({ uid: 'uid-job', idSeed: '1', at: NOW - 60_000 }), ...overrides };
  return statusFromSnapshot({
    kind: 'job',
    now: NOW,
    generation: 2,
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
  });
}

function stateRestorable(status: Record<string, unknown>): Condition | undefined {
  return (status['conditions'] as Condition[]).find((c) => c.type === 'StateRestorable');
}

describe('status', () => {
  it('restoredFrom and lastCheckpoint, and StateRestorable=True naming the snapshot', () => {
    const status = report(
      { Started: 'Running' },
      {
        jobId: JOB,
        restoredFrom: { path: 's3://state/checkpoints/chk-7', kind: 'checkpoint' },
        lastCheckpoint: { path: 's3://state/checkpoints/chk-9', completedAt: NOW - 1000 },
      },
    );
    expect(status['restoredFrom']).toEqual({ path: 's3://state/checkpoints/chk-7', kind: 'checkpoint' });
    expect(status['lastCheckpoint']).toEqual({
      path: 's3://state/checkpoints/chk-9',
      completedAt: new Date(NOW - 1000).toISOString(),
    });
    expect(stateRestorable(status)).toMatchObject({ status: 'True', reason: 'RestoringSnapshot' });
    expect(stateRestorable(status)?.message).toContain('checkpoint s3://state/checkpoints/chk-7');
  });

  it('a start without state says so; before any submission there is no StateRestorable', () => {
    const empty = report({ Started: 'Running' }, { jobId: JOB, restoredFrom: { path: null, kind: 'none' } });
    expect(empty['restoredFrom']).toEqual({ path: '', kind: 'none' });
    expect(stateRestorable(empty)).toMatchObject({ status: 'True', reason: 'StartedWithoutState' });
    const fresh = report('Unknown', {});
    expect(fresh['restoredFrom']).toBeUndefined();
    expect(stateRestorable(fresh)).toBeUndefined();
  });

  it('a job stopped for want of a snapshot: StateRestorable=False (SnapshotUnavailable) with what to do', () => {
    const message =
      'upgradeMode savepoint: no savepoint could be taken and no completed checkpoint is known (maxCheckpointAge 600s): the job is left stopped, not started empty. START starts it without state; START --without-savepoint starts it without state; setting spec.savepoint.initialSavepointPath chooses the snapshot START restores';
    const status = report(
      { Stopped: 'Idle' },
      { stopReason: 'SnapshotUnavailable', notice: { reason: 'SnapshotUnavailable', message, at: NOW } },
    );
    expect(stateRestorable(status)).toMatchObject({
      status: 'False',
      reason: 'SnapshotUnavailable',
      message,
    });
  });

  it('a snapshot without _metadata: StateRestorable=False (SnapshotMissing)', () => {
    const message = 'the checkpoint to restore, s3://state/chk-7, has no _metadata: the job is left stopped';
    const status = report(
      { Stopped: 'Idle' },
      { stopReason: 'SnapshotMissing', notice: { reason: 'SnapshotMissing', message, at: NOW } },
    );
    expect(stateRestorable(status)).toMatchObject({ status: 'False', reason: 'SnapshotMissing', message });
  });
});

function fixture(file: string): unknown {
  const found = validFixtures().find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return structuredClone(found.resource);
}

describe('the bootstrap Job of a restore', () => {
  const job = parseFlinkJob(fixture('job-upgrade-modes.yaml'));
  const cluster = parseFlinkCluster(fixture('cluster-full.yaml'));
  const input = {
    jobId: 'a'.repeat(32),
    submission: 2,
    parallelism: 1,
    allowPrivateNetworks: false,
    cluster,
  };

  it('from S3: the snapshot check gets the endpoint, the region and the Flink pods’ credentials Secret', () => {
    const built = bootstrapJob(job, { ...input, savepointPath: 's3://state/checkpoints/chk-7' });
    const container = built.spec?.template.spec?.containers[0];
    expect(container?.args).toEqual(expect.arrayContaining([expect.stringMatching(/^--s3-region=/)]));
    const credentials = container?.env?.filter((e) => e.name.startsWith('AWS_')) ?? [];
    expect(credentials.map((e) => e.name)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(credentials.every((e) => e.valueFrom?.secretKeyRef !== undefined)).toBe(true);
    expect(built.spec?.podFailurePolicy?.rules[0]?.onExitCodes?.values).toEqual([
      BOOTSTRAP_EXIT.permanent,
      BOOTSTRAP_EXIT.snapshotMissing,
    ]);
  });

  it('without a snapshot to restore, no credentials reach the bootstrap', () => {
    const built = bootstrapJob(job, { ...input, savepointPath: null });
    const container = built.spec?.template.spec?.containers[0];
    expect(container?.env?.some((e) => e.name.startsWith('AWS_'))).toBe(false);
    expect(container?.args?.some((a) => a.startsWith('--s3-'))).toBe(false);
  });
});
