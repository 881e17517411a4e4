import { describe, expect, it } from 'vitest';
import type { AutoscalerSettings } from '../../../src/api/autoscaler.ts';
import {
  decide,
  EMPTY_MEMORY,
  INEFFECTIVE_BLOCK_MS,
  requiredParallelism,
  type AutoscalerMemory,
  type DecisionInput,
  type MetricsSample,
  type VertexSample,
} from '../../../src/autoscaler/decide.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const T0 = Date.parse('2026-12-07T12:00:00Z');

const SETTINGS: AutoscalerSettings = {
  enabled: true,
  mode: 'recommend',
  targetUtilization: 0.7,
  boundary: 0.1,
  minParallelism: 1,
  maxParallelism: null,
  metricsWindowMs: 5 * MINUTE,
  stabilizationMs: 1 * MINUTE,
  scaleUpGraceMs: 1 * MINUTE,
  scaleDownGraceMs: 3 * MINUTE,
  maxRescalesPerHour: 4,
};

interface Load {
  /** Busy fraction of the one scalable vertex; null: Flink reported none. */
  busy: number | null;
  parallelism?: number;
  sourceRate?: number | null;
  pending?: (at: number) => number | null;
}

/** A source feeding one map vertex at the job's parallelism, sampled every 15 s over `span`. */
function samples(now: number, span: number, load: Load): MetricsSample[] {
  const out: MetricsSample[] = [];
  for (let at = now - span; at <= now; at += 15 * SECOND) {
    const source: VertexSample = {
      id: 'src',
      name: 'Source',
      parallelism: 1,
      source: true,
      busy: 0.1,
      backPressure: 0.2,
      recordsOutPerSecond: load.sourceRate === undefined ? 1000 : load.sourceRate,
      pendingRecords: load.pending ? load.pending(at) : null,
    };
    const map: VertexSample = {
      id: 'map',
      name: 'Map',
      parallelism: load.parallelism ?? 4,
      source: false,
      busy: load.busy,
      backPressure: 0,
      recordsOutPerSecond: 900,
      pendingRecords: null,
    };
    out.push({ at, vertices: [source, map] });
  }
  return out;
}

/** A job at parallelism `current` that runs (and is sampled) since long enough for a decision. */
function input(overrides: Partial<DecisionInput> & { load?: Load } = {}): DecisionInput {
  const now = overrides.now ?? T0;
  const current = overrides.current ?? 4;
  const load = overrides.load ?? { busy: 0.7 };
  return {
    now,
    settings: SETTINGS,
    current,
    bounds: { min: 1, max: 32 },
    runningSince: now - 10 * MINUTE,
    collectingSince: now - 9 * MINUTE,
    samples: samples(now, 5 * MINUTE, { parallelism: current, ...load }),
    checkpointsFailing: false,
    memory: EMPTY_MEMORY,
    ...overrides,
  };
}

/** Decides at `now`, then again after `after` with the memory the first decision kept. */
function decideTwice(first: DecisionInput, after: number) {
  const one = decide(first);
  const now = first.now + after;
  const two = decide({
    ...first,
    now,
    runningSince: first.runningSince,
    samples: samples(now, 5 * MINUTE, {
      parallelism: first.current,
      busy: first.samples[0]?.vertices[1]?.busy ?? null,
    }),
    memory: one.memory,
  });
  return { one, two };
}

describe('decide: the parallelism the busiest vertex needs', () => {
  it.each([
    // [current, busy, target, expected]: ceil(current × busy / target)
    [4, 0.7, 0.7, 4],
    [10, 0.7, 0.7, 10], // no 11 from floating point
    [2, 0.95, 0.7, 3],
    [4, 0.2, 0.7, 2],
    [4, 0.05, 0.7, 1],
    [3, 1, 0.5, 6],
  ])('current %i at busy %f, target %f: %i', (current, utilization, target, expected) => {
    expect(requiredParallelism({ current, utilization, target, sourceRate: 1000, growth: null })).toBe(
      expected,
    );
  });

  it('adds a growing backlog to the load: 10% growth asks for 10% more', () => {
    expect(
      requiredParallelism({ current: 10, utilization: 0.7, target: 0.7, sourceRate: 1000, growth: 100 }),
    ).toBe(11);
    expect(
      requiredParallelism({ current: 10, utilization: 0.7, target: 0.7, sourceRate: 1000, growth: -100 }),
    ).toBe(10);
  });
});

