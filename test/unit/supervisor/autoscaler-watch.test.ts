import { describe, expect, it } from 'vitest';
import { autoscalerSpec, type AutoscalerSpec } from '../../../src/api/autoscaler.ts';
import type { MetricsSample } from '../../../src/autoscaler/decide.ts';
import {
  AutoscalerWatch,
  SAMPLE_INTERVAL_MS,
  storedAutoscalerStatus,
  type AutoscalerInput,
} from '../../../src/supervisor/autoscaler-watch.ts';

const T0 = Date.parse('2026-12-07T12:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const JOB = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';

const spec = (fields: Partial<AutoscalerSpec> = {}): AutoscalerSpec =>
  autoscalerSpec.parse({ enabled: true, mode: 'recommend', ...fields });

/** A job whose one scalable vertex is `busy()` busy; counts the reads. */
function flinkAt(busy: () => number | null, parallelism = () => 4) {
  const reads: number[] = [];
  return {
    reads,
    read: async (_jobId: string, at: number): Promise<MetricsSample> => {
      reads.push(at);
      return {
        at,
        vertices: [
          {
            id: 'src',
            name: 'Source: gen',
            parallelism: 1,
            source: true,
            busy: 0.1,
            backPressure: 0,
            // Throughput follows the parallelism: a scale-up helps.
            recordsOutPerSecond: 250 * parallelism(),
            pendingRecords: null,
          },
          {
            id: 'map',
            name: 'Map',
            parallelism: parallelism(),
            source: false,
            busy: busy(),
            backPressure: 0,
            recordsOutPerSecond: 1000,
            pendingRecords: null,
          },
        ],
      };
    },
  };
}

function pass(
  now: number,
  overrides: Partial<AutoscalerInput> & Pick<AutoscalerInput, 'read'>,
): AutoscalerInput {
  return {
    spec: spec(),
    jobId: JOB,
    flinkJob: 'RUNNING',
    parallelism: 4,
    requested: 4,
    jobBounds: { min: 0, max: 32, slots: 64 },
    checkpointsFailing: false,
    now,
    ...overrides,
  };
}

describe('AutoscalerWatch (recommend mode)', () => {
  it('reports nothing while the autoscaler is not enabled, and reads nothing', async () => {
    const flink = flinkAt(() => 0.95);
    const watch = new AutoscalerWatch(null);
    const change = await watch.observe(pass(T0, { spec: spec({ enabled: false }), read: flink.read }));
    expect(change).toEqual({ changed: false, notice: null });
    expect(watch.status).toBeNull();
    expect(flink.reads).toEqual([]);
  });

  it('stabilizes, collects a window, waits out the grace period, then recommends once, with one Event', async () => {
    let busy = 0.95;
    const flink = flinkAt(() => busy);
    const watch = new AutoscalerWatch(null);
    const timeline: string[] = [];
    const notices: string[] = [];
    // Seen before Flink runs it: not running is no advice, and neither is the first decision at 4.
    await watch.observe(pass(T0 - 5 * SECOND, { read: flink.read, flinkJob: 'CREATED' }));
    expect(watch.status).toMatchObject({ reason: 'NotRunning', recommended: 0 });
    for (let t = 0; t <= 8 * MINUTE; t += 5 * SECOND) {
      const change = await watch.observe(pass(T0 + t, { read: flink.read }));
      if (change.changed)
        timeline.push(`${t / SECOND}s ${watch.status?.reason} ${watch.status?.recommended}`);
      if (change.notice) notices.push(`${change.notice.reason}: ${change.notice.message}`);
    }
    // Stabilization 1m, window 5m (collected from the first read at 60 s), scale-up grace 1m.
    expect(timeline).toEqual([
      '0s Stabilizing 4',
      '60s CollectingMetrics 4',
      '360s ScaleUpPending 4',
      '420s ScaleUp 6',
    ]);
    expect(notices).toEqual([
      expect.stringMatching(
        /^AutoscalerRecommendation: recommended parallelism 6 \(running at 4, ScaleUp\): busiest vertex Map at 95%/,
      ),
    ]);
    // Sampled every 15 s from the end of the stabilization interval, never more often.
    expect(flink.reads[0]).toBe(T0 + MINUTE);
    expect(flink.reads.slice(1).map((at, i) => at - flink.reads[i]!)).toEqual(
      Array(flink.reads.length - 1).fill(SAMPLE_INTERVAL_MS),
    );
    expect(watch.status).toMatchObject({
      mode: 'recommend',
      current: 4,
      recommended: 6,
      reason: 'ScaleUp',
      lastDecisionAt: new Date(T0 + 7 * MINUTE).toISOString(),
      metrics: { busiestVertex: 'Map', utilization: 0.95, sourceRecordsPerSecond: 1000 },
    });
    // The load falls back to the target: the advice is withdrawn, in an Event too.
    busy = 0.7;
    for (let t = 8 * MINUTE + 5 * SECOND; t <= 15 * MINUTE; t += 15 * SECOND) {
      const change = await watch.observe(pass(T0 + t, { read: flink.read }));
      if (change.notice) notices.push(`${change.notice.reason}: ${change.notice.message}`);
    }
    expect(watch.status).toMatchObject({ reason: 'WithinTarget', recommended: 4 });
    // As the window's mean falls, the advice follows it down (each change an Event), then is withdrawn.
    expect(notices.at(-1)).toMatch(
      /^AutoscalerRecommendation: no rescale recommended any more \(running at 4, WithinTarget\)/,
    );
    const advised = notices.slice(1, -1).map((n) => Number(/recommended parallelism (\d+)/.exec(n)?.[1]));
    expect(advised).toEqual([...advised].sort((a, b) => b - a));
    expect(advised.every((p) => p > 4 && p < 6)).toBe(true);
    // Nothing was applied, so nothing counts as a rescale.
    expect(watch.status?.rescales).toBeUndefined();
    expect(watch.status?.lastScaleUp).toBeUndefined();
  });

  it('missing metrics: no decision, with the reason; failed reads leave samples missing', async () => {
    let fail = true;
    const flink = flinkAt(() => null);
    const read = async (jobId: string, at: number) => {
      if (fail) throw new Error('connection refused');
      return flink.read(jobId, at);
    };
    const watch = new AutoscalerWatch(null);
    for (let t = 0; t <= 3 * MINUTE; t += 15 * SECOND) await watch.observe(pass(T0 + t, { read }));
    expect(watch.status?.reason).toBe('CollectingMetrics');
    expect(watch.status?.message).toMatch(/0s of the 300s window \(0 samples\)/);
    fail = false;
    for (let t = 3 * MINUTE; t <= 9 * MINUTE; t += 15 * SECOND) await watch.observe(pass(T0 + t, { read }));
    expect(watch.status).toMatchObject({ reason: 'MetricsUnavailable', recommended: 4 });
  });

  it('starts again at a new parallelism or job, and says when the job does not run', async () => {
    const flink = flinkAt(() => 0.7);
    const watch = new AutoscalerWatch(null);
    for (let t = 0; t <= 7 * MINUTE; t += 15 * SECOND)
      await watch.observe(pass(T0 + t, { read: flink.read }));
    expect(watch.status?.reason).toBe('WithinTarget');
    await watch.observe(pass(T0 + 8 * MINUTE, { read: flink.read, parallelism: 5 }));
    expect(watch.status).toMatchObject({ reason: 'Stabilizing', current: 5 });
    const change = await watch.observe(pass(T0 + 9 * MINUTE, { read: flink.read, flinkJob: 'RESTARTING' }));
    expect(change.changed).toBe(true);
    expect(watch.status).toMatchObject({ reason: 'NotRunning', current: 0, recommended: 0 });
  });

  it('bounds the recommendation by the autoscaler, the job and the cluster slots', async () => {
    const flink = flinkAt(() => 1);
    const watch = new AutoscalerWatch(null);
    for (let t = 0; t <= 8 * MINUTE; t += 15 * SECOND)
      await watch.observe(
        pass(T0 + t, {
          spec: spec({ maxParallelism: 10 }),
          jobBounds: { min: 1, max: 32, slots: 5 },
          read: flink.read,
        }),
      );
    expect(watch.status).toMatchObject({ reason: 'ScaleUp', recommended: 5 });
  });

  it('keeps the guardrails memory across a restart of the supervisor through the stored status', async () => {
    const stored = {
      autoscaler: {
        mode: 'recommend',
        current: 4,
        recommended: 4,
        reason: 'IneffectiveScaleUp',
        message: 'x',
        rescales: [new Date(T0 - 10 * MINUTE).toISOString()],
        scaleUpBlockedUntil: new Date(T0 + 30 * MINUTE).toISOString(),
      },
    };
    const watch = new AutoscalerWatch(storedAutoscalerStatus(stored));
    const flink = flinkAt(() => 0.95);
    for (let t = 0; t <= 8 * MINUTE; t += 15 * SECOND)
      await watch.observe(pass(T0 + t, { read: flink.read }));
    expect(watch.status).toMatchObject({ reason: 'IneffectiveScaleUp', recommended: 4 });
    expect(watch.status?.rescales).toEqual(stored.autoscaler.rescales);
    expect(storedAutoscalerStatus({ autoscaler: { mode: 'sideways' } })).toBeNull();
  });
});

describe('AutoscalerWatch (act mode)', () => {
  const act = (fields: Partial<AutoscalerSpec> = {}) => spec({ mode: 'act', ...fields });
  /** Just after the scale-up is decided (stabilization 1m, window 5m, grace 1m). */
  const DECIDED = 7 * MINUTE + 15 * SECOND;

  /** Passes every 15 s over [from, to); returns the reasons written and the Events said. */
  async function run(
    watch: AutoscalerWatch,
    from: number,
    to: number,
    input: (t: number) => Partial<AutoscalerInput> & Pick<AutoscalerInput, 'read'>,
  ) {
    const timeline: string[] = [];
    const notices: string[] = [];
    for (let t = from; t < to; t += 15 * SECOND) {
      const change = await watch.observe(pass(T0 + t, input(t)));
      if (change.changed)
        timeline.push(`${t / SECOND}s ${watch.status?.reason} ${watch.status?.recommended}`);
      if (change.notice) notices.push(`${change.notice.reason}: ${change.notice.message}`);
    }
    return { timeline, notices };
  }

  it('records the rescale (target, basis, reason) once, decides nothing until the job runs at it, then starts over', async () => {
    const flink = flinkAt(() => 0.95);
    const watch = new AutoscalerWatch(null);
    const first = await run(watch, 0, DECIDED, () => ({ spec: act(), read: flink.read }));
    expect(first.timeline.at(-1)).toBe('420s ScaleUp 6');
    expect(watch.status).toMatchObject({
      mode: 'act',
      reason: 'ScaleUp',
      parallelism: {
        value: 6,
        basis: 4,
        from: 4,
        reason: 'ScaleUp',
        decidedAt: new Date(T0 + 7 * MINUTE).toISOString(),
      },
      rescales: [new Date(T0 + 7 * MINUTE).toISOString()],
      lastScaleUp: { from: 4, to: 6 },
    });
    expect(watch.status?.parallelism?.message).toMatch(/busiest vertex Map at 95%/);
    expect(first.notices).toEqual([
      expect.stringMatching(/^AutoscalerRescale: rescaling from 4 to 6 \(ScaleUp\)/),
    ]);
    // The job machine has not rescaled yet (the job still runs at 4): no sample, no second decision.
    const reads = flink.reads.length;
    const waiting = await run(watch, DECIDED, 12 * MINUTE, () => ({ spec: act(), read: flink.read }));
    expect(waiting.timeline).toEqual(['435s Rescaling 6']);
    expect(flink.reads.length).toBe(reads);
    expect(watch.status?.rescales).toHaveLength(1);
    // It runs at 6: said once, and the guardrails start over at the new parallelism.
    const after = await run(watch, 12 * MINUTE, 13 * MINUTE, () => ({
      spec: act(),
      read: flink.read,
      parallelism: 6,
    }));
    expect(after.timeline).toEqual(['720s Stabilizing 6']);
    expect(after.notices).toEqual(['AutoscalerRescaled: the job runs at parallelism 6 the autoscaler set']);
    expect(watch.status?.parallelism).toMatchObject({ value: 6, basis: 4 });
  });

  it('a new leader restored from the stored status waits for the recorded rescale: one decision, one rescale', async () => {
    const flink = flinkAt(() => 0.95);
    const leader = new AutoscalerWatch(null);
    await run(leader, 0, 8 * MINUTE, () => ({ spec: act(), read: flink.read }));
    const stored = JSON.parse(JSON.stringify({ autoscaler: leader.status })) as Record<string, unknown>;
    const next = new AutoscalerWatch(storedAutoscalerStatus(stored));
    const reads = flink.reads.length;
    const { timeline } = await run(next, 8 * MINUTE, 20 * MINUTE, () => ({ spec: act(), read: flink.read }));
    expect(timeline).toEqual([]);
    expect(next.status?.reason).toBe('Rescaling');
    expect(flink.reads.length).toBe(reads);
    expect(next.status?.rescales).toHaveLength(1);
    expect(next.status?.parallelism).toEqual(leader.status?.parallelism);
  });

  it('at most maxRescalesPerHour: a second scale-up within the hour waits (RescaleLimit)', async () => {
    let parallelism = 4;
    const flink = flinkAt(
      () => 0.95,
      () => parallelism,
    );
    const watch = new AutoscalerWatch(null);
    await run(watch, 0, 8 * MINUTE, () => ({ spec: act({ maxRescalesPerHour: 1 }), read: flink.read }));
    parallelism = 6;
    const { timeline } = await run(watch, 8 * MINUTE, 30 * MINUTE, () => ({
      spec: act({ maxRescalesPerHour: 1 }),
      read: flink.read,
      parallelism: 6,
    }));
    expect(timeline.at(-1)).toMatch(/RescaleLimit 6$/);
    expect(watch.status?.parallelism?.value).toBe(6);
    expect(watch.status?.rescales).toHaveLength(1);
  });

  it('kubectl scale (a new spec.jobParallelism) and recommend mode drop the override', async () => {
    const flink = flinkAt(() => 0.95);
    const scaled = new AutoscalerWatch(null);
    await run(scaled, 0, 8 * MINUTE, () => ({ spec: act(), read: flink.read }));
    const change = await scaled.observe(
      pass(T0 + 8 * MINUTE, { spec: act(), read: flink.read, requested: 2 }),
    );
    expect(change.changed).toBe(true);
    expect(scaled.status?.parallelism).toBeUndefined();
    expect(scaled.status?.reason).toBe('Stabilizing');

    const switched = new AutoscalerWatch(null);
    await run(switched, 0, 8 * MINUTE, () => ({ spec: act(), read: flink.read }));
    await switched.observe(pass(T0 + 8 * MINUTE, { read: flink.read }));
    expect(switched.status).toMatchObject({ mode: 'recommend' });
    expect(switched.status?.parallelism).toBeUndefined();
  });

  it('recommend mode reports the decision act mode takes, and records nothing', async () => {
    const recommending = new AutoscalerWatch(null);
    const acting = new AutoscalerWatch(null);
    const flink = flinkAt(() => 0.95);
    const r = await run(recommending, 0, DECIDED, () => ({ read: flink.read }));
    const a = await run(acting, 0, DECIDED, () => ({ spec: act(), read: flink.read }));
    expect(r.timeline).toEqual(a.timeline);
    expect(recommending.status?.parallelism).toBeUndefined();
    expect(recommending.status?.rescales).toBeUndefined();
    expect(acting.status?.parallelism?.value).toBe(recommending.status?.recommended);
  });
});
