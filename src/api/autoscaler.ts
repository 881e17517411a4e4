import { z } from 'zod';
import { withRules } from './cel-rules.ts';
import { timestamp } from './status.ts';

// spec.autoscaler of a FlinkJob (and of each job of a FlinkDeployment): the field names and the
// duration strings of the Flink Kubernetes Operator's autoscaler charts ("5m", "1m30s"), and the
// utilization as a string ("0.7"), as such charts write it. docs/autoscaler.md.

/** act: the supervisor applies its decisions; recommend: it computes and reports them only. */
export const AUTOSCALER_MODES = ['act', 'recommend'] as const;
export type AutoscalerMode = (typeof AUTOSCALER_MODES)[number];

/** A duration as Go and Kubernetes CEL write it, hours, minutes and seconds only: 90s, 5m, 1h30m. */
export const DURATION_PATTERN = '^([0-9]{1,5}h)?([0-9]{1,6}m)?([0-9]{1,7}s)?$';
/** A fraction in (0, 1]: 0.7, .25, 1, 1.0. */
export const UTILIZATION_PATTERN = '^(0?\\.[0-9]*[1-9][0-9]*|1(\\.0*)?)$';
/** A fraction in [0, 1): 0, 0.1, .05. */
const BOUNDARY_PATTERN = '^(0|0?\\.[0-9]+)$';

/** The shortest metricsWindow that holds two samples (autoscaler-watch.ts samples every 15 s). */
export const MIN_METRICS_WINDOW = '30s';
const MIN_METRICS_WINDOW_MS = 30_000;

/** Milliseconds of a duration string (DURATION_PATTERN), or null when it is not one. */
export function parseDuration(text: string): number | null {
  const m = new RegExp(DURATION_PATTERN).exec(text);
  if (!m || text === '') return null;
  const [, h, min, s] = m;
  return ((parseInt(h ?? '0', 10) * 60 + parseInt(min ?? '0', 10)) * 60 + parseInt(s ?? '0', 10)) * 1000;
}

const duration = (description: string, defaultValue: string) =>
  z
    .string()
    .min(2)
    .max(24)
    .regex(new RegExp(DURATION_PATTERN))
    .default(defaultValue)
    .describe(`${description} A duration: 30s, 5m, 1h30m.`);

