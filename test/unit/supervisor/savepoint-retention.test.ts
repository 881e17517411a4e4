import { describe, expect, it } from 'vitest';
import { planRetention, type SavepointRecord } from '../../../src/supervisor/savepoint-retention.ts';

const NOW = 1_700_000_000_000;
const MINUTE = 60_000;

function completed(index: number, extra: Partial<SavepointRecord> = {}): SavepointRecord {
  return {
    name: `sp-${index}`,
    kind: 'periodic',
    state: 'Completed',
    path: `s3://b/sp/savepoint-${index}`,
    at: NOW - (100 - index) * MINUTE,
    disposeRequested: false,
    disposing: false,
    released: false,
    ...extra,
  };
}

const names = (list: readonly { name: string }[]) => list.map((x) => x.name).sort();

describe('planRetention', () => {
  it('keeps everything without a policy', () => {
    const records = Array.from({ length: 12 }, (_, i) => completed(i));
    const plan = planRetention(records, undefined, records[11]!.path!, NOW);
    expect(plan).toEqual({ dispose: [], forget: [], refused: [] });
    expect(planRetention(records, { includeManual: false }, null, NOW).dispose).toEqual([]);
  });

  it('maxCount 3 disposes all but the newest 3 completed savepoints', () => {
    const records = Array.from({ length: 12 }, (_, i) => completed(i));
    const plan = planRetention(records, { maxCount: 3, includeManual: false }, records[11]!.path!, NOW);
    expect(names(plan.dispose)).toEqual(names(records.slice(0, 9)));
    expect(plan.dispose[0]!.reason).toBe('retention: beyond the newest 3');
  });

  it('maxAge disposes older ones but never the newest completed one', () => {
    const records = [completed(1), completed(2), completed(3)];
    // All older than 10 minutes: only the newest survives.
    const plan = planRetention(records, { maxAge: 600, includeManual: false }, null, NOW);
    expect(names(plan.dispose)).toEqual(['sp-1', 'sp-2']);
    expect(plan.dispose[0]!.reason).toBe('retention: older than 600s');
  });

  it('never disposes the savepoint the job restores next', () => {
    const records = Array.from({ length: 5 }, (_, i) => completed(i));
    const plan = planRetention(records, { maxCount: 1, includeManual: false }, records[0]!.path!, NOW);
    expect(names(plan.dispose)).toEqual(['sp-1', 'sp-2', 'sp-3']);
  });

  it('keeps manual savepoints unless includeManual, and released ones always', () => {
    const records = [
      completed(1, { kind: 'manual' }),
      completed(2, { kind: 'deletion', released: true }),
      completed(3),
      completed(4),
    ];
    expect(names(planRetention(records, { maxCount: 1, includeManual: false }, null, NOW).dispose)).toEqual([
      'sp-3',
    ]);
    expect(names(planRetention(records, { maxCount: 1, includeManual: true }, null, NOW).dispose)).toEqual([
      'sp-1',
      'sp-3',
    ]);
  });

  it('never touches pending records and carries on a disposal once begun', () => {
    const records = [
      completed(1, { disposing: true }),
      completed(2, { state: 'Pending', path: undefined }),
      completed(3, { state: undefined, path: undefined }),
      completed(4),
    ];
    const plan = planRetention(records, undefined, null, NOW);
    expect(plan.dispose).toEqual([{ name: 'sp-1', reason: 'disposal in progress' }]);
    expect(plan.forget).toEqual([]);
  });

  it('forgets failed and abandoned records past the limits, with no disposal', () => {
    const records = [
      completed(1, { state: 'Failed', path: undefined }),
      completed(2, { state: 'Abandoned', path: undefined }),
      completed(3, { state: 'Failed', path: undefined }),
      completed(4),
    ];
    const plan = planRetention(records, { maxCount: 2, includeManual: false }, null, NOW);
    expect(plan.dispose).toEqual([]);
    expect(names(plan.forget)).toEqual(['sp-1']);
  });

  it('disposes on request, refusing only the savepoint the job restores next', () => {
    const records = [
      completed(1, { disposeRequested: true }),
      completed(2, { disposeRequested: true }),
      completed(3, { state: 'Failed', path: undefined, disposeRequested: true }),
    ];
    const plan = planRetention(records, undefined, records[1]!.path!, NOW);
    expect(plan.dispose).toEqual([{ name: 'sp-1', reason: 'requested' }]);
    expect(plan.forget).toEqual([{ name: 'sp-3', reason: 'requested: no files to dispose' }]);
    expect(plan.refused).toEqual([
      {
        name: 'sp-2',
        message: `refused: the job restores ${records[1]!.path} at its next start (FORGET_SAVEPOINT first)`,
      },
    ]);
  });
});
