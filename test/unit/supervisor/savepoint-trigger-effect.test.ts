// The savepoint trigger's effect tells a lost answer from a refusal: a request that was sent and
// whose answer never came (a timeout after sending, a reset) may have been taken by Flink, so it is
// an outcome to poll, not a failure to abandon (the simulator's finding K2: a completed savepoint
// that no status ever recorded). A refusal, or a request that never left, stays a failure.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  FlinkBadRequestError,
  FlinkNotFoundError,
  FlinkTimeoutError,
  FlinkUnavailableError,
} from '../../../src/flink/errors.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import type { OwnedObjectWriter } from '../../../src/supervisor/owned-objects.ts';
import { jobEffects } from '../../../src/supervisor/machine-effects.ts';
import { ManualClock } from '../../support/manual-clock.ts';

/** Flink's answer for each savepoint trigger id it was asked about (absent: 404). */
type Operations = Record<string, 'IN_PROGRESS' | 'COMPLETED'>;

function trigger(
  error: Error | undefined,
  abandoned: readonly string[] = [],
  operations: Operations = {},
  recordTriggers: () => Promise<void> = async () => undefined,
) {
  const posted: string[] = [];
  const flink = {
    triggerSavepoint: async (_jobId: string, request: { triggerId: string }) => {
      if (error) throw error;
      posted.push(request.triggerId);
      return { triggerId: request.triggerId };
    },
    getSavepointStatus: async (_jobId: string, triggerId: string) => {
      const state = operations[triggerId];
      if (!state) throw new FlinkNotFoundError('no such trigger');
      return state === 'COMPLETED' ? { state, location: `s3://b/sp/${triggerId}` } : { state };
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
    abandonedTriggers: () => abandoned,
    recordTriggers,
    log: () => undefined,
  });
  const actor = createActor(effects.triggerSavepoint, {
    input: { jobId: 'a'.repeat(32), triggerId: 'b'.repeat(32), targetDirectory: 's3://b/sp' },
  });
  actor.start();
  return Object.assign(toPromise(actor), { posted });
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

  it('sends no trigger whose FlinkSavepoint record could not be stored (K13)', async () => {
    const unrecorded = trigger(undefined, [], {}, async () => {
      throw new Error('no FlinkSavepoint record stored');
    });
    await expect(unrecorded).rejects.toThrow(/no FlinkSavepoint record/);
    expect(unrecorded.posted).toEqual([]);
  });

  it('sends no new trigger while a savepoint the machine stopped waiting for is still in progress at Flink (K6)', async () => {
    const abandoned = 'c'.repeat(32);
    const refused = trigger(undefined, [abandoned], { [abandoned]: 'IN_PROGRESS' });
    await expect(refused).rejects.toThrow(/still in progress/);
    expect(refused.posted).toEqual([]);
    // Once Flink has finished it (or never knew it), the new savepoint is triggered.
    const done = trigger(undefined, [abandoned], { [abandoned]: 'COMPLETED' });
    await expect(done).resolves.toEqual({ at: 1000 });
    expect(done.posted).toEqual(['b'.repeat(32)]);
    const forgotten = trigger(undefined, [abandoned], {});
    await expect(forgotten).resolves.toEqual({ at: 1000 });
    // The trigger's own id (sent again after a lost answer) never blocks itself.
    const again = trigger(undefined, ['b'.repeat(32)], { ['b'.repeat(32)]: 'IN_PROGRESS' });
    await expect(again).resolves.toEqual({ at: 1000 });
  });

  it('cuts a hung status read at the Flink read bound and polls again, so the answer is read promptly (K2)', async () => {
    const clock = new ManualClock(1000);
    let reads = 0;
    const flink = {
      getSavepointStatus: (_jobId: string, _triggerId: string, c: { signal?: AbortSignal }) => {
        reads++;
        if (reads > 1) return Promise.resolve({ state: 'COMPLETED', location: 's3://b/sp/1' });
        // The first read hangs (a JobManager that does not answer) until its signal aborts.
        return new Promise((_resolve, reject) =>
          c.signal?.addEventListener('abort', () => reject(c.signal?.reason as Error), { once: true }),
        );
      },
    } as unknown as FlinkRestClient;
    const effects = jobEffects({
      clock,
      objects: {} as OwnedObjectWriter,
      flink: () => flink,
      job: () => undefined,
      persist: async () => undefined,
      allowPrivateNetworks: false,
      pollIntervalMs: 1000,
      flinkTimeoutMs: 3000,
      log: () => undefined,
    });
    const actor = createActor(effects.awaitSavepoint, {
      input: { jobId: 'a'.repeat(32), triggerId: 'b'.repeat(32) },
    });
    let output: unknown;
    void toPromise(actor).then((o) => (output = o));
    actor.start();
    await clock.advance(2999);
    expect(output).toBeUndefined();
    await clock.advance(1 + 500);
    expect(output).toMatchObject({ status: 'COMPLETED', location: 's3://b/sp/1' });
    expect(reads).toBe(2);
  });
});
