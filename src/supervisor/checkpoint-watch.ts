// The supervisor's watch on one FlinkJob's checkpoints: reads Flink's checkpoint statistics only when
// checkpoint-progress.ts says a read is due (never on every poll), keeps what it needs between reads,
// and hands the status report its verdict and the notices the Event a change deserves.
import type { CompletedSnapshot, FlinkJobObservation } from '../machines/observations.ts';
import {
  checkpointNotice,
  judgeCheckpoints,
  nextCheckpointRead,
  READ_RETRY_MS,
  settleVerdict,
  type CheckpointNotice,
  type CheckpointSettings,
  type CheckpointStats,
  type CheckpointVerdict,
} from './checkpoint-progress.ts';

/** Flink's answers, reduced (flink-gateway.ts); each throws when Flink does not answer. */
export interface CheckpointReader {
  /** The job's periodic checkpointing, or null when it has none. */
  config(jobId: string): Promise<CheckpointSettings | null>;
  stats(jobId: string): Promise<CheckpointStats>;
}

export interface CheckpointChange {
  /** The verdict (so the CheckpointsProgressing condition) changed: status is to be written. */
  readonly changed: boolean;
  readonly notice: CheckpointNotice | null;
}

interface JobWatch {
  readonly jobId: string;
  /** Since when this job's checkpoints are watched (or Flink's statistics began anew). */
  since: number;
  /** undefined until read; null: the job has no periodic checkpoints. */
  settings: CheckpointSettings | null | undefined;
  /**
   * The latest completed checkpoint the first read saw (undefined before it; null: none). Only a
   * later one proves checkpoints complete: the first read cannot tell a fresh one from a stale one.
   */
  firstSeenId: number | null | undefined;
  /** Whether a read saw a completed checkpoint (Flink's statistics forget them on a new JobManager). */
  sawCompleted: boolean;
  /**
   * The least (our read time - Flink's time of the latest completed checkpoint) seen: our clock
   * minus the JobManager's, plus the youngest age a read caught. Ages are measured with it, so a
   * JobManager clock off from ours can neither invent a stall nor hide one.
   */
  lagMs: number;
  nextReadAt: number;
}

const UNCHANGED: CheckpointChange = { changed: false, notice: null };

/** Flink states in which checkpoints are due: running, or restarting (a restart loop stops them too). */
const WATCHED_STATES: ReadonlySet<FlinkJobObservation> = new Set(['RUNNING', 'RESTARTING']);

export class CheckpointWatch {
  #verdict: CheckpointVerdict | null;
  #job: JobWatch | null = null;
  #latest: CompletedSnapshot | null = null;

  /** `stored`: the verdict the status carries now (storedCheckpointVerdict). */
  constructor(stored: CheckpointVerdict | null) {
    this.#verdict = stored;
  }

  /**
   * The newest completed checkpoint with a path a read of `jobId` saw (Flink's clock), or null
   * (another job is watched, or none was read). The job machine keeps it in status
   * (lastCheckpoint): what an upgrade restores when the JobManager is gone.
   */
  latestCheckpointOf(jobId: string | null): CompletedSnapshot | null {
    return jobId !== null && this.#job?.jobId === jobId ? this.#latest : null;
  }

  /** The CheckpointsProgressing condition to report; null: none (no job, or no periodic checkpoints). */
  get verdict(): CheckpointVerdict | null {
    return this.#verdict;
  }

  /**
   * One pass's look at the job the machine owns, as Flink lists it. Reads Flink only when due and
   * only while the job runs; a read that fails changes nothing and is tried again 10 s later.
   */
  async observe(
    jobId: string | null,
    flinkJob: FlinkJobObservation,
    now: number,
    reader: CheckpointReader,
  ): Promise<CheckpointChange> {
    if (jobId === null) {
      this.#job = null;
      this.#latest = null;
      return this.#say(null);
    }
    if (this.#job?.jobId !== jobId) {
      this.#latest = null;
      if (flinkJob !== 'RUNNING') return UNCHANGED;
      this.#job = {
        jobId,
        since: now,
        settings: undefined,
        firstSeenId: undefined,
        sawCompleted: false,
        lagMs: Infinity,
        nextReadAt: now,
      };
    }
    const job = this.#job;
    if (!WATCHED_STATES.has(flinkJob) || now < job.nextReadAt) return UNCHANGED;
    try {
      if (job.settings === undefined) job.settings = await reader.config(jobId);
      if (job.settings === null) {
        job.nextReadAt = Infinity; // no periodic checkpoints: nothing to watch for this job id
        return this.#say(null);
      }
      return this.#judge(job, job.settings, await reader.stats(jobId), now);
    } catch {
      job.nextReadAt = now + READ_RETRY_MS;
      return UNCHANGED;
    }
  }

  #judge(job: JobWatch, settings: CheckpointSettings, stats: CheckpointStats, now: number): CheckpointChange {
    const last = stats.lastCompleted;
    if (last?.path) this.#latest = { path: last.path, completedAt: last.at };
    if (last === null && job.sawCompleted) {
      // Flink's statistics began anew (a new JobManager, maybe with another clock): count again.
      job.since = now;
      job.lagMs = Infinity;
      job.firstSeenId = null;
    }
    if (job.firstSeenId === undefined) job.firstSeenId = last?.id ?? null;
    job.sawCompleted = last !== null;
    if (last) job.lagMs = Math.min(job.lagMs, now - last.at);
    // On our clock and never after this read: at worst a stall is said late by the youngest age a
    // read caught (under an interval while checkpoints complete), never early.
    const completedAt = last && last.id !== job.firstSeenId ? last.at + job.lagMs : null;
    const judged = judgeCheckpoints({ settings, stats, completedAt, since: job.since, now });
    const change = judged ? this.#say(judged) : UNCHANGED;
    const progressing = this.#verdict?.progressing ?? null;
    job.nextReadAt = nextCheckpointRead({ settings, stats, completedAt, since: job.since, progressing, now });
    return change;
  }

  #say(next: CheckpointVerdict | null): CheckpointChange {
    const previous = this.#verdict;
    if (next === null) {
      this.#verdict = null;
      return { changed: previous !== null, notice: null };
    }
    this.#verdict = settleVerdict(previous, next);
    return { changed: this.#verdict !== previous, notice: checkpointNotice(previous, next) };
  }
}
