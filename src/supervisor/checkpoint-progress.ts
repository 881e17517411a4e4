// Whether a running Flink job's checkpoints still complete: the CheckpointsProgressing condition of a
// FlinkJob, decided from Flink's checkpoint statistics. Pure (the time is passed in); the reads and
// their cadence live in checkpoint-watch.ts. Report only: nothing here restarts or cancels a job,
// because a store that is down comes back and Flink's S3 client retries until it does.
import { CONDITION_REASONS, CONDITION_TYPES, storedConditions } from '../api/conditions.ts';
import type { FlinkCheckpointConfig, FlinkCheckpointingStatistics } from '../flink/schemas.ts';

/** Added to the expected gap between completions before a stall is said: a slow write, a GC pause. */
export const STALL_MARGIN_MS = 10_000;
/** While checkpoints complete, their statistics are read at most every max(interval, this)... */
export const READ_CADENCE_MS = 30_000;
/** ...and while they do not (or after a read failed), every max(interval, this). */
export const READ_RETRY_MS = 10_000;
/** Checkpoints that failed in a row are said at once, before the stall bound runs out; one is routine. */
export const FAILED_IN_A_ROW = 2;
/** The Event reason of a recovery (the condition's reason is then CheckpointsCompleting). */
export const CHECKPOINTS_RESUMED = 'CheckpointsResumed';

/** Periodic checkpointing as the job runs it (milliseconds). */
export interface CheckpointSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
}

/** The job's periodic checkpointing, or null when it has none. */
export function checkpointSettings(config: FlinkCheckpointConfig): CheckpointSettings | null {
  // Flink keeps "no periodic checkpoints" as an interval of Long.MAX_VALUE.
  if (!(config.interval > 0) || config.interval >= Number.MAX_SAFE_INTEGER) return null;
  return { intervalMs: config.interval, timeoutMs: config.timeout, minPauseMs: config.min_pause ?? 0 };
}

/** One read of `GET /jobs/:jobid/checkpoints`, reduced to what the verdict needs. */
export interface CheckpointStats {
  /** The latest completed checkpoint (never a savepoint); `at` is Flink's clock. */
  readonly lastCompleted: {
    readonly id: number;
    readonly at: number;
    readonly durationMs: number;
    /** Where it lies (null: not externalized); upgrades may restore it (docs/upgrades.md). */
    readonly path?: string | null;
  } | null;
  /** Checkpoints that failed after the last completed one, as far as Flink's history goes back. */
  readonly failedSince: number;
  /** The newest of those failures' message, if Flink gave one. */
  readonly lastFailure: string | null;
  readonly inProgress: number;
  /** Failed checkpoints and savepoints since the job's statistics began. */
  readonly failedTotal: number;
}

export function checkpointStats(stats: FlinkCheckpointingStatistics): CheckpointStats {
  const completed = stats.latest?.completed;
  const lastCompleted = completed
    ? {
        id: completed.id,
        at:
          completed.latest_ack_timestamp ??
          (completed.trigger_timestamp ?? 0) + (completed.end_to_end_duration ?? 0),
        durationMs: completed.end_to_end_duration ?? 0,
        path: completed.external_path ?? null,
      }
    : null;
  const failed = stats.history
    .filter((c) => !c.is_savepoint && c.status === 'FAILED' && c.id > (lastCompleted?.id ?? -1))
    .sort((a, b) => b.id - a.id);
  return {
    lastCompleted,
    failedSince: failed.length,
    lastFailure: failed[0]?.failure_message ?? null,
    inProgress: stats.counts.in_progress,
    failedTotal: stats.counts.failed,
  };
}

/**
 * How long without a completed checkpoint is a stall. Completions come about every
 * max(interval, min pause + the last checkpoint's duration); twice that plus a margin, but never
 * more than interval + timeout + margin: by then a checkpoint triggered after the last completed one
 * has either completed or expired.
 */
export function stallBoundMs(settings: CheckpointSettings, lastDurationMs: number): number {
  const gap = Math.max(settings.intervalMs, settings.minPauseMs + lastDurationMs);
  return Math.min(2 * gap, settings.intervalMs + settings.timeoutMs) + STALL_MARGIN_MS;
}

/** The CheckpointsProgressing condition: its message is written once per verdict, never an ever-changing age. */
export interface CheckpointVerdict {
  readonly progressing: boolean;
  readonly reason: string;
  readonly message: string;
}

