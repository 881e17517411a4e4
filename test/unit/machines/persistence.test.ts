// The persisted envelope: its shape and size, migrations, and restores that must never throw.
// Plus the write-ahead protocol: a crash between recording an intent and acting on it repeats the
// same job id / trigger id, and a completed trigger is never sent twice.
import { describe, expect, it } from 'vitest';
import { MACHINE_VERSIONS } from '../../../src/machines/envelope.ts';
import type { PersistedEnvelope } from '../../../src/machines/envelope.ts';
import { savepointTriggerId } from '../../../src/machines/ids.ts';
import type { JobContext } from '../../../src/machines/job-machine.ts';
import {
  decodeJobEnvelope,
  encodeClusterSnapshot,
  encodeJobSnapshot,
  restoreClusterActor,
  restoreJobActor,
} from '../../../src/machines/persistence.ts';
import {
  FakeClock,
  FakeEffects,
  SECOND,
  SEED,
  T0,
  UID,
  baseClusterContext,
  jobObservation,
  jobObserved,
  liveJob,
  providedClusterMachine,
  providedJobMachine,
  requested,
  runningJobContext,
  settle,
} from './support.ts';

const INPUT = { uid: UID, idSeed: SEED, at: T0 };

function busyContext(): JobContext {
  return runningJobContext({
    observed: jobObservation({ flinkJob: 'RUNNING' }),
    savepoint: { triggerId: 'f'.repeat(32), kind: 'manual', requestedAt: T0, deadline: T0 + 300 * SECOND },
    pendingAction: { action: 'FORGET_SAVEPOINT', withoutSavepoint: false, requestedAt: T0 },
    lastAction: {
      action: 'START',
      withoutSavepoint: true,
      requestedAt: T0 - 1,
      outcome: 'accepted',
      reason: 'accepted',
      at: T0,
    },
    notice: { reason: 'JobLost', message: 'x'.repeat(300), at: T0 },
    savepointPath: `s3://bucket/${'p'.repeat(200)}`,
  });
}

function validEnvelope(): PersistedEnvelope {
  return JSON.parse(
    JSON.stringify(encodeJobSnapshot({ value: { Started: 'Running' }, context: busyContext() })),
  );
}

describe('encoding', () => {
  it('is versioned, drops the observation and stays a few KiB', () => {
    const envelope = encodeJobSnapshot({ value: { Started: 'Running' }, context: busyContext() });
    expect(envelope.machine).toBe('job');
    expect(envelope.version).toBe(MACHINE_VERSIONS.job);
    expect(envelope.context).not.toHaveProperty('observed');
    expect(envelope.context).toMatchObject({ uid: UID, idSeed: SEED, jobId: busyContext().jobId });
    expect(JSON.stringify(envelope).length).toBeLessThan(4096);
    const cluster = encodeClusterSnapshot({ value: { Started: 'Idle' }, context: baseClusterContext() });
    expect(JSON.stringify(cluster).length).toBeLessThan(4096);
  });

  it('persists a state running a side effect as the state that resumes it', () => {
    const context = busyContext();
    expect(encodeJobSnapshot({ value: { Started: { Savepointing: 'Triggering' } }, context }).value).toEqual({
      Started: { Savepointing: 'Awaiting' },
    });
    expect(
      encodeJobSnapshot({ value: { Starting: { Launching: 'CreatingBootstrap' } }, context }).value,
    ).toEqual({
      Starting: { Launching: 'Idle' },
    });
    expect(
      encodeJobSnapshot({ value: { Stopping: { SavepointStop: 'Requesting' } }, context }).value,
    ).toEqual({
      Stopping: { SavepointStop: 'Awaiting' },
    });
    expect(
      encodeClusterSnapshot({ value: { Started: 'AddingTaskManagers' }, context: baseClusterContext() })
        .value,
    ).toEqual({ Started: 'Idle' });
  });

  it('round-trips through JSON', () => {
    const decoded = decodeJobEnvelope(validEnvelope(), UID);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const { observed: _observed, ...expected } = busyContext();
    expect(decoded.state.context).toEqual({ ...expected, observed: null });
    expect(decoded.state.value).toEqual({ Started: 'Running' });
  });
});

