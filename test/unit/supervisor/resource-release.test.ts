// Keeping a deleted FlinkJob while a FlinkSavepoint record of it still waits for its outcome (K17),
// bounded on the supervisor's own monotonic clock (K20).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/kube/clock.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import type { JobContext } from '../../../src/machines/job-machine.ts';
import { awaitsSavepointOutcome, type ReleaseDeps } from '../../../src/supervisor/resource-release.ts';

const TASK_TIMEOUT_S = 60;
const DELETED_AT = Date.parse('2026-11-20T10:01:42.123Z');
const context = { policy: { taskTimeoutSeconds: TASK_TIMEOUT_S } } as unknown as JobContext;
const raw: CustomObject = {
  apiVersion: 'flinkvisor.io/v1',
  kind: 'FlinkJob',
  metadata: { name: 'job-b', uid: 'uid-3', deletionTimestamp: new Date(DELETED_AT) },
};

function deps(clock: Clock, pending: () => boolean): ReleaseDeps {
  return {
    clock,
    namespace: 'sim',
    resources: {} as ReleaseDeps['resources'],
    metadataWritten: () => undefined,
    writeStatus: async () => undefined,
    history: { awaitsOutcome: async () => pending() },
    deletionsSeen: new Map(),
  };
}

describe('awaitsSavepointOutcome', () => {
  it("keeps the FlinkJob for a Pending record though the leader's wall clock runs minutes ahead of the API server's (K20, seed 1012701)", async () => {
    let monotonic = 0;
    // The leader's wall clock is 216 s ahead of the deletionTimestamp the API server stamped.
    const clock: Clock = {
      now: () => DELETED_AT + 216_000 + monotonic,
      monotonic: () => monotonic,
      sleep: async () => undefined,
      setTimeout: () => ({ cancel: () => undefined }),
    };
    const d = deps(clock, () => true);
    expect(await awaitsSavepointOutcome(d, 'job-b', raw, context)).toBe(true);
    monotonic += TASK_TIMEOUT_S * 1000 - 1;
    expect(await awaitsSavepointOutcome(d, 'job-b', raw, context)).toBe(true);
    // Bounded: taskTimeout after this supervisor saw the deletion, the record stays Pending.
    monotonic += 1;
    expect(await awaitsSavepointOutcome(d, 'job-b', raw, context)).toBe(false);
  });

  it('does not keep a FlinkJob that is not deleted, or whose records have their outcomes', async () => {
    const clock: Clock = {
      now: () => DELETED_AT,
      sleep: async () => undefined,
      setTimeout: () => ({ cancel: () => undefined }),
    };
    const live: CustomObject = { ...raw, metadata: { name: 'job-b', uid: 'uid-3' } };
    expect(
      await awaitsSavepointOutcome(
        deps(clock, () => true),
        'job-b',
        live,
        context,
      ),
    ).toBe(false);
    expect(
      await awaitsSavepointOutcome(
        deps(clock, () => false),
        'job-b',
        raw,
        context,
      ),
    ).toBe(false);
  });
});
