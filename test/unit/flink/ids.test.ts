import { describe, expect, it } from 'vitest';
import { FlinkInvalidArgumentError } from '../../../src/flink/errors.ts';
import {
  assertFlinkId,
  deriveFlinkId,
  deriveJobId,
  deriveTriggerId,
  isFlinkId,
  randomFlinkId,
} from '../../../src/flink/ids.ts';

describe('Flink ids', () => {
  const inputs = { namespace: 'team-a', name: 'orders', generation: 3, attempt: 0 };

  it('derives the same 32-hex job id from the same inputs, in any process', () => {
    const id = deriveJobId(inputs);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(deriveJobId({ ...inputs })).toBe(id);
    // Pinned: a change of the derivation would re-submit every running job under a new id.
    expect(id).toBe(deriveFlinkId('job', ['team-a', 'orders', 3, 0]));
  });

  it('gives a different id when any input changes', () => {
    const ids = new Set([
      deriveJobId(inputs),
      deriveJobId({ ...inputs, namespace: 'team-b' }),
      deriveJobId({ ...inputs, name: 'orders2' }),
      deriveJobId({ ...inputs, generation: 4 }),
      deriveJobId({ ...inputs, attempt: 1 }),
      // Joining with a separator keeps "a"+"bc" apart from "ab"+"c".
      deriveJobId({ ...inputs, namespace: 'team-ao', name: 'rders' }),
    ]);
    expect(ids.size).toBe(6);
  });

  it('keeps job ids and trigger ids apart, and trigger ids per purpose and sequence', () => {
    const jobId = deriveJobId(inputs);
    const t1 = deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 1 });
    expect(t1).toMatch(/^[0-9a-f]{32}$/);
    expect(deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 1 })).toBe(t1);
    expect(deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 2 })).not.toBe(t1);
    expect(deriveTriggerId({ jobId, purpose: 'stop', sequence: 1 })).not.toBe(t1);
    expect(deriveFlinkId('trigger', [])).not.toBe(deriveFlinkId('job', []));
  });

  it('checks ids as Flink would parse them', () => {
    expect(isFlinkId('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isFlinkId('0123456789ABCDEF0123456789ABCDEF')).toBe(false);
    expect(isFlinkId('0123')).toBe(false);
    expect(isFlinkId(42)).toBe(false);
    expect(assertFlinkId('0123456789abcdef0123456789abcdef', 'jobId')).toBe(
      '0123456789abcdef0123456789abcdef',
    );
    expect(() => assertFlinkId('nope', 'jobId')).toThrow(FlinkInvalidArgumentError);
    expect(() => assertFlinkId('nope', 'jobId')).toThrow(
      /jobId must be 32 lower-case hex characters, got "nope"/,
    );
  });

  it('makes random ids that are valid and distinct', () => {
    const a = randomFlinkId();
    const b = randomFlinkId();
    expect(isFlinkId(a)).toBe(true);
    expect(a).not.toBe(b);
  });
});
