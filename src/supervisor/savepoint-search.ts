// The Job that looks for a savepoint's files when Flink forgot its answer (docs/adr/0023-savepoint-search.md).
// Like the storage cleanup (ADR 0012), it runs the supervisor's image as the Flink pods'
// ServiceAccount and with their storage credentials, so the supervisor itself never reads a Secret
// or holds storage credentials; it reports what it found in its termination message, which the
// supervisor reads from the pod's status.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { FLINK_JOB, LABELS, savepointSearchJobName } from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import type { Clock } from '../kube/clock.ts';
import { parseSearchReport, type FoundSavepoint } from '../storage/savepoint-search.ts';
import { parseS3Uri, S3UriError } from '../storage/s3-uri.ts';
import type { OwnedObjectWriter } from './owned-objects.ts';
import { clusterLabels } from './resource-builders.ts';
import type { SavepointSearches } from './savepoint-history.ts';
import { storageToolJob } from './storage-tool-job.ts';

/** Where the search writes its report; Kubernetes' default terminationMessagePath. */
export const SEARCH_REPORT_PATH = '/dev/termination-log';
/** A finished search Job goes after this long even if no supervisor reads it (it can run again). */
const FINISHED_TTL_SECONDS = 600;
const SEARCH_BACKOFF_LIMIT = 2;
/**
 * The search takes savepoints written up to this long before the trigger was recorded: the record's
 * time is the supervisor's clock, the files' the object store's, and the two may differ by minutes
 * (the simulator skews a supervisor's clock by up to 5). A wider window costs nothing in safety:
 * every trigger has its record before Flink is asked, so an unrecorded savepoint of the same Flink
 * job (its id is in the directory's name) is lost files either way.
 */
export const SEARCH_CLOCK_MARGIN_MS = 600_000;

/** What one search looks for (persisted in the record's `status.search` before the Job is made). */
export interface SearchRequest {
  /** The FlinkSavepoint it is for. */
  readonly savepointName: string;
  /** The job's savepoint target directory (an S3 URI). */
  readonly directory: string;
  readonly jobId: string;
  /** ISO time: savepoints whose `_metadata` is older are not this trigger's. */
  readonly since: string;
}

/** Whether the files of a savepoint under `directory` can be searched for: S3 storage only. */
export function searchable(directory: string | null | undefined): directory is string {
  if (!directory) return false;
  try {
    parseS3Uri(directory);
    return true;
  } catch (err) {
    if (err instanceof S3UriError) return false;
    throw err;
  }
}

/**
 * The Job `spsearch-…`: lists the target directory for the job's savepoints written since the
 * trigger. Retries twice within taskTimeout; owned by the FlinkJob (the garbage collector removes it
 * with the job) and removed by its TTL once finished.
 */
export function savepointSearchJob(cluster: FlinkCluster, job: FlinkJob, request: SearchRequest): V1Job {
  return storageToolJob(cluster, {
    name: savepointSearchJobName(request.savepointName),
    labels: {
      ...clusterLabels(cluster.metadata.name ?? '', 'savepoint-search'),
      [LABELS.job]: job.metadata.name ?? '',
    },
    owner: ownerReference(FLINK_JOB, job),
    container: 'search',
    command: [
      'find-savepoints',
      `--directory=${request.directory}`,
      `--job-id=${request.jobId}`,
      `--since=${request.since}`,
      `--report=${SEARCH_REPORT_PATH}`,
    ],
    backoffLimit: SEARCH_BACKOFF_LIMIT,
    ttlSecondsAfterFinished: FINISHED_TTL_SECONDS,
    // A failure's message is the end of its log (the S3 error), read into the record's.
    report: { terminationMessagePath: SEARCH_REPORT_PATH, terminationMessagePolicy: 'FallbackToLogsOnError' },
  });
}

/** What the supervisor knows of one search. */
export type SearchObservation =
  | { readonly state: 'absent' }
  | { readonly state: 'running' }
  /** A Job left by an earlier search of the record, for another `since`: removed, then made again. */
  | { readonly state: 'stale' }
  | { readonly state: 'found'; readonly savepoints: readonly FoundSavepoint[] }
  | { readonly state: 'failed'; readonly message: string };

/**
 * How long a succeeded search may go without its pod's report in view, on this supervisor's
 * monotonic clock:
 * the pods' watch may show the pod after the Jobs' watch showed the Job succeeded. Not measured from
 * the Job's completionTime: that is the API server's clock, and a supervisor's may be ahead.
 */
export const REPORT_LAG_MS = 30_000;