export const autoscalerSpec = withRules(
  z
    .object({
      enabled: z.boolean().default(false).describe('Whether the supervisor autoscales this job.'),
      mode: z
        .enum(AUTOSCALER_MODES)
        .default('act')
        .describe(
          "act: the supervisor rescales the job (in place on Flink's adaptive scheduler, else through its upgrade mode), recording the parallelism in status.autoscaler.parallelism and leaving spec.jobParallelism as it is; recommend: it computes and reports each decision (status.autoscaler, Events) and changes nothing.",
        ),
      targetUtilization: z
        .string()
        .max(16)
        .regex(new RegExp(UTILIZATION_PATTERN))
        .default('0.7')
        .describe(
          'The busy-time fraction the busiest scalable vertex should run at, in (0, 1], as a string ("0.7"): the new parallelism is what would bring it there.',
        ),
      targetUtilizationBoundary: z
        .string()
        .max(16)
        .regex(new RegExp(BOUNDARY_PATTERN))
        .default('0.1')
        .describe(
          'No rescale while the busiest vertex is within targetUtilization ± this, as a string ("0.1"): a dead band against flapping.',
        ),
      minParallelism: z
        .int()
        .min(1)
        .max(100000)
        .default(1)
        .describe('Lowest parallelism the autoscaler sets (never below minJobParallelism).'),
      maxParallelism: z
        .int()
        .min(1)
        .max(100000)
        .exactOptional()
        .describe(
          "Highest parallelism the autoscaler sets; maxJobParallelism when absent. Never above maxJobParallelism, nor above the cluster's maxTaskManagers × taskSlots.",
        ),
      metricsWindow: duration('How far back the metrics a decision is taken on go.', '5m'),
      stabilizationInterval: duration(
        'After the job runs at a new parallelism (or starts), metrics are not collected and nothing is decided for this long.',
        '1m',
      ),
      scaleUpGracePeriod: duration('A scale-up is taken only once its condition held this long.', '1m'),
      scaleDownGracePeriod: duration('A scale-down is taken only once its condition held this long.', '3m'),
      maxRescalesPerHour: z
        .int()
        .min(1)
        .max(60)
        .default(4)
        .describe('At most this many rescales in any hour.'),
    })
    .describe('Autoscaling of the job parallelism from Flink metrics (docs/autoscaler.md).'),
  [
    {
      // has(): the CRD's default of `autoscaler` is {} and is validated as it is, before its fields' defaults.
      rule: '!has(self.maxParallelism) || (has(self.minParallelism) ? self.minParallelism : 1) <= self.maxParallelism',
      message: 'autoscaler.minParallelism must be less than or equal to autoscaler.maxParallelism',
      fieldPath: '.minParallelism',
      check: (a) => a.maxParallelism === undefined || a.minParallelism <= a.maxParallelism,
    },
    {
      // A decision needs two samples within the window, and they are taken every 15 s: a shorter
      // window never holds two, and the autoscaler would collect metrics for ever.
      rule: `!has(self.metricsWindow) || duration(self.metricsWindow) >= duration('${MIN_METRICS_WINDOW}')`,
      message: `autoscaler.metricsWindow must be at least ${MIN_METRICS_WINDOW}: a decision needs two metric samples in the window, and they are taken every 15s`,
      fieldPath: '.metricsWindow',
      check: (a) => (parseDuration(a.metricsWindow) ?? 0) >= MIN_METRICS_WINDOW_MS,
    },
  ],
);

export type AutoscalerSpec = z.infer<typeof autoscalerSpec>;

/** The spec with its strings read: durations in milliseconds, fractions as numbers. */
export interface AutoscalerSettings {
  readonly enabled: boolean;
  readonly mode: AutoscalerMode;
  readonly targetUtilization: number;
  readonly boundary: number;
  readonly minParallelism: number;
  readonly maxParallelism: number | null;
  readonly metricsWindowMs: number;
  readonly stabilizationMs: number;
  readonly scaleUpGraceMs: number;
  readonly scaleDownGraceMs: number;
  readonly maxRescalesPerHour: number;
}

export function autoscalerSettings(spec: AutoscalerSpec): AutoscalerSettings {
  return {
    enabled: spec.enabled,
    mode: spec.mode,
    targetUtilization: Number(spec.targetUtilization),
    boundary: Number(spec.targetUtilizationBoundary),
    minParallelism: spec.minParallelism,
    maxParallelism: spec.maxParallelism ?? null,
    metricsWindowMs: parseDuration(spec.metricsWindow) ?? 0,
    stabilizationMs: parseDuration(spec.stabilizationInterval) ?? 0,
    scaleUpGraceMs: parseDuration(spec.scaleUpGracePeriod) ?? 0,
    scaleDownGraceMs: parseDuration(spec.scaleDownGracePeriod) ?? 0,
    maxRescalesPerHour: spec.maxRescalesPerHour,
  };
}

/** Why the autoscaler recommends what it does (status.autoscaler.reason, the Event reason). */
export const AUTOSCALER_REASONS = [
  'Disabled',
  'NotRunning',
  'Stabilizing',
  'CollectingMetrics',
  'MetricsUnavailable',
  'NoScalableVertex',
  'WithinTarget',
  'ScaleUpPending',
  'ScaleDownPending',
  'ScaleUp',
  'ScaleDown',
  'AtBound',
  'ScaleDownBlockedCheckpoints',
  'ScaleDownBlockedCatchingUp',
  'IneffectiveScaleUp',
  'RescaleLimit',
  'Rescaling',
] as const;
export type AutoscalerReason = (typeof AUTOSCALER_REASONS)[number];