export interface CheckpointJudgement {
  readonly settings: CheckpointSettings;
  readonly stats: CheckpointStats;
  /** When the last completed checkpoint completed, on the supervisor's clock (checkpoint-watch.ts). */
  readonly completedAt: number | null;
  /** Since when the supervisor watches this job's checkpoints (or saw Flink's statistics begin anew). */
  readonly since: number;
  readonly now: number;
}

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;
const iso = (ms: number) => new Date(ms).toISOString();

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * The verdict of one read, or null while it is too early to tell (nothing completed since the
 * watch began, and neither the bound nor the failures say anything yet).
 */
export function judgeCheckpoints(j: CheckpointJudgement): CheckpointVerdict | null {
  const { stats, now } = j;
  const bound = stallBoundMs(j.settings, stats.lastCompleted?.durationMs ?? 0);
  const last = stats.lastCompleted;
  // Times as Flink's clock gives them (as its web UI shows them); ages on ours.
  const lastSaid = last ? `the last, ${last.id}, completed at ${iso(last.at)}` : 'none completed';
  const age = now - Math.max(j.completedAt ?? -Infinity, j.since);
  if (stats.failedSince >= FAILED_IN_A_ROW || age >= bound) {
    const failing = stats.failedSince > 0;
    const failure = stats.lastFailure ? `: ${oneLine(stats.lastFailure)}` : '';
    return {
      progressing: false,
      reason: failing ? CONDITION_REASONS.checkpointsFailing : CONDITION_REASONS.checkpointsStalled,
      message: failing
        ? `${stats.failedSince} checkpoint(s) failed in a row, none completed for ${seconds(age)}; ${lastSaid}${failure}`
        : `no checkpoint completed for ${seconds(age)} (bound ${seconds(bound)}); ${lastSaid}; ${stats.inProgress} in progress, ${stats.failedTotal} failed in all`,
    };
  }
  if (last && j.completedAt !== null && now - j.completedAt < bound) {
    return {
      progressing: true,
      reason: CONDITION_REASONS.checkpointsCompleting,
      message: `checkpoint ${last.id} completed at ${iso(last.at)} (${seconds(now - j.completedAt)} before this check); ${stats.failedTotal} failed in all; a stall is said after ${seconds(bound)} without one`,
    };
  }
  return null;
}

/** The verdict to keep: the previous one while the status and reason hold, so status is not rewritten. */
export function settleVerdict(
  previous: CheckpointVerdict | null,
  next: CheckpointVerdict,
): CheckpointVerdict {
  return previous && previous.progressing === next.progressing && previous.reason === next.reason
    ? previous
    : next;
}

export interface CheckpointNotice {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The Event a new verdict deserves: a Warning when checkpoints stop (or stop for a new reason), Normal when they resume. */
export function checkpointNotice(
  previous: CheckpointVerdict | null,
  next: CheckpointVerdict,
): CheckpointNotice | null {
  if (!next.progressing) {
    if (previous && !previous.progressing && previous.reason === next.reason) return null;
    return { type: 'Warning', reason: next.reason, message: next.message };
  }
  if (previous && !previous.progressing) {
    return { type: 'Normal', reason: CHECKPOINTS_RESUMED, message: next.message };
  }
  return null;
}

/**
 * When to read the statistics next. While checkpoints complete: every max(interval, 30 s), or when
 * the stall bound would run out if that comes first, so a stall is said within one poll of the
 * bound (the bound is at least interval + 10 s past the last completion a read saw, so reads stay
 * that far apart but for the one at a stall's deadline). While they do not: every
 * max(interval, 10 s), to say the recovery soon.
 */
export function nextCheckpointRead(input: {
  readonly settings: CheckpointSettings;
  readonly stats: CheckpointStats;
  readonly completedAt: number | null;
  readonly since: number;
  readonly progressing: boolean | null;
  readonly now: number;
}): number {
  const { settings, now } = input;
  if (input.progressing === false) return now + Math.max(settings.intervalMs, READ_RETRY_MS);
  const bound = stallBoundMs(settings, input.stats.lastCompleted?.durationMs ?? 0);
  const deadline = Math.max(input.completedAt ?? -Infinity, input.since) + bound;
  return Math.min(now + Math.max(settings.intervalMs, READ_CADENCE_MS), Math.max(deadline, now + 1));
}

/** The verdict a stored status carries (a new leader starts from it, and says nothing twice). */
export function storedCheckpointVerdict(
  status: Record<string, unknown> | undefined,
): CheckpointVerdict | null {
  const stored = storedConditions(status).find((c) => c.type === CONDITION_TYPES.checkpointsProgressing);
  if (!stored || (stored.status !== 'True' && stored.status !== 'False')) return null;
  return { progressing: stored.status === 'True', reason: stored.reason, message: stored.message };
}