describe('restoring never throws', () => {
  const machine = () => providedJobMachine(new FakeEffects(), new FakeClock(T0));

  it.each([
    ['not an object', 'garbage', 'SnapshotInvalid'],
    ['missing fields', { machine: 'job', version: 1 }, 'SnapshotInvalid'],
    ['a cluster machine', { ...validEnvelope(), machine: 'cluster' }, 'SnapshotOfAnotherMachine'],
    [
      'a newer version',
      { ...validEnvelope(), version: MACHINE_VERSIONS.job + 1 },
      'SnapshotFromNewerVersion',
    ],
    ['an older version without migration', { ...validEnvelope(), version: 0 }, 'SnapshotOutdated'],
    [
      'a state that no longer exists',
      { ...validEnvelope(), value: { Started: 'Gone' } },
      'SnapshotStateUnknown',
    ],
    [
      'a malformed context',
      { ...validEnvelope(), context: { ...validEnvelope().context, jobId: 42 } },
      'SnapshotInvalid',
    ],
    [
      'another resource',
      { ...validEnvelope(), context: { ...validEnvelope().context, uid: 'other' } },
      'SnapshotOfAnotherResource',
    ],
  ])('%s: a fresh actor and a reason', async (_, raw, reason) => {
    const result = restoreJobActor(machine(), raw, INPUT);
    expect(result.restored).toBe(false);
    expect(result.failure?.reason).toBe(reason);
    expect(result.failure?.message.length).toBeGreaterThan(10);
    const errors: unknown[] = [];
    result.actor.subscribe({ error: (err) => errors.push(err) });
    result.actor.start();
    await settle();
    expect(result.actor.getSnapshot().value).toBe('Unknown');
    expect(errors).toEqual([]);
    result.actor.stop();
  });

  it('nothing persisted: a fresh actor and no complaint', () => {
    const result = restoreJobActor(machine(), undefined, INPUT);
    expect(result).toMatchObject({ restored: false, failure: null });
  });

  it('migrates an older version when a migration exists', () => {
    const old = { ...validEnvelope(), version: 0, context: { ...validEnvelope().context, legacy: true } };
    const migrations = {
      0: (envelope: PersistedEnvelope): PersistedEnvelope => ({ ...envelope, version: 1 }),
    };
    const result = restoreJobActor(machine(), old, INPUT, { migrations });
    expect(result.failure).toBeNull();
    expect(result.restored).toBe(true);
    expect(result.actor.getSnapshot().value).toEqual({ Started: 'Running' });
  });

  it('a failing migration resets with a reason', () => {
    const migrations = {
      0: (): PersistedEnvelope => {
        throw new Error('cannot');
      },
    };
    const result = restoreJobActor(machine(), { ...validEnvelope(), version: 0 }, INPUT, { migrations });
    expect(result.failure?.reason).toBe('SnapshotOutdated');
  });

  it('a fresh cluster actor too', () => {
    const result = restoreClusterActor(providedClusterMachine(new FakeEffects(), new FakeClock(T0)), [], {
      uid: UID,
      at: T0,
    });
    expect(result.failure?.reason).toBe('SnapshotInvalid');
  });
});