/** The termination messages of the search Job's pods in `phase`. */
function messagesOf(name: string, pods: readonly V1Pod[], phase: 'Succeeded' | 'Failed'): string[] {
  return pods
    .filter((pod) => {
      const labels = pod.metadata?.labels ?? {};
      const ours = labels['job-name'] === name || labels['batch.kubernetes.io/job-name'] === name;
      return ours && pod.status?.phase === phase;
    })
    .map((pod) => pod.status?.containerStatuses?.find((c) => c.name === 'search')?.state?.terminated?.message)
    .filter((m): m is string => typeof m === 'string' && m !== '');
}

/** The `--since` a search Job was made with. */
function sinceOf(job: V1Job): string | undefined {
  const container = job.spec?.template.spec?.containers.find((c) => c.name === 'search');
  const prefix = '--since=';
  return [...(container?.command ?? []), ...(container?.args ?? [])]
    .find((a) => a.startsWith(prefix))
    ?.slice(prefix.length);
}

/** The report of a search Job's pod that succeeded; undefined while none is in view. */
function reportOf(name: string, pods: readonly V1Pod[]): readonly FoundSavepoint[] | undefined {
  for (const message of messagesOf(name, pods, 'Succeeded')) {
    const report = parseSearchReport(message);
    if (report) return report.savepoints;
  }
  return undefined;
}

/**
 * The search Jobs' outcomes as one supervisor sees them: a pod that succeeded reports the
 * savepoints in its termination message. A Job that succeeded is read once its pod is in view; one
 * whose report stays out of view for REPORT_LAG_MS (its pod deleted, a kubelet that keeps no
 * termination message) failed, and says so.
 */
export class SavepointSearchReader {
  /** When this supervisor first saw each succeeded Job without its report. */
  readonly #unreportedSince = new Map<string, number>();

  read(
    name: string,
    job: V1Job | undefined,
    pods: readonly V1Pod[],
    now: number,
    since?: string,
  ): SearchObservation {
    if (!job || job.metadata?.labels?.[LABELS.role] !== 'savepoint-search') {
      this.#unreportedSince.delete(name);
      return { state: 'absent' };
    }
    if (job.metadata.deletionTimestamp) return { state: 'running' };
    // A Job of an earlier search of the same record (its trigger was sent again since, and Flink
    // forgot it again): its report predates the savepoint looked for now (K20, seed 1015510).
    if (since !== undefined && sinceOf(job) !== since) {
      this.#unreportedSince.delete(name);
      return { state: 'stale' };
    }
    const status = job.status;
    if ((status?.succeeded ?? 0) > 0) {
      const savepoints = reportOf(name, pods);
      if (savepoints) {
        this.#unreportedSince.delete(name);
        return { state: 'found', savepoints };
      }
      const since = Math.min(this.#unreportedSince.get(name) ?? now, now);
      this.#unreportedSince.set(name, since);
      if (now - since < REPORT_LAG_MS) return { state: 'running' };
      this.#unreportedSince.delete(name);
      return { state: 'failed', message: "the search succeeded but its pod's report could not be read" };
    }
    const failed = status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failed) {
      // The end of the last failed run's log (FallbackToLogsOnError): the S3 error, say.
      const said = messagesOf(name, pods, 'Failed').at(-1)?.trim().split('\n').at(-1)?.slice(0, 300);
      return {
        state: 'failed',
        message: `the search Job failed (${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''})${said ? `: ${said}` : ''}; its pod's logs say more`,
      };
    }
    return { state: 'running' };
  }
}

/** What running a job's search Jobs needs of the supervisor. */
export interface SavepointSearchDeps {
  readonly clusterName: string;
  readonly clock: Clock;
  readonly searchReader: SavepointSearchReader;
  /** A batch Job of the cluster, by name, as the watch cache holds it. */
  readonly batchJob: (name: string) => V1Job | undefined;
  readonly pods: () => readonly V1Pod[];
  readonly objects: Pick<OwnedObjectWriter, 'createJob' | 'deleteJob'>;
  readonly log: Pick<Logger, 'info'>;
}

/** The Jobs that look for a forgotten savepoint's files (ADR 0023), for one job of the cluster. */
export function savepointSearches(
  deps: SavepointSearchDeps,
  cluster: FlinkCluster,
  job: FlinkJob,
  directory: string | null,
): SavepointSearches {
  return {
    directory,
    // The report's lag is measured on the monotonic clock: a wall clock stepped forward took it for
    // passed at once, and a search whose pod the lagging watch did not show yet failed (K20, seed 1012773).
    observe: (name, since) =>
      deps.searchReader.read(
        name,
        deps.batchJob(name),
        deps.pods(),
        deps.clock.monotonic?.() ?? deps.clock.now(),
        since,
      ),
    start: async (request) => {
      if ((await deps.objects.createJob(savepointSearchJob(cluster, job, request))) === 'created')
        deps.log.info(
          { cluster: deps.clusterName, savepoint: request.savepointName, directory: request.directory },
          'savepoint search started: Flink forgot the trigger',
        );
    },
    finish: (name) => deps.objects.deleteJob(name),
  };
}
