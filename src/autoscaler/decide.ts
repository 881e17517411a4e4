// The autoscaler's decision, purely: Flink's metrics over the window in, the parallelism to run at
// and why out. The time is passed in; the memory the guardrails need between decisions (the
// condition's start, the rescales of the last hour, the latest scale-up and whether it helped) goes
// in and comes out, and the supervisor keeps it in status so a new leader decides the same way.
// docs/autoscaler.md explains the rules; docs/adr/0017-autoscaler.md why they are these.
import type { AutoscalerReason, AutoscalerSettings } from '../api/autoscaler.ts';

/** One vertex of one metrics sample (metrics-reader.ts), each value aggregated over its subtasks. */
export interface VertexSample {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  /** Reads no input of another vertex. */
  readonly source: boolean;
  /** Mean busy-time fraction of its subtasks, 0..1; null when Flink has none (NaN, not yet measured). */
  readonly busy: number | null;
  /** Mean back-pressured-time fraction of its subtasks, 0..1; null when Flink has none. */
  readonly backPressure: number | null;
  /** Records its subtasks emit per second, summed; null when Flink has none. */
  readonly recordsOutPerSecond: number | null;
  /** Records its source subtasks report pending (Kafka lag and the like), summed; null when none report it. */
  readonly pendingRecords: number | null;
}

export interface MetricsSample {
  readonly at: number;
  readonly vertices: readonly VertexSample[];
}

/** What the guardrails remember between decisions (kept in status.autoscaler). */
export interface AutoscalerMemory {
  /** Since when the current scale-up or scale-down condition holds (null: none holds). */
  readonly pending: { readonly direction: 'up' | 'down'; readonly since: number } | null;
  /** When the rescales of the last hour were decided. */
  readonly rescales: readonly number[];
  readonly lastScaleUp: LastScaleUp | null;
  /** No scale-up before this time: the latest one did not help. */
  readonly scaleUpBlockedUntil: number | null;
}

export interface LastScaleUp {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly sourceRecordsPerSecond: number;
  readonly utilization: number;
  /** undefined until a full window at `to` judged it. */
  readonly effective?: boolean;
}

export const EMPTY_MEMORY: AutoscalerMemory = {
  pending: null,
  rescales: [],
  lastScaleUp: null,
  scaleUpBlockedUntil: null,
};

export interface DecisionInput {
  readonly now: number;
  readonly settings: AutoscalerSettings;
  /** Parallelism the job runs at. */
  readonly current: number;
  /** What the autoscaler may choose from: the spec's and the autoscaler's bounds, and the cluster's slots. */
  readonly bounds: { readonly min: number; readonly max: number };
  /** Since when the job runs at `current` (a restart, a rescale, the supervisor's first sight of it). */
  readonly runningSince: number;
  /** Since when samples are collected for this run (after the stabilization interval, or a new leader). */
  readonly collectingSince: number | null;
  /** Samples at `current`, oldest first; those older than the window are ignored. */
  readonly samples: readonly MetricsSample[];
  /** The CheckpointsProgressing condition is False. */
  readonly checkpointsFailing: boolean;
  readonly memory: AutoscalerMemory;
}

/** The metric values a decision rests on (status.autoscaler.metrics). */
export interface DecisionMetrics {
  readonly samples: number;
  readonly windowSeconds: number;
  readonly busiestVertex?: string;
  readonly utilization?: number;
  readonly backPressure?: number;
  readonly sourceRecordsPerSecond?: number;
  readonly backlog?: number;
  readonly backlogGrowthPerSecond?: number;
}

export interface Decision {
  /** The parallelism decided: `current` unless a rescale is decided now (or, in recommend mode, stands). */
  readonly recommended: number;
  readonly reason: AutoscalerReason;
  readonly message: string;
  readonly metrics: DecisionMetrics;
  readonly memory: AutoscalerMemory;
}

const HOUR_MS = 3_600_000;
/** A backlog worth this many seconds of the sources' throughput is catching up: no scale-down. */
export const CATCH_UP_SECONDS = 60;
/** A backlog growing faster than this fraction of the throughput is falling behind. */
export const FALLING_BEHIND_FRACTION = 0.05;
/** A scale-up that bought less than this fraction of the throughput it should have did not help... */
export const EFFECTIVE_GAIN_FRACTION = 0.1;
/** ...and it is not repeated for this long. */
export const INEFFECTIVE_BLOCK_MS = HOUR_MS;
/** Floating point slack, so that 0.7 × 10 / 0.7 is 10 and not 11. */
const EPSILON = 1e-9;