export const autoscalerMetricsStatus = z
  .object({
    samples: z.int().min(0).describe('Metric samples the decision was taken on.'),
    windowSeconds: z.int().min(0).describe('Time the samples span, in seconds.'),
    busiestVertex: z.string().max(512).exactOptional().describe('Name of the busiest scalable vertex.'),
    utilization: z
      .number()
      .min(0)
      .max(1)
      .exactOptional()
      .describe('Mean busy-time fraction of the busiest scalable vertex over the window.'),
    backPressure: z
      .number()
      .min(0)
      .max(1)
      .exactOptional()
      .describe('Largest mean back-pressured-time fraction of a vertex over the window.'),
    sourceRecordsPerSecond: z
      .number()
      .min(0)
      .exactOptional()
      .describe('Records the sources emitted per second, mean over the window.'),
    backlog: z
      .number()
      .min(0)
      .exactOptional()
      .describe('Records the sources report pending (lag), newest sample; absent when they report none.'),
    backlogGrowthPerSecond: z
      .number()
      .exactOptional()
      .describe('How fast the backlog grew over the window (records per second; negative: it shrank).'),
  })
  .describe('The metric values of the latest decision.');

export const autoscalerStatus = z
  .object({
    mode: z.enum(AUTOSCALER_MODES).describe('Mode of the latest decision: act or recommend.'),
    current: z.int().min(0).describe('Parallelism the job runs at.'),
    recommended: z
      .int()
      .min(0)
      .describe('Parallelism the autoscaler decided (equal to current when it holds).'),
    reason: z.enum(AUTOSCALER_REASONS).describe('Why (a CamelCase word).'),
    message: z.string().max(1024).describe('The decision in words, with the numbers it rests on.'),
    metrics: autoscalerMetricsStatus.exactOptional(),
    lastDecisionAt: timestamp('When the reason or recommended parallelism last changed.').exactOptional(),
    parallelism: z
      .object({
        value: z.int().min(1).describe('The parallelism the autoscaler set.'),
        basis: z
          .int()
          .min(0)
          .describe(
            'spec.jobParallelism when it was set: once the spec asks for another parallelism (kubectl scale), the spec wins.',
          ),
        from: z.int().min(0).exactOptional().describe('The parallelism the job ran at when it was decided.'),
        reason: z
          .enum(['ScaleUp', 'ScaleDown'])
          .exactOptional()
          .describe('The decision that set it (status.autoscaler.reason then).'),
        message: z.string().max(1024).exactOptional().describe('The decision in words, with its numbers.'),
        decidedAt: timestamp(
          'When it was decided (and recorded, before the job was rescaled).',
        ).exactOptional(),
      })
      .exactOptional()
      .describe(
        'act mode: the parallelism in effect instead of spec.jobParallelism (recorded before the job is rescaled).',
      ),
    rescales: z
      .array(timestamp('When a rescale was decided.'))
      .max(60)
      .exactOptional()
      .describe('Rescales decided within the last hour (maxRescalesPerHour).'),
    lastScaleUp: z
      .object({
        at: timestamp('When it was decided.'),
        from: z.int().min(0).describe('Parallelism before.'),
        to: z.int().min(0).describe('Parallelism decided.'),
        sourceRecordsPerSecond: z.number().min(0).describe('Source throughput before.'),
        utilization: z.number().min(0).max(1).describe('Busiest vertex utilization before.'),
        effective: z
          .boolean()
          .exactOptional()
          .describe('Whether throughput or utilization improved as expected (absent until judged).'),
      })
      .exactOptional()
      .describe('The latest scale-up, judged once a window at the new parallelism is in.'),
    scaleUpBlockedUntil: timestamp(
      'An ineffective scale-up is not repeated before this time.',
    ).exactOptional(),
  })
  .describe('The autoscaler: its latest decision and the memory its guardrails keep (docs/autoscaler.md).');

export type AutoscalerStatus = z.infer<typeof autoscalerStatus>;