describe('decide: rules, one case each', () => {
  const cases: {
    name: string;
    input: DecisionInput;
    reason: string;
    recommended: number;
    message?: RegExp;
  }[] = [
    {
      name: 'within the band around the target: holds',
      input: input({ load: { busy: 0.75 } }),
      reason: 'WithinTarget',
      recommended: 4,
      message: /busiest vertex Map at 75% \(target 70% ± 10%\): parallelism 4 holds/,
    },
    {
      name: 'high busy ratio: scale up, pending until the grace period held',
      input: input({ load: { busy: 0.95 } }),
      reason: 'ScaleUpPending',
      recommended: 4,
      message: /scale up from 4 to 6 once this holds 60s \(held 0s\)/,
    },
    {
      name: 'high busy ratio held for the grace period: scale up',
      input: input({
        load: { busy: 0.95 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'up', since: T0 - MINUTE } },
      }),
      reason: 'ScaleUp',
      recommended: 6,
      message: /scale up from 4 to 6$/,
    },
    {
      name: 'low busy ratio held for the down grace period: scale down',
      input: input({
        load: { busy: 0.2 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'down', since: T0 - 3 * MINUTE } },
      }),
      reason: 'ScaleDown',
      recommended: 2,
    },
    {
      name: 'low busy ratio for less than the down grace period: pending',
      input: input({
        load: { busy: 0.2 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'down', since: T0 - 2 * MINUTE } },
      }),
      reason: 'ScaleDownPending',
      recommended: 4,
      message: /held 120s/,
    },
    {
      name: 'a pending scale-up does not count toward a scale-down: the condition starts again',
      input: input({
        load: { busy: 0.2 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'up', since: T0 - 10 * MINUTE } },
      }),
      reason: 'ScaleDownPending',
      recommended: 4,
      message: /held 0s/,
    },
    {
      name: 'scale-up bounded by the maximum',
      input: input({
        load: { busy: 0.99 },
        bounds: { min: 1, max: 5 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'up', since: T0 - MINUTE } },
      }),
      reason: 'ScaleUp',
      recommended: 5,
    },
    {
      name: 'scale-down bounded by the minimum',
      input: input({
        load: { busy: 0.05 },
        bounds: { min: 3, max: 32 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'down', since: T0 - 3 * MINUTE } },
      }),
      reason: 'ScaleDown',
      recommended: 3,
    },
    {
      name: 'busy at the maximum: holds at its bound',
      input: input({ load: { busy: 0.99 }, bounds: { min: 1, max: 4 } }),
      reason: 'AtBound',
      recommended: 4,
      message: /at its bound \[1, 4\]/,
    },
    {
      name: 'idle at the minimum: holds at its bound',
      input: input({ load: { busy: 0.05 }, bounds: { min: 4, max: 8 } }),
      reason: 'AtBound',
      recommended: 4,
    },
    {
      name: 'running above the maximum: brought back at once, no grace period',
      input: input({ current: 8, load: { busy: 0.7 }, bounds: { min: 1, max: 5 } }),
      reason: 'ScaleDown',
      recommended: 5,
      message: /parallelism 8 is outside \[1, 5\]: scale down to 5/,
    },
    {
      name: 'inside the stabilization interval after the job started at this parallelism: nothing decided',
      input: input({ load: { busy: 0.99 }, runningSince: T0 - 30 * SECOND }),
      reason: 'Stabilizing',
      recommended: 4,
      message: /for 30s; nothing is decided before 60s/,
    },
    {
      name: 'metrics collected for less than the window: nothing decided',
      input: input({ load: { busy: 0.99 }, collectingSince: T0 - 2 * MINUTE }),
      reason: 'CollectingMetrics',
      recommended: 4,
      message: /120s of the 300s window/,
    },
    {
      name: 'no samples at all (Flink did not answer): nothing decided',
      input: input({ samples: [] }),
      reason: 'CollectingMetrics',
      recommended: 4,
      message: /\(0 samples\)/,
    },
    {
      name: 'samples older than the window are not used',
      input: input({ samples: samples(T0 - 10 * MINUTE, 5 * MINUTE, { busy: 0.99 }) }),
      reason: 'CollectingMetrics',
      recommended: 4,
    },
    {
      name: 'missing busy time (NaN in Flink): no decision, with the reason',
      input: input({ load: { busy: null } }),
      reason: 'MetricsUnavailable',
      recommended: 4,
      message: /no busy time/,
    },
    {
      name: 'every vertex pinned to a parallelism of its own: no decision',
      input: input({ current: 4, samples: samples(T0, 5 * MINUTE, { busy: 0.99, parallelism: 2 }) }),
      reason: 'NoScalableVertex',
      recommended: 4,
    },
    {
      name: 'no scale-down while checkpoints fail',
      input: input({
        load: { busy: 0.2 },
        checkpointsFailing: true,
        memory: { ...EMPTY_MEMORY, pending: { direction: 'down', since: T0 - 3 * MINUTE } },
      }),
      reason: 'ScaleDownBlockedCheckpoints',
      recommended: 4,
    },
    {
      name: 'no scale-down while the job catches up on a backlog',
      input: input({
        load: { busy: 0.2, pending: () => 500_000 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'down', since: T0 - 3 * MINUTE } },
      }),
      reason: 'ScaleDownBlockedCatchingUp',
      recommended: 4,
      message: /backlog 500000 records/,
    },
    {
      name: 'a growing backlog at the target utilization: scale up by the growth',
      input: input({
        load: { busy: 0.7, pending: (at) => ((at - (T0 - 5 * MINUTE)) / SECOND) * 200 },
        memory: { ...EMPTY_MEMORY, pending: { direction: 'up', since: T0 - MINUTE } },
      }),
      reason: 'ScaleUp',
      recommended: 5, // ceil(4 × (1000 + 200) / 1000)
      message: /backlog growing 200 records\/s/,
    },
  ];
  it.each(cases)('$name', ({ input: given, reason, recommended, message }) => {
    const decision = decide(given);
    expect(decision.reason).toBe(reason);
    expect(decision.recommended).toBe(recommended);
    if (message) expect(decision.message).toMatch(message);
  });
});

