// The supervisor's autoscaler for one FlinkJob: samples the running job's metrics every
// SAMPLE_INTERVAL_MS once the stabilization interval is over (metrics-reader.ts), takes the
// decision (decide.ts) on each pass, and hands the status report status.autoscaler and the notice
// an Event deserves. Recommend mode stops there. Act mode records a rescale as the override
// status.autoscaler.parallelism (parallelism-override.ts) and changes nothing else: the job
// machine rescales once that status is stored (write-ahead), and until the job runs at it no other
// decision is taken, so one decision is one rescale whoever leads.
import {
  autoscalerSettings,
  autoscalerStatus,
  type AutoscalerSpec,
  type AutoscalerStatus,
} from '../api/autoscaler.ts';
import {
  decide,
  EMPTY_MEMORY,
  type AutoscalerMemory,
  type Decision,
  type MetricsSample,
} from '../autoscaler/decide.ts';
import type { FlinkJobObservation } from '../machines/observations.ts';

/** Flink's answer for one sample of a job (flink-gateway.ts); throws when Flink does not answer. */
export type MetricsSampleReader = (jobId: string, at: number) => Promise<MetricsSample>;

/** How often a running job's metrics are sampled: 20 samples over the default 5-minute window. */
export const SAMPLE_INTERVAL_MS = 15_000;

export interface AutoscalerInput {
  readonly spec: AutoscalerSpec | undefined;
  readonly jobId: string | null;
  readonly flinkJob: FlinkJobObservation;
  /** Parallelism the job runs at (status.jobParallelism). */
  readonly parallelism: number;
  /** spec.jobParallelism: the basis of an override, which a new one replaces (kubectl scale). */
  readonly requested: number;
  /** spec.minJobParallelism and spec.maxJobParallelism, and the cluster's maxTaskManagers × taskSlots. */
  readonly jobBounds: { readonly min: number; readonly max: number; readonly slots: number };
  readonly checkpointsFailing: boolean;
  readonly now: number;
  readonly read: MetricsSampleReader;
}

export interface AutoscalerNotice {
  readonly reason: string;
  readonly message: string;
}

export interface AutoscalerChange {
  /** status.autoscaler's decision (reason or recommended parallelism) changed: status is to be written. */
  readonly changed: boolean;
  readonly notice: AutoscalerNotice | null;
}

const UNCHANGED: AutoscalerChange = { changed: false, notice: null };

interface Run {
  readonly jobId: string;
  readonly parallelism: number;
  readonly runningSince: number;
  collectingSince: number | null;
  samples: MetricsSample[];
  nextReadAt: number;
}

/** status.autoscaler as stored, or null when absent or not of the schema (it is then rebuilt). */
export function storedAutoscalerStatus(status: Record<string, unknown> | undefined): AutoscalerStatus | null {
  const parsed = autoscalerStatus.safeParse(status?.['autoscaler']);
  return parsed.success ? parsed.data : null;
}

