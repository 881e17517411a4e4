// A request still pending when a newer one comes is answered, rejected as superseded (K3's first
// path). When the newer request is taken in the same step, it takes `lastAction`: the superseded
// one's answer must still be in the stored context, not only in a notice (the simulator's seed
// 584890423, K3's second path: a TRIGGER_SAVEPOINT held through a rescale, then a STOP). The same
// holds for any two answers within one status write (seed 101079): `previousAction` keeps the one
// `lastAction` held before.
import { describe, expect, it } from 'vitest';
import { jobMachine, type JobContext } from '../../../src/machines/job-machine.ts';
import { decodeJobEnvelope, encodeJobSnapshot } from '../../../src/machines/persistence.ts';
import { T0, UID, baseJobContext, jobSnapshot, requested, step } from './support.ts';

const HELD_AT = T0 + 1_000;
const STOP_AT = T0 + 30_000;

function heldThroughRescale() {
  return jobSnapshot(
    { Stopping: 'Idle' },
    baseJobContext({
      jobId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      submission: 1,
      stop: {
        reason: 'Rescale',
        restart: true,
        delete: false,
        withoutSavepoint: false,
        clearSavepointPath: false,
        triggerId: null,
        savepointDeadline: null,
        savepointAbandoned: false,
        cancelDeadline: null,
        savepointOutcome: null,
        checkpoint: null,
        asked: false,
        checkpointConfirmed: false,
      },
      pendingAction: { action: 'TRIGGER_SAVEPOINT', withoutSavepoint: false, requestedAt: HELD_AT },
    }),
  );
}

describe('a pending request superseded by one taken at once', () => {
  it('keeps both answers: the newer in lastAction, the superseded one in previousAction', () => {
    const { next } = step(jobMachine, heldThroughRescale(), requested('STOP', STOP_AT));
    const context = next.context as JobContext;
    expect(context.lastAction).toMatchObject({ action: 'STOP', requestedAt: STOP_AT, outcome: 'accepted' });
    expect(context.previousAction).toMatchObject({
      action: 'TRIGGER_SAVEPOINT',
      requestedAt: HELD_AT,
      outcome: 'rejected',
    });
    expect(context.previousAction?.reason).toContain('superseded by STOP');
    expect(context.pendingAction).toBeNull();
  });

  it('persists it, and a snapshot stored before it existed restores with none', () => {
    const { next } = step(jobMachine, heldThroughRescale(), requested('STOP', STOP_AT));
    const envelope = encodeJobSnapshot(next as never);
    const decoded = decodeJobEnvelope(JSON.parse(JSON.stringify(envelope)), UID);
    expect(decoded.ok && decoded.state.context.previousAction?.requestedAt).toBe(HELD_AT);
    const { previousAction: _dropped, ...older } = envelope.context as Record<string, unknown>;
    const old = decodeJobEnvelope({ ...envelope, context: older }, UID);
    expect(old.ok).toBe(true);
    expect(old.ok && old.state.context.previousAction).toBeNull();
  });

  it('keeps the answer before lastAction whatever the two outcomes (rejected, then accepted)', () => {
    const stopped = jobSnapshot(
      { Stopped: 'Idle' },
      baseJobContext({
        stopReason: 'Manual',
        lastAction: {
          action: 'STOP',
          withoutSavepoint: false,
          requestedAt: T0,
          outcome: 'accepted',
          reason: 'accepted',
          at: T0,
        },
      }),
    );
    const rejected = step(jobMachine, stopped, requested('TRIGGER_SAVEPOINT', HELD_AT)).next;
    expect((rejected.context as JobContext).lastAction).toMatchObject({
      action: 'TRIGGER_SAVEPOINT',
      outcome: 'rejected',
    });
    const { next } = step(jobMachine, rejected, requested('START', STOP_AT));
    const context = next.context as JobContext;
    expect(context.lastAction).toMatchObject({ action: 'START', outcome: 'accepted' });
    expect(context.previousAction).toMatchObject({
      action: 'TRIGGER_SAVEPOINT',
      requestedAt: HELD_AT,
      outcome: 'rejected',
    });
  });
});