const mean = (values: readonly number[]): number | undefined =>
  values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;
const secs = (ms: number) => `${Math.round(ms / 1000)}s`;

function numbers(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

/** The window's samples reduced to the values a decision uses. */
export function summarize(
  samples: readonly MetricsSample[],
  current: number,
): {
  metrics: DecisionMetrics;
  scalable: number;
  utilization: number | null;
  sourceRate: number | null;
  backlog: number | null;
  growth: number | null;
} {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const windowSeconds = first && last ? Math.round((last.at - first.at) / 1000) : 0;
  const base: DecisionMetrics = { samples: samples.length, windowSeconds };
  if (!last)
    return { metrics: base, scalable: 0, utilization: null, sourceRate: null, backlog: null, growth: null };
  // Vertices the program pinned to another parallelism do not follow the job's: scaling cannot help them.
  const scalable = last.vertices.filter((v) => v.parallelism === current);
  let busiest: { name: string; busy: number } | null = null;
  for (const vertex of scalable) {
    const busy = mean(numbers(samples.map((s) => s.vertices.find((v) => v.id === vertex.id)?.busy ?? null)));
    if (busy !== undefined && (busiest === null || busy > busiest.busy))
      busiest = { name: vertex.name, busy };
  }
  const backPressures = last.vertices
    .map((vertex) =>
      mean(numbers(samples.map((s) => s.vertices.find((v) => v.id === vertex.id)?.backPressure ?? null))),
    )
    .filter((v): v is number => v !== undefined);
  const rates = numbers(
    samples.map((s) => {
      const out = numbers(s.vertices.filter((v) => v.source).map((v) => v.recordsOutPerSecond));
      return out.length === 0 ? null : out.reduce((a, b) => a + b, 0);
    }),
  );
  const pendingOf = (s: MetricsSample) => {
    const pending = numbers(s.vertices.filter((v) => v.source).map((v) => v.pendingRecords));
    return pending.length === 0 ? null : pending.reduce((a, b) => a + b, 0);
  };
  const backlogs = samples
    .map((s) => ({ at: s.at, pending: pendingOf(s) }))
    .filter((b) => b.pending !== null);
  const firstBacklog = backlogs[0];
  const lastBacklog = backlogs[backlogs.length - 1];
  const backlog = lastBacklog?.pending ?? null;
  const growth =
    firstBacklog && lastBacklog && lastBacklog.at > firstBacklog.at
      ? ((lastBacklog.pending ?? 0) - (firstBacklog.pending ?? 0)) /
        ((lastBacklog.at - firstBacklog.at) / 1000)
      : null;
  const sourceRate = mean(rates) ?? null;
  const utilization = busiest ? Math.min(1, Math.max(0, busiest.busy)) : null;
  const backPressure = backPressures.length === 0 ? undefined : Math.min(1, Math.max(...backPressures));
  return {
    metrics: {
      ...base,
      ...(busiest ? { busiestVertex: busiest.name } : {}),
      ...(utilization === null ? {} : { utilization: round(utilization) }),
      ...(backPressure === undefined ? {} : { backPressure: round(backPressure) }),
      ...(sourceRate === null ? {} : { sourceRecordsPerSecond: round(sourceRate, 1) }),
      ...(backlog === null ? {} : { backlog }),
      ...(growth === null ? {} : { backlogGrowthPerSecond: round(growth, 1) }),
    },
    scalable: scalable.length,
    utilization,
    sourceRate,
    backlog,
    growth,
  };
}

/** The parallelism that would bring the busiest vertex to the target, with the sources' backlog growth added to the load. */
export function requiredParallelism(input: {
  current: number;
  utilization: number;
  target: number;
  sourceRate: number | null;
  growth: number | null;
}): number {
  const demand =
    input.growth !== null && input.growth > 0 && input.sourceRate !== null && input.sourceRate > 0
      ? (input.sourceRate + input.growth) / input.sourceRate
      : 1;
  return Math.max(1, Math.ceil((input.current * input.utilization * demand) / input.target - EPSILON));
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export function decide(input: DecisionInput): Decision {
  const { now, settings, current } = input;
  const hold = (
    reason: AutoscalerReason,
    message: string,
    metrics: DecisionMetrics,
    memory: AutoscalerMemory,
    recommended = current,
  ): Decision => ({ recommended, reason, message, metrics, memory });
  const memory: AutoscalerMemory = {
    ...input.memory,
    rescales: input.memory.rescales.filter((at) => now - at < HOUR_MS),
    scaleUpBlockedUntil:
      input.memory.scaleUpBlockedUntil !== null && input.memory.scaleUpBlockedUntil > now
        ? input.memory.scaleUpBlockedUntil
        : null,
  };
  const quiet = { ...memory, pending: null };
  const stableAt = input.runningSince + settings.stabilizationMs;
  if (now < stableAt)
    return hold(
      'Stabilizing',
      `running at parallelism ${current} for ${secs(now - input.runningSince)}; nothing is decided before ${secs(settings.stabilizationMs)} (stabilizationInterval)`,
      { samples: 0, windowSeconds: 0 },
      quiet,
    );
  const inWindow = input.samples.filter((s) => s.at >= now - settings.metricsWindowMs && s.at <= now);
  const summary = summarize(inWindow, current);
  const collected = input.collectingSince === null ? 0 : now - input.collectingSince;
  if (collected < settings.metricsWindowMs || inWindow.length < 2)
    return hold(
      'CollectingMetrics',
      `collecting metrics at parallelism ${current}: ${secs(collected)} of the ${secs(settings.metricsWindowMs)} window (${inWindow.length} samples)`,
      summary.metrics,
      quiet,
    );
  if (summary.scalable === 0)
    return hold(
      'NoScalableVertex',
      `no vertex runs at the job parallelism ${current}: every vertex has a parallelism of its own`,
      summary.metrics,
      quiet,
    );
  const { utilization, sourceRate, backlog, growth } = summary;
  if (utilization === null)
    return hold(
      'MetricsUnavailable',
      "Flink reported no busy time for the job's vertices",
      summary.metrics,
      quiet,
    );

  const judged = judgeLastScaleUp(memory, current, utilization, sourceRate, settings, now);
  const target = settings.targetUtilization;
  const min = Math.max(1, input.bounds.min);
  const max = Math.max(min, input.bounds.max);
  const required = clamp(requiredParallelism({ current, utilization, target, sourceRate, growth }), min, max);
  const fallingBehind =
    growth !== null && sourceRate !== null && growth > FALLING_BEHIND_FRACTION * Math.max(sourceRate, 1);
  const catchingUp =
    backlog !== null &&
    backlog > 0 &&
    (fallingBehind || backlog > CATCH_UP_SECONDS * Math.max(sourceRate ?? 0, 1));
  const said = `busiest vertex ${summary.metrics.busiestVertex ?? '?'} at ${pct(utilization)} (target ${pct(target)} ± ${pct(settings.boundary)})`;
  const wantsUp =
    (utilization > target + settings.boundary || (fallingBehind && utilization >= target - EPSILON)) &&
    required > current;
  const wantsDown = utilization < target - settings.boundary && !fallingBehind && required < current;
  const outOfBounds = current < min || current > max;
  if (!wantsUp && !wantsDown && !outOfBounds) {
    const atBound =
      (utilization > target + settings.boundary && current >= max) ||
      (utilization < target - settings.boundary && current <= min);
    return hold(
      atBound ? 'AtBound' : 'WithinTarget',
      atBound
        ? `${said}; parallelism ${current} is at its bound [${min}, ${max}]`
        : `${said}: parallelism ${current} holds`,
      summary.metrics,
      { ...judged, pending: null },
    );
  }
  const direction: 'up' | 'down' = outOfBounds ? (current < min ? 'up' : 'down') : wantsUp ? 'up' : 'down';
  const to = outOfBounds ? clamp(current, min, max) : required;
  const pending = judged.pending?.direction === direction ? judged.pending : { direction, since: now };
  const held = now - pending.since;
  const grace = direction === 'up' ? settings.scaleUpGraceMs : settings.scaleDownGraceMs;
  const remembered = { ...judged, pending };
  const verb = direction === 'up' ? 'scale up' : 'scale down';
  if (!outOfBounds && held < grace)
    return hold(
      direction === 'up' ? 'ScaleUpPending' : 'ScaleDownPending',
      `${said}: ${verb} from ${current} to ${to} once this holds ${secs(grace)} (held ${secs(held)})`,
      summary.metrics,
      remembered,
    );
  if (direction === 'up' && remembered.scaleUpBlockedUntil !== null && !outOfBounds)
    return hold(
      'IneffectiveScaleUp',
      `${said}, but the scale-up from ${remembered.lastScaleUp?.from ?? '?'} to ${remembered.lastScaleUp?.to ?? '?'} did not raise the throughput: no scale-up before ${new Date(remembered.scaleUpBlockedUntil).toISOString()}`,
      summary.metrics,
      remembered,
    );
  if (direction === 'down' && !outOfBounds && input.checkpointsFailing)
    return hold(
      'ScaleDownBlockedCheckpoints',
      `${said}, but checkpoints are failing: no scale-down from ${current} to ${to} until they complete`,
      summary.metrics,
      remembered,
    );
  if (direction === 'down' && !outOfBounds && catchingUp)
    return hold(
      'ScaleDownBlockedCatchingUp',
      `${said}, but the job is catching up (backlog ${backlog} records${growth === null ? '' : `, growing ${round(growth, 1)}/s`}): no scale-down from ${current} to ${to}`,
      summary.metrics,
      remembered,
    );
  if (settings.mode === 'act' && remembered.rescales.length >= settings.maxRescalesPerHour)
    return hold(
      'RescaleLimit',
      `${said}: ${verb} from ${current} to ${to} waits, ${remembered.rescales.length} rescales in the last hour (maxRescalesPerHour ${settings.maxRescalesPerHour})`,
      summary.metrics,
      remembered,
    );
  const message = outOfBounds
    ? `parallelism ${current} is outside [${min}, ${max}]: ${verb} to ${to}`
    : `${said}: ${verb} from ${current} to ${to}${fallingBehind && growth !== null ? ` (backlog growing ${round(growth, 1)} records/s)` : ''}`;
  if (settings.mode === 'recommend')
    // Nothing changes, so the condition keeps holding and the recommendation stands.
    return hold(direction === 'up' ? 'ScaleUp' : 'ScaleDown', message, summary.metrics, remembered, to);
  return hold(
    direction === 'up' ? 'ScaleUp' : 'ScaleDown',
    message,
    summary.metrics,
    {
      pending: null,
      rescales: [...remembered.rescales, now],
      lastScaleUp:
        direction === 'up'
          ? { at: now, from: current, to, sourceRecordsPerSecond: sourceRate ?? 0, utilization }
          : remembered.lastScaleUp,
      scaleUpBlockedUntil: remembered.scaleUpBlockedUntil,
    },
    to,
  );
}

/**
 * Whether the latest scale-up helped, judged on the first full window at its parallelism: it did if
 * the throughput rose by at least a tenth of what the added parallelism should buy, or the busiest
 * vertex is no longer above the band. One that did not is not repeated for an hour.
 */
function judgeLastScaleUp(
  memory: AutoscalerMemory,
  current: number,
  utilization: number,
  sourceRate: number | null,
  settings: AutoscalerSettings,
  now: number,
): AutoscalerMemory {
  const last = memory.lastScaleUp;
  if (!last || last.effective !== undefined || last.to !== current || last.to <= last.from) return memory;
  const expectedGain = last.to / last.from - 1;
  const gain =
    sourceRate !== null && last.sourceRecordsPerSecond > 0 ? sourceRate / last.sourceRecordsPerSecond - 1 : 0;
  const effective =
    gain >= EFFECTIVE_GAIN_FRACTION * expectedGain ||
    utilization <= settings.targetUtilization + settings.boundary;
  return {
    ...memory,
    lastScaleUp: { ...last, effective },
    scaleUpBlockedUntil: effective ? memory.scaleUpBlockedUntil : now + INEFFECTIVE_BLOCK_MS,
  };
}
