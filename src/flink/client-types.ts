// The client's call options and results: what callers of FlinkRestClient pass and get back.
import type { FlinkId } from './ids.ts';
import type { FlinkTransportOptions } from './http-transport.ts';

export interface FlinkRestClientOptions extends FlinkTransportOptions {
  /** The Flink version, when known, spares the `GET /config` probe (e.g. `1.20.5`). */
  readonly flinkVersion?: string;
  /** The whole-attempt clock of a jar upload (default 10 minutes). */
  readonly uploadTimeoutMs?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface UploadJarOptions extends CallOptions {
  /** The name Flink records (default: the file's name); must end with `.jar`. */
  readonly fileName?: string;
}

export interface UploadedJar {
  /** The id for run and delete: `<uuid>_<file name>`. */
  readonly jarId: string;
  /** Where the JobManager stored it. */
  readonly path: string;
}

export type RunJarOutcome =
  /** Flink accepted the submission now. */
  | 'submitted'
  /** A job (2.3: application) with this id was already submitted to this cluster; nothing new started. */
  | 'already-submitted';

export interface RunJarResult {
  readonly jobId: FlinkId;
  readonly outcome: RunJarOutcome;
  /** 2.3+: the application the run created. */
  readonly applicationId?: FlinkId;
}

/**
 * `cancellation-requested`: Flink accepted the cancel (also its answer for a job already CANCELED);
 * `already-terminal`: the job had ended otherwise (FINISHED, FAILED), so there is nothing to cancel.
 */
export type CancelOutcome = 'cancellation-requested' | 'already-terminal';
export type DeleteJarOutcome = 'deleted' | 'not-found';

export interface TriggeredOperation {
  /** The trigger id to poll; Flink answers with the caller's own id (checked on 1.20 and 2.3). */
  readonly triggerId: FlinkId;
}

export interface FlinkException {
  readonly exceptionName: string | undefined;
  readonly stacktrace: string | undefined;
  readonly timestamp: number | undefined;
  readonly taskName: string | undefined;
  /** `host:port` of the TaskManager: `endpoint` (1.19+), else the older `location`. */
  readonly endpoint: string | undefined;
  readonly taskManagerId: string | undefined;
  readonly failureLabels: Readonly<Record<string, string>>;
}

export interface FlinkRootException extends FlinkException {
  readonly concurrentExceptions: readonly FlinkException[];
}

export interface JobExceptions {
  /** Newest first; from `exceptionHistory` (the only form left in 2.0+). */
  readonly entries: readonly FlinkRootException[];
  readonly truncated: boolean;
}

export interface AggregatedMetricsQuery {
  readonly metrics: readonly string[];
  readonly aggregations?: readonly ('min' | 'max' | 'sum' | 'avg' | 'skew')[];
  readonly taskManagers?: readonly string[];
}
