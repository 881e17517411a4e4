import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { readBootstrap } from '../../../src/supervisor/bootstrap-observation.ts';
import { FLINK_JOB_ID_LABEL } from '../../../src/supervisor/resource-builders.ts';

const NOW = Date.parse('2026-11-21T10:00:00Z');
const TASK_TIMEOUT_MS = 300_000;

function job(o: { succeeded?: number; failed?: boolean; deletingForMs?: number } = {}): V1Job {
  return {
    metadata: {
      name: 'bootstrap-demo-a',
      uid: 'u1',
      labels: { [FLINK_JOB_ID_LABEL]: 'a'.repeat(32) },
      ...(o.deletingForMs === undefined ? {} : { deletionTimestamp: new Date(NOW - o.deletingForMs) }),
    },
    status: {
      ...(o.succeeded === undefined ? {} : { succeeded: o.succeeded }),
      ...(o.failed ? { conditions: [{ type: 'Failed', status: 'True' }] } : {}),
    },
  } as V1Job;
}

describe('readBootstrap', () => {
  it('reports no Job as absent', () => {
    expect(readBootstrap(undefined, NOW, TASK_TIMEOUT_MS)).toEqual({
      bootstrap: 'absent',
      bootstrapJobId: null,
      gaveUp: false,
      bootstrapFailure: null,
    });
  });

  it('reads the outcome and the job id it submits', () => {
    expect(readBootstrap(job(), NOW, TASK_TIMEOUT_MS)).toEqual({
      bootstrap: 'active',
      bootstrapJobId: 'a'.repeat(32),
      gaveUp: false,
      bootstrapFailure: null,
    });
    expect(readBootstrap(job({ succeeded: 1 }), NOW, TASK_TIMEOUT_MS).bootstrap).toBe('succeeded');
    expect(readBootstrap(job({ failed: true }), NOW, TASK_TIMEOUT_MS).bootstrap).toBe('failed');
  });

  it('keeps a Job that is being deleted present: its pod could still submit', () => {
    const reading = readBootstrap(job({ deletingForMs: 10_000 }), NOW, TASK_TIMEOUT_MS);
    expect(reading.bootstrap).toBe('active');
    expect(reading.gaveUp).toBe(false);
    expect(readBootstrap(job({ deletingForMs: TASK_TIMEOUT_MS }), NOW, TASK_TIMEOUT_MS).gaveUp).toBe(false);
  });

  it('gives up on a deletion not confirmed within the bound, and says so', () => {
    expect(readBootstrap(job({ deletingForMs: TASK_TIMEOUT_MS + 1 }), NOW, TASK_TIMEOUT_MS)).toEqual({
      bootstrap: 'absent',
      bootstrapJobId: null,
      gaveUp: true,
      bootstrapFailure: null,
    });
  });

  it('names a failure the snapshot check caused (exit code 66 through podFailurePolicy), and only that', () => {
    const failedWith = (message: string): V1Job => ({
      ...job(),
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message }] },
    });
    const missing = failedWith(
      'Container bootstrap for pod team/bootstrap-demo-a-x1 failed with exit code 66 matching FailJob rule at index 0',
    );
    expect(readBootstrap(missing, NOW, TASK_TIMEOUT_MS)).toMatchObject({
      bootstrap: 'failed',
      bootstrapFailure: 'SnapshotMissing',
    });
    const permanent = failedWith(
      'Container bootstrap for pod team/bootstrap-demo-a-x1 failed with exit code 65 matching FailJob rule at index 0',
    );
    expect(readBootstrap(permanent, NOW, TASK_TIMEOUT_MS).bootstrapFailure).toBeNull();
    expect(readBootstrap(job({ failed: true }), NOW, TASK_TIMEOUT_MS).bootstrapFailure).toBeNull();
  });
});