function storedMemory(stored: AutoscalerStatus | null): AutoscalerMemory {
  if (!stored) return EMPTY_MEMORY;
  const last = stored.lastScaleUp;
  return {
    // The condition's start is not kept: after a restart of the supervisor it holds anew.
    pending: null,
    rescales: (stored.rescales ?? []).map((at) => Date.parse(at)).filter(Number.isFinite),
    lastScaleUp: last
      ? {
          at: Date.parse(last.at),
          from: last.from,
          to: last.to,
          sourceRecordsPerSecond: last.sourceRecordsPerSecond,
          utilization: last.utilization,
          ...(last.effective === undefined ? {} : { effective: last.effective }),
        }
      : null,
    scaleUpBlockedUntil: stored.scaleUpBlockedUntil ? Date.parse(stored.scaleUpBlockedUntil) : null,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

type Override = NonNullable<AutoscalerStatus['parallelism']>;

export class AutoscalerWatch {
  #status: AutoscalerStatus | null;
  #memory: AutoscalerMemory;
  #run: Run | null = null;
  /** Act mode's parallelism (status.autoscaler.parallelism), or null. */
  #override: Override | null;

  constructor(stored: AutoscalerStatus | null) {
    this.#status = stored;
    this.#memory = storedMemory(stored);
    this.#override = stored?.parallelism ?? null;
  }

  /** status.autoscaler to report; null: none (the autoscaler is not enabled). */
  get status(): AutoscalerStatus | null {
    return this.#status;
  }

  /** One pass: samples when due, decides, and says whether the decision changed. */
  async observe(input: AutoscalerInput): Promise<AutoscalerChange> {
    const spec = input.spec;
    if (!spec?.enabled) {
      this.#run = null;
      const had = this.#status !== null;
      this.#status = null;
      this.#memory = EMPTY_MEMORY;
      this.#override = null;
      return had ? { changed: true, notice: null } : UNCHANGED;
    }
    const settings = autoscalerSettings(spec);
    const { now } = input;
    // Recommend mode sets nothing; a new spec.jobParallelism replaces what act mode set.
    if (this.#override && (settings.mode !== 'act' || this.#override.basis !== input.requested))
      this.#override = null;
    if (input.jobId === null || input.flinkJob !== 'RUNNING') {
      this.#run = null;
      return this.#report(spec.mode, null, now, {
        recommended: 0,
        reason: 'NotRunning',
        message: 'the job is not running: nothing to measure',
      });
    }
    const applying = this.#override;
    if (applying && applying.value !== input.parallelism) {
      // Decided and recorded; the job machine rescales. Nothing is measured or decided meanwhile.
      this.#run = null;
      return this.#report(spec.mode, input.parallelism, now, {
        recommended: applying.value,
        reason: 'Rescaling',
        message: `rescaling from ${input.parallelism} to ${applying.value}${applying.reason ? ` (${applying.reason}${applying.decidedAt ? ` decided at ${applying.decidedAt}` : ''})` : ''}`,
      });
    }
    if (this.#run?.jobId !== input.jobId || this.#run.parallelism !== input.parallelism)
      this.#run = {
        jobId: input.jobId,
        parallelism: input.parallelism,
        runningSince: now,
        collectingSince: null,
        samples: [],
        nextReadAt: now + settings.stabilizationMs,
      };
    const run = this.#run;
    if (now >= run.nextReadAt) {
      run.nextReadAt = now + SAMPLE_INTERVAL_MS;
      try {
        const sample = await input.read(run.jobId, now);
        run.collectingSince ??= now;
        run.samples = [...run.samples.filter((s) => s.at >= now - settings.metricsWindowMs), sample];
      } catch {
        // Flink did not answer: this sample is missing, the next one is read on time.
      }
    }
    const min = Math.max(1, spec.minParallelism, input.jobBounds.min);
    const max = Math.min(
      spec.maxParallelism ?? input.jobBounds.max,
      input.jobBounds.max,
      input.jobBounds.slots,
    );
    const decision = decide({
      now,
      settings,
      current: input.parallelism,
      bounds: { min, max: Math.max(min, max) },
      runningSince: run.runningSince,
      collectingSince: run.collectingSince,
      samples: run.samples,
      checkpointsFailing: input.checkpointsFailing,
      memory: this.#memory,
    });
    this.#memory = decision.memory;
    if (settings.mode === 'act' && (decision.reason === 'ScaleUp' || decision.reason === 'ScaleDown'))
      this.#override = {
        value: decision.recommended,
        basis: input.requested,
        from: input.parallelism,
        reason: decision.reason,
        message: decision.message.slice(0, 1024),
        decidedAt: iso(now),
      };
    return this.#report(spec.mode, input.parallelism, now, decision);
  }

  #report(
    asked: AutoscalerSpec['mode'],
    current: number | null,
    now: number,
    decision: Pick<Decision, 'recommended' | 'reason' | 'message'> & Partial<Pick<Decision, 'metrics'>>,
  ): AutoscalerChange {
    const previous = this.#status;
    const decided = previous?.reason !== decision.reason || previous.recommended !== decision.recommended;
    const override = this.#override;
    const overrideChanged = JSON.stringify(previous?.parallelism ?? null) !== JSON.stringify(override);
    const memory = this.#memory;
    const last = memory.lastScaleUp;
    const at = decided ? iso(now) : previous.lastDecisionAt;
    this.#status = {
      mode: asked,
      current: current ?? 0,
      recommended: decision.recommended,
      reason: decision.reason,
      message: decision.message.slice(0, 1024),
      ...(override ? { parallelism: override } : {}),
      ...(decision.metrics ? { metrics: decision.metrics } : {}),
      ...(at ? { lastDecisionAt: at } : {}),
      ...(memory.rescales.length > 0 ? { rescales: memory.rescales.map(iso) } : {}),
      ...(last
        ? {
            lastScaleUp: {
              at: iso(last.at),
              from: last.from,
              to: last.to,
              sourceRecordsPerSecond: last.sourceRecordsPerSecond,
              utilization: last.utilization,
              ...(last.effective === undefined ? {} : { effective: last.effective }),
            },
          }
        : {}),
      ...(memory.scaleUpBlockedUntil !== null
        ? { scaleUpBlockedUntil: iso(memory.scaleUpBlockedUntil) }
        : {}),
    };
    if (!decided && !overrideChanged) return UNCHANGED;
    if (asked === 'act')
      return { changed: true, notice: decided ? this.#actNotice(previous, current) : null };
    // The advice is a parallelism other than the one running; holding (or not running) is none. An
    // Event says each change of advice: a rescale recommended, another one, or none any more.
    const advice = (rec: number, runs: number) => (rec !== 0 && rec !== runs ? rec : null);
    const before = previous ? advice(previous.recommended, previous.current) : null;
    const advised = advice(decision.recommended, current ?? 0);
    if (before === advised) return { changed: true, notice: null };
    const said = `(running at ${current ?? 0}, ${decision.reason}): ${decision.message}`;
    return {
      changed: true,
      notice: {
        reason: 'AutoscalerRecommendation',
        message:
          advised === null
            ? `no rescale recommended any more ${said}`
            : `recommended parallelism ${advised} ${said}`,
      },
    };
  }

  /** Act mode says each rescale it records, and each one done (the job runs at it). */
  #actNotice(previous: AutoscalerStatus | null, current: number | null): AutoscalerNotice | null {
    const status = this.#status;
    if (!status) return null;
    if (status.reason === 'ScaleUp' || status.reason === 'ScaleDown')
      return {
        reason: 'AutoscalerRescale',
        message: `rescaling from ${current ?? 0} to ${status.recommended} (${status.reason}): ${status.message}`,
      };
    if (previous?.reason === 'Rescaling' && status.reason !== 'Rescaling' && status.reason !== 'NotRunning')
      return {
        reason: 'AutoscalerRescaled',
        message: `the job runs at parallelism ${current ?? 0} the autoscaler set`,
      };
    return null;
  }
}
