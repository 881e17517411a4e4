// The savepoint trigger's effect tells a lost answer from a refusal: a request that was sent and
// whose answer never came (a timeout after sending, a reset) may have been taken by Flink, so it is
// an outcome to poll, not a failure to abandon (the simulator's finding K2: a completed savepoint
// that no status ever recorded). A refusal, or a request that never left, stays a failure.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { FlinkBadRequestError, FlinkTimeoutError, FlinkUnavailableError } from '../../../src/flink/errors.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import type { OwnedObjectWriter } from '../../../src/supervisor/owned-objects.ts';
import { jobEffects } from '../../../src/supervisor/machine-effects.ts';
import { ManualClock } from '../../support/manual-clock.ts';

function trigger(error: Error | undefined) {
  const flink = {
    triggerSavepoint: async () => {
      if (error) throw error;
      return { triggerId: 't' };
    },
  } as unknown as FlinkRestClient;
  const effects = jobEffects({
    clock: new ManualClock(1000),
    objects: {} as OwnedObjectWriter,
    flink: () => flink,
    job: () => undefined,
    persist: async () => undefined,
    allowPrivateNetworks: false,
    pollIntervalMs: 1000,
    log: () => undefined,
  });
  const actor = createActor(effects.triggerSavepoint, {
    input: { jobId: 'a'.repeat(32), triggerId: 'b'.repeat(32), targetDirectory: 's3://b/sp' },
  });
  actor.start();
  return toPromise(actor);
}

describe('the savepoint trigger effect', () => {
  it('answers a lost answer as outcomeUnknown, to be polled', async () => {
    await expect(trigger(new FlinkTimeoutError('headers', 3000))).resolves.toEqual({
      at: 1000,
      outcomeUnknown: true,
    });
    await expect(
      trigger(new FlinkUnavailableError('connection reset', { outcomeUnknown: true })),
    ).resolves.toMatchObject({ outcomeUnknown: true });
  });

  it('keeps a refusal, or a request that never left, a failure', async () => {
    await expect(trigger(new FlinkTimeoutError('connect', 3000))).rejects.toBeInstanceOf(FlinkTimeoutError);
    await expect(trigger(new FlinkBadRequestError('job not running'))).rejects.toBeInstanceOf(
      FlinkBadRequestError,
    );
    await expect(trigger(undefined)).resolves.toEqual({ at: 1000 });
  });
});