describe('decide: the metric values it reports', () => {
  it('the busiest scalable vertex, the largest back pressure, the sources rate over the window', () => {
    const decision = decide(input({ load: { busy: 0.75, sourceRate: 1234 } }));
    expect(decision.metrics).toEqual({
      samples: 21,
      windowSeconds: 300,
      busiestVertex: 'Map',
      utilization: 0.75,
      backPressure: 0.2,
      sourceRecordsPerSecond: 1234,
    });
  });
});

describe('decide: the grace period, across decisions', () => {
  it('scales up once the condition held a minute, not before, and the recommendation stands in recommend mode', () => {
    let memory: AutoscalerMemory = EMPTY_MEMORY;
    const seen: string[] = [];
    for (let t = 0; t <= 2 * MINUTE; t += 30 * SECOND) {
      const d = decide(input({ now: T0 + t, load: { busy: 0.95 }, memory }));
      seen.push(`${t / SECOND}s ${d.reason} ${d.recommended}`);
      memory = d.memory;
    }
    expect(seen).toEqual([
      '0s ScaleUpPending 4',
      '30s ScaleUpPending 4',
      '60s ScaleUp 6',
      '90s ScaleUp 6',
      '120s ScaleUp 6',
    ]);
    // Recommend mode changes nothing, so nothing is counted against maxRescalesPerHour.
    expect(memory.rescales).toEqual([]);
  });

  it('a condition that stops holding starts its grace period again', () => {
    const { one } = decideTwice(input({ load: { busy: 0.95 } }), 0);
    expect(one.memory.pending).toEqual({ direction: 'up', since: T0 });
    const calm = decide(input({ now: T0 + 30 * SECOND, load: { busy: 0.7 }, memory: one.memory }));
    expect(calm.reason).toBe('WithinTarget');
    expect(calm.memory.pending).toBeNull();
    const again = decide(input({ now: T0 + 60 * SECOND, load: { busy: 0.95 }, memory: calm.memory }));
    expect(again.reason).toBe('ScaleUpPending');
  });

  it('takes the same decision in act mode as in recommend mode, and only act mode counts the rescale', () => {
    const given = input({
      load: { busy: 0.95 },
      memory: { ...EMPTY_MEMORY, pending: { direction: 'up', since: T0 - MINUTE } },
    });
    const recommend = decide(given);
    const act = decide({ ...given, settings: { ...SETTINGS, mode: 'act' } });
    expect([act.reason, act.recommended]).toEqual([recommend.reason, recommend.recommended]);
    expect(act.memory.rescales).toEqual([T0]);
    expect(act.memory.lastScaleUp).toMatchObject({ from: 4, to: 6, sourceRecordsPerSecond: 1000 });
    expect(act.memory.pending).toBeNull();
  });

  it('act mode: no more than maxRescalesPerHour rescales in an hour; older ones no longer count', () => {
    const settings = { ...SETTINGS, mode: 'act' as const, maxRescalesPerHour: 2 };
    const pending = { direction: 'up' as const, since: T0 - MINUTE };
    const full = decide(
      input({
        settings,
        load: { busy: 0.95 },
        memory: { ...EMPTY_MEMORY, pending, rescales: [T0 - 50 * MINUTE, T0 - 20 * MINUTE] },
      }),
    );
    expect(full.reason).toBe('RescaleLimit');
    const aged = decide(
      input({
        settings,
        load: { busy: 0.95 },
        memory: { ...EMPTY_MEMORY, pending, rescales: [T0 - 61 * MINUTE, T0 - 20 * MINUTE] },
      }),
    );
    expect(aged.reason).toBe('ScaleUp');
    expect(aged.memory.rescales).toEqual([T0 - 20 * MINUTE, T0]);
  });

  it('a scale-up that did not raise throughput is judged ineffective and not repeated for an hour', () => {
    const memory: AutoscalerMemory = {
      ...EMPTY_MEMORY,
      pending: { direction: 'up', since: T0 - MINUTE },
      lastScaleUp: { at: T0 - 10 * MINUTE, from: 2, to: 4, sourceRecordsPerSecond: 1000, utilization: 0.95 },
    };
    const decision = decide(input({ load: { busy: 0.95, sourceRate: 1000 }, memory }));
    expect(decision.reason).toBe('IneffectiveScaleUp');
    expect(decision.recommended).toBe(4);
    expect(decision.memory.lastScaleUp?.effective).toBe(false);
    expect(decision.memory.scaleUpBlockedUntil).toBe(T0 + INEFFECTIVE_BLOCK_MS);
    const later = decide(
      input({
        now: T0 + INEFFECTIVE_BLOCK_MS,
        load: { busy: 0.95, sourceRate: 1000 },
        memory: decision.memory,
      }),
    );
    expect(later.reason).toBe('ScaleUp');
  });

  it('a scale-up that raised throughput is judged effective', () => {
    const memory: AutoscalerMemory = {
      ...EMPTY_MEMORY,
      lastScaleUp: { at: T0 - 10 * MINUTE, from: 2, to: 4, sourceRecordsPerSecond: 500, utilization: 0.95 },
    };
    const decision = decide(input({ load: { busy: 0.95, sourceRate: 1000 }, memory }));
    expect(decision.memory.lastScaleUp?.effective).toBe(true);
    expect(decision.memory.scaleUpBlockedUntil).toBeNull();
  });
});