describe('write-ahead', () => {
  it('persists the trigger id before sending it, and sends a completed trigger once', async () => {
    const effects = new FakeEffects().set('awaitSavepoint', 'hold');
    const clock = new FakeClock(T0);
    const { actor } = liveJob(effects, clock, INPUT);
    const order: string[] = [];
    effects.set('persist', () => (order.push('persist'), {}));
    effects.set('triggerSavepoint', () => (order.push('trigger'), {}));
    actor.send(jobObserved(T0 + 1000));
    actor.send(jobObserved(T0 + 2000));
    actor.send(jobObserved(T0 + 3000, { flinkJob: 'NOT_FOUND' }));
    await settle();
    const jobId = actor.getSnapshot().context.jobId;
    actor.send(jobObserved(T0 + 4000, { flinkJob: 'RUNNING', bootstrap: 'active', bootstrapJobId: jobId }));
    actor.send(requested('TRIGGER_SAVEPOINT', T0 + 5000));
    await settle();
    expect(actor.getSnapshot().value).toEqual({ Started: { Savepointing: 'Awaiting' } });
    expect(order).toEqual(['persist', 'persist', 'trigger']);
    const persisted = effects.inputs('persist')[1] as { envelope: PersistedEnvelope };
    const triggerId = (actor.getSnapshot().context.savepoint as { triggerId: string }).triggerId;
    expect(persisted.envelope.context).toMatchObject({ savepoint: { triggerId } });
    expect(persisted.envelope.value).toEqual({ Started: { Savepointing: 'Awaiting' } });

    // Crash now; a new supervisor restores what was persisted last and re-sends the last event.
    const envelope = JSON.parse(JSON.stringify(encodeJobSnapshot(actor.getSnapshot())));
    actor.stop();
    const again = new FakeEffects();
    const restored = restoreJobActor(providedJobMachine(again, new FakeClock(T0)), envelope, INPUT);
    restored.actor.start();
    restored.actor.send(requested('TRIGGER_SAVEPOINT', T0 + 5000));
    restored.actor.send(jobObserved(T0 + 6000, { flinkJob: 'RUNNING' }));
    await settle();
    expect(effects.count('triggerSavepoint') + again.count('triggerSavepoint')).toBe(1);
    expect(again.inputs('awaitSavepoint')).toEqual([{ jobId, triggerId }]);
    expect(restored.actor.getSnapshot().value).toEqual({ Started: 'Running' });
    expect(restored.actor.getSnapshot().context.savepointPath).toBe('s3://savepoints/sp-new');
  });

  it('a crash between persisting and triggering repeats the same trigger id', async () => {
    const effects = new FakeEffects().set('triggerSavepoint', 'hold');
    const { actor } = liveJob(effects, new FakeClock(T0), INPUT);
    actor.send(jobObserved(T0 + 1000));
    actor.send(jobObserved(T0 + 2000));
    actor.send(jobObserved(T0 + 3000, { flinkJob: 'NOT_FOUND' }));
    await settle();
    const jobId = actor.getSnapshot().context.jobId;
    actor.send(jobObserved(T0 + 4000, { flinkJob: 'RUNNING', bootstrap: 'active', bootstrapJobId: jobId }));
    actor.send(requested('TRIGGER_SAVEPOINT', T0 + 5000));
    await settle();
    // The write-ahead record is all that survived.
    const written = (effects.inputs('persist')[1] as { envelope: PersistedEnvelope }).envelope;
    actor.stop();
    const again = new FakeEffects()
      .set('awaitSavepoint', { status: 'UNKNOWN_TRIGGER' })
      .set('triggerSavepoint', 'hold');
    const restored = restoreJobActor(providedJobMachine(again, new FakeClock(T0)), written, INPUT);
    restored.actor.start();
    await settle();
    const expected = savepointTriggerId({ uid: UID, idSeed: SEED }, 1);
    expect(effects.inputs('triggerSavepoint')).toEqual([
      { jobId, triggerId: expected, targetDirectory: 's3://savepoints' },
    ]);
    expect(again.inputs('triggerSavepoint')).toEqual([
      { jobId, triggerId: expected, targetDirectory: 's3://savepoints' },
    ]);
  });

  it('a crash between persisting and submitting repeats the same job id', async () => {
    const effects = new FakeEffects().set('createBootstrap', 'hold');
    const { actor } = liveJob(effects, new FakeClock(T0), INPUT);
    actor.send(jobObserved(T0 + 1000));
    actor.send(jobObserved(T0 + 2000));
    actor.send(jobObserved(T0 + 3000, { flinkJob: 'NOT_FOUND' }));
    await settle();
    const written = (effects.inputs('persist')[0] as { envelope: PersistedEnvelope }).envelope;
    const first = effects.inputs('createBootstrap')[0] as { jobId: string };
    actor.stop();
    const again = new FakeEffects();
    const restored = restoreJobActor(providedJobMachine(again, new FakeClock(T0)), written, INPUT);
    restored.actor.start();
    restored.actor.send(jobObserved(T0 + 9000, { flinkJob: 'NOT_FOUND' }));
    await settle();
    expect(again.inputs('createBootstrap')).toEqual([
      expect.objectContaining({ jobId: first.jobId, submission: 1 }),
    ]);
  });

  it('a crash during stop-with-savepoint resumes polling the same stop trigger', async () => {
    const effects = new FakeEffects();
    const context = runningJobContext({
      stop: {
        reason: 'Manual',
        restart: false,
        delete: false,
        withoutSavepoint: false,
        clearSavepointPath: false,
        triggerId: 'c'.repeat(32),
        savepointDeadline: T0 + 300 * SECOND,
        savepointAbandoned: false,
        cancelDeadline: null,
        savepointOutcome: 'Unread',
        checkpoint: null,
        checkpointConfirmed: false,
        asked: false,
      },
    });
    const envelope = JSON.parse(
      JSON.stringify(encodeJobSnapshot({ value: { Stopping: { SavepointStop: 'Requesting' } }, context })),
    );
    const restored = restoreJobActor(providedJobMachine(effects, new FakeClock(T0)), envelope, INPUT);
    restored.actor.start();
    await settle();
    expect(effects.count('stopWithSavepoint')).toBe(0);
    expect(effects.inputs('awaitSavepoint')).toEqual([{ jobId: context.jobId, triggerId: 'c'.repeat(32) }]);
    expect(restored.actor.getSnapshot().value).toEqual({ Stopped: 'Idle' });
    expect(restored.actor.getSnapshot().context.savepointPath).toBe('s3://savepoints/sp-new');
  });
});
