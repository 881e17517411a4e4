import { describe, expect, it } from 'vitest';
import { findCondition, setCondition, type Condition } from '../../../src/api/status.ts';

const t0 = new Date('2026-11-20T10:00:00.000Z');
const t1 = new Date('2026-11-20T10:05:00.000Z');

describe('conditions', () => {
  it('adds a condition stamped with the transition time', () => {
    const next = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Starting', message: 'starting' },
      t0,
    );
    expect(next).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Starting',
        message: 'starting',
        lastTransitionTime: t0.toISOString(),
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, and moves it when the status changes', () => {
    const start = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'Starting', message: 'a', observedGeneration: 1 },
      t0,
    );
    const same = setCondition(
      start,
      { type: 'Ready', status: 'False', reason: 'StillStarting', message: 'b', observedGeneration: 2 },
      t1,
    );
    expect(findCondition(same, 'Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'StillStarting',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: t0.toISOString(),
    });
    const flipped = setCondition(
      same,
      { type: 'Ready', status: 'True', reason: 'Running', message: 'c' },
      t1,
    );
    expect(findCondition(flipped, 'Ready')?.lastTransitionTime).toBe(t1.toISOString());
  });

  it('replaces in place, appends new types, and never mutates its input', () => {
    const before: Condition[] = [
      { type: 'A', status: 'True', reason: 'R', message: '', lastTransitionTime: t0.toISOString() },
      { type: 'B', status: 'True', reason: 'R', message: '', lastTransitionTime: t0.toISOString() },
    ];
    const snapshot = structuredClone(before);
    const after = setCondition(before, { type: 'A', status: 'False', reason: 'R', message: '' }, t1);
    const more = setCondition(after, { type: 'C', status: 'Unknown', reason: 'R', message: '' }, t1);
    expect(more.map((c) => c.type)).toEqual(['A', 'B', 'C']);
    expect(before).toEqual(snapshot);
  });
});
