import { withTimeout, type Clock } from '../kube/clock.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { FlinkJobObservation } from '../machines/observations.ts';
import { redactText } from '../observability/logger.ts';

// Flink's own word on why a job failed or restarted, for the FlinkJob's status (status.lastFailure)
// and one Event per failure: the newest entry of Flink's exception history and the job's restart
// count. Read only when a pass finds the job FAILING, RESTARTING or FAILED, once per such episode
// (two REST calls then; none while the job runs). A failure already in status (read by an earlier
// leader) is not said again: the time Flink gives the exception is its identity.

/** What status.lastFailure holds. */
export interface FlinkFailure {
  readonly jobId: string;
  /** The exception and its deepest cause, first lines only, credentials censored. */
  readonly exception: string;
  /** When Flink recorded it (RFC 3339). */
  readonly time: string;
  /** Flink's restart count of the job when it was read (numRestarts), when it could be read. */
  readonly restarts?: number;
}

/** The two reads, each bounded; undefined when Flink could not say. */
export interface FailureReads {
  rootException(jobId: string): Promise<{ readonly text: string; readonly at: number } | undefined>;
  restarts(jobId: string): Promise<number | undefined>;
}

const FAILURE_STATES: ReadonlySet<FlinkJobObservation> = new Set(['FAILING', 'RESTARTING', 'FAILED']);
const MAX_EXCEPTION = 1024;

/**
 * The exception line and its deepest `Caused by:` line: what a user needs to see first (the whole
 * trace stays in Flink's UI and the JobManager's log).
 */
export function summarizeException(stacktrace: string | undefined, name: string | undefined): string {
  const lines = (stacktrace ?? '').split('\n').map((l) => l.trim());
  const first = lines.find((l) => l !== '') ?? name ?? 'an exception without a message';
  const cause = [...lines].reverse().find((l) => l.startsWith('Caused by:'));
  const text = cause && !first.includes(cause.slice('Caused by: '.length)) ? `${first} (${cause})` : first;
  return redactText(text).slice(0, MAX_EXCEPTION);
}

/** The reads on a Flink REST client, each within `timeoutMs`. */
export function flinkFailureReads(client: FlinkRestClient, timeoutMs: number, clock: Clock): FailureReads {
  return {
    async rootException(jobId) {
      try {
        const history = await withTimeout(clock, timeoutMs, (signal) =>
          client.getJobExceptions(jobId, { maxExceptions: 1, signal }),
        );
        const root = history.entries[0];
        if (!root) return undefined;
        return { text: summarizeException(root.stacktrace, root.exceptionName), at: root.timestamp ?? 0 };
      } catch {
        return undefined;
      }
    },
    async restarts(jobId) {
      try {
        const metrics = await withTimeout(clock, timeoutMs, (signal) =>
          client.getJobMetrics(jobId, ['numRestarts'], { signal }),
        );
        const value = Number(metrics.find((m) => m.id === 'numRestarts')?.value);
        return Number.isFinite(value) ? value : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** One job's failures as its supervisor has seen them. */
export class FailureWatch {
  #last: FlinkFailure | null;
  /** The job id and state of the episode already read (a job stuck RESTARTING is read once). */
  #episode: string | null = null;

  /** Seeded from status.lastFailure, so that a new leader does not say an old failure again. */
  constructor(stored: unknown) {
    this.#last = parseStored(stored);
  }

  get last(): FlinkFailure | null {
    return this.#last;
  }

  /**
   * After an observation of Flink job `jobId` in `state`: the new failure to record and say, if one
   * was read. Never throws (a read that fails is tried again at the next episode).
   */
  async observe(
    jobId: string | null,
    state: FlinkJobObservation,
    reads: FailureReads,
  ): Promise<FlinkFailure | undefined> {
    if (!jobId || !FAILURE_STATES.has(state)) {
      this.#episode = null;
      return undefined;
    }
    const episode = `${jobId}/${state}`;
    if (this.#episode === episode) return undefined;
    this.#episode = episode;
    const root = await reads.rootException(jobId);
    if (!root) return undefined;
    const time = new Date(root.at).toISOString();
    if (this.#last?.jobId === jobId && this.#last.time === time) return undefined;
    const restarts = await reads.restarts(jobId);
    this.#last = { jobId, exception: root.text, time, ...(restarts === undefined ? {} : { restarts }) };
    return this.#last;
  }
}

function parseStored(stored: unknown): FlinkFailure | null {
  if (typeof stored !== 'object' || stored === null) return null;
  const s = stored as Record<string, unknown>;
  if (typeof s['jobId'] !== 'string' || typeof s['exception'] !== 'string' || typeof s['time'] !== 'string')
    return null;
  return {
    jobId: s['jobId'],
    exception: s['exception'],
    time: s['time'],
    ...(typeof s['restarts'] === 'number' ? { restarts: s['restarts'] } : {}),
  };
}
