import { describe, expect, it } from 'vitest';
import { PromptPasses } from '../../../src/supervisor/prompt-passes.ts';

describe('PromptPasses: how soon a new state is observed', () => {
  it('a burst of changes is observed at once; a resource that keeps changing is slowed to the refill rate', () => {
    const passes = new PromptPasses({ burst: 3, refillMs: 1_000 });
    const now = 10_000;
    expect([1, 2, 3].map(() => passes.take('FlinkJob/a', now))).toEqual([0, 0, 0]);
    // Out of budget: the next waits for the next token, the one after for the one after that.
    expect(passes.take('FlinkJob/a', now)).toBe(1_000);
    expect(passes.take('FlinkJob/a', now)).toBe(2_000);
    // Never longer than two refills: the poll interval observes the resource anyway.
    expect(passes.take('FlinkJob/a', now)).toBe(2_000);
    // Another resource has its own budget.
    expect(passes.take('FlinkJob/b', now)).toBe(0);
  });

  it('the budget refills with time, up to the burst', () => {
    const passes = new PromptPasses({ burst: 2, refillMs: 1_000 });
    expect(passes.take('r', 0)).toBe(0);
    expect(passes.take('r', 0)).toBe(0);
    expect(passes.take('r', 500)).toBe(500);
    // Long quiet: a full burst again, not more.
    expect(passes.take('r', 60_000)).toBe(0);
    expect(passes.take('r', 60_000)).toBe(0);
    expect(passes.take('r', 60_000)).toBeGreaterThan(0);
  });

  it('a clock stepped back neither refills nor drains the budget', () => {
    const passes = new PromptPasses({ burst: 1, refillMs: 1_000 });
    expect(passes.take('r', 5_000)).toBe(0);
    expect(passes.take('r', 1_000)).toBe(1_000);
  });
});
