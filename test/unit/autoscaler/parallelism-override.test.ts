import { describe, expect, it } from 'vitest';
import { autoscalerSpec, type AutoscalerSpec } from '../../../src/api/autoscaler.ts';
import { parallelismOverride } from '../../../src/autoscaler/parallelism-override.ts';

const act = (fields: Partial<AutoscalerSpec> = {}) =>
  autoscalerSpec.parse({ enabled: true, mode: 'act', ...fields });
const set = { parallelism: { value: 6, basis: 4 } };

describe('parallelismOverride (act mode beside spec.jobParallelism)', () => {
  it('is in effect while the autoscaler acts and the spec still asks for its basis', () => {
    expect(parallelismOverride({ jobParallelism: 4, autoscaler: act() }, set)).toBe(6);
  });

  it('a new spec.jobParallelism (kubectl scale fj) wins', () => {
    expect(parallelismOverride({ jobParallelism: 8, autoscaler: act() }, set)).toBeNull();
  });

  it('recommend mode, a disabled autoscaler, a suspension or no override: none', () => {
    expect(
      parallelismOverride({ jobParallelism: 4, autoscaler: act({ mode: 'recommend' }) }, set),
    ).toBeNull();
    expect(parallelismOverride({ jobParallelism: 4, autoscaler: act({ enabled: false }) }, set)).toBeNull();
    expect(parallelismOverride({ jobParallelism: 4 }, set)).toBeNull();
    expect(
      parallelismOverride({ jobParallelism: 0, autoscaler: act() }, { parallelism: { value: 6, basis: 0 } }),
    ).toBeNull();
    expect(parallelismOverride({ jobParallelism: 4, autoscaler: act() }, {})).toBeNull();
    expect(parallelismOverride({ jobParallelism: 4, autoscaler: act() }, null)).toBeNull();
  });
});
