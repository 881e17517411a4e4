// What the FlinkSavepoint objects of a job should say, derived from its job machine's context
// (ADR 0015). Pure: savepoint-history.ts reads and writes the objects.
//
// The machine fixes (and persists, write-ahead) a trigger id before it triggers a savepoint, and
// records the path once it completes. The object of a trigger is named from the job and the
// trigger id, so whatever instant a supervisor crashes at, the next one finds the same name.

import type { FlinkJob } from '../api/flink-job.ts';
import { savepointsOfJob, type SavepointKind, type SavepointState } from '../api/flink-savepoint.ts';
import {
  API_GROUP_VERSION,
  FLINK_JOB,
  FLINK_SAVEPOINT,
  LABELS,
  MANAGED_BY,
  savepointResourceName,
} from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import type { JobContext } from '../machines/job-machine.ts';
import type { SavepointRecord } from './savepoint-retention.ts';
import type { SearchObservation } from './savepoint-search.ts';

/** A savepoint the machine has a trigger id for and no outcome yet. */
export interface SavepointInFlight {
  readonly triggerId: string;
  readonly kind: SavepointKind;
  readonly jobId: string | null;
}

type SavepointContext = Pick<JobContext, 'savepoint' | 'stop' | 'jobId'>;

/** The savepoint in flight (periodic or manual) and the stop-with-savepoint in flight, if any. */
export function savepointsInFlight(context: SavepointContext): SavepointInFlight[] {
  const out: SavepointInFlight[] = [];
  if (context.savepoint)
    out.push({ triggerId: context.savepoint.triggerId, kind: context.savepoint.kind, jobId: context.jobId });
  const stop = context.stop;
  if (stop?.triggerId && stop.savepointOutcome === 'Unread') {
    const upgrade = stop.restart && (stop.reason === 'SpecChanged' || stop.reason === 'Rescale');
    const kind: SavepointKind = stop.delete ? 'deletion' : upgrade ? 'upgrade' : 'stop';
    out.push({ triggerId: stop.triggerId, kind, jobId: context.jobId });
  }
  return out;
}

export function triggerIdOf(o: CustomObject): string | undefined {
  const fromStatus = o.status?.['triggerId'];
  if (typeof fromStatus === 'string' && fromStatus) return fromStatus;
  const fromSpec = o.spec?.['triggerId'];
  return typeof fromSpec === 'string' && fromSpec ? fromSpec : undefined;
}

export function stateOf(o: CustomObject): SavepointState | undefined {
  return o.status?.['state'] as SavepointState | undefined;
}

/**
 * Trigger ids of the savepoints of Flink job `jobId` whose records are still Pending: the one in
 * flight, and any the machine stopped waiting for whose outcome Flink has not given yet.
 */
export function pendingTriggersOf(
  objects: readonly CustomObject[],
  jobName: string,
  jobId: string,
): string[] {
  return savepointsOfJob(objects, jobName)
    .filter((o) => stateOf(o) === 'Pending' && o.status?.['jobId'] === jobId)
    .map(triggerIdOf)
    .filter((id): id is string => id !== undefined);
}

function epochOf(value: unknown): number | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** A disposal was attempted or is waiting; a refused request (Failed, no attempt) is not one. */
function disposalBegun(disposal: unknown): boolean {
  if (typeof disposal !== 'object' || disposal === null) return false;
  const { state, attempts } = disposal as { state?: unknown; attempts?: unknown };
  return state === 'Pending' || (typeof attempts === 'number' && attempts > 0);
}

/** The object as the retention plan reads it. */
export function recordOf(o: CustomObject): SavepointRecord {
  const state = stateOf(o);
  const status = o.status ?? {};
  const at =
    (state === 'Completed' ? epochOf(status['completionTimestamp']) : undefined) ??
    epochOf(status['requestTimestamp']) ??
    epochOf(o.metadata.creationTimestamp) ??
    0;
  const path = status['path'];
  return {
    name: o.metadata.name ?? '',
    kind: (o.spec?.['kind'] as SavepointKind | undefined) ?? 'manual',
    state,
    path: typeof path === 'string' && path ? path : undefined,
    at,
    disposeRequested: o.spec?.['dispose'] === true,
    disposing: disposalBegun(status['disposal']),
    released: !(o.metadata.ownerReferences ?? []).some((r) => r.kind === FLINK_JOB.kind),
  };
}

/** The new FlinkSavepoint of a trigger: labelled like the job's other objects, owned by the FlinkJob. */
export function savepointObject(job: FlinkJob, clusterName: string, flight: SavepointInFlight): CustomObject {
  const jobName = job.metadata.name ?? '';
  return {
    apiVersion: API_GROUP_VERSION,
    kind: FLINK_SAVEPOINT.kind,
    metadata: {
      name: savepointResourceName(jobName, flight.triggerId),
      labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.cluster]: clusterName, [LABELS.job]: jobName },
      ownerReferences: [ownerReference(FLINK_JOB, job)],
    },
    spec: { jobName, kind: flight.kind, formatType: 'canonical', triggerId: flight.triggerId },
  };
}

/** The status of a trigger in flight. */
export function pendingStatus(flight: SavepointInFlight, requestedAt: string): Record<string, unknown> {
  return {
    state: 'Pending',
    triggerId: flight.triggerId,
    ...(flight.jobId ? { jobId: flight.jobId } : {}),
    requestTimestamp: requestedAt,
  };
}

/** What Flink (when it still remembers the trigger) said of a savepoint no longer in flight. */
export type FlinkVerdict =
  | { readonly state: 'COMPLETED'; readonly location: string }
  | { readonly state: 'FAILED'; readonly message: string }
  | { readonly state: 'IN_PROGRESS' }
  /** Flink does not know the trigger (404): it never saw it, or forgot it (minutes later, or a restart). */
  | { readonly state: 'UNKNOWN' }
  /** Flink could not be asked (unreachable, timed out, 5xx): it may still know. */
  | { readonly state: 'UNREACHABLE' };

/**
 * The outcome of a Pending record whose trigger the machine no longer has in flight. Flink's own
 * answer wins; without one (it forgets triggers after minutes and on restart, or does not answer),
 * the machine's latest savepoint path is this one's only when the machine recorded it for this
 * trigger id: a path of another trigger (a stop-with-savepoint completed after this one while
 * Flink answered 5xx) would leave this savepoint's own files named by no record (K16).
 * `null`: still in progress on Flink's side (the machine gave up waiting, Flink may still finish),
 * or Flink could not be asked this time.
 */
export function resolvedStatus(
  verdict: FlinkVerdict,
  triggerId: string,
  latest: { readonly path: string | null; readonly triggerId: string | null },
  completedAt: string,
  searchIn?: SearchPlace,
): Record<string, unknown> | null {
  if (verdict.state === 'IN_PROGRESS') return null;
  if (verdict.state === 'COMPLETED')
    return { state: 'Completed', path: verdict.location, completionTimestamp: completedAt };
  if (verdict.state === 'FAILED') return { state: 'Failed', message: verdict.message.slice(0, 4096) };
  if (latest.path && latest.triggerId === triggerId)
    return { state: 'Completed', path: latest.path, completionTimestamp: completedAt };
  // Flink may still know: asked again next pass. A savepoint the machine abandoned because Flink
  // did not answer is often completed meanwhile; abandoning its record then lost it (K2).
  if (verdict.state === 'UNREACHABLE') return null;
  // Flink forgot the trigger (a JobManager restart without HA): the savepoint may have completed
  // before, and then its files are in the target directory, named by nothing else. Looked for
  // there (ADR 0023); the search is recorded before its Job is made (write-ahead), the record
  // stays Pending meanwhile.
  if (searchIn) return { search: { state: 'Pending', ...searchIn } };
  return {
    state: 'Abandoned',
    // Flink keeps trigger answers in memory only: after a JobManager restart it cannot say whether
    // the savepoint completed before (its files would then be in the target directory, unnamed).
    message:
      'the savepoint did not complete in time or failed, or Flink forgot it (a JobManager restart) before its answer was read; the FlinkJob events say why',
  };
}

/** Where the files of a forgotten savepoint may be: its job's target directory, written since `since`. */
export interface SearchPlace {
  readonly directory: string;
  readonly jobId: string;
  readonly since: string;
}

/** A record's `status.search` while its files are being looked for. */
export function pendingSearchOf(o: CustomObject): SearchPlace | undefined {
  const search = o.status?.['search'] as Record<string, unknown> | undefined | null;
  if (search?.['state'] !== 'Pending') return undefined;
  const { directory, jobId, since } = search;
  if (typeof directory !== 'string' || typeof jobId !== 'string' || typeof since !== 'string')
    return undefined;
  return { directory, jobId, since };
}

/**
 * The outcome of a record whose files were looked for (`null` while the search runs). The oldest
 * savepoint found that no other record claims is this one's: every trigger has its record before
 * Flink is asked, so a savepoint of the job written since this one was requested and recorded
 * nowhere is this trigger's, or one of another lost trigger, which its own search finds next.
 */
export function searchedStatus(
  observation: SearchObservation,
  claimedPaths: ReadonlySet<string>,
  place: SearchPlace,
): Record<string, unknown> | null {
  if (observation.state === 'absent' || observation.state === 'running' || observation.state === 'stale')
    return null;
  if (observation.state === 'failed')
    return {
      state: 'Abandoned',
      message:
        `Flink forgot the trigger (a JobManager restart) and the files in ${place.directory} could not be searched: ${observation.message}`.slice(
          0,
          4096,
        ),
      search: { state: 'Failed', message: observation.message.slice(0, 1024) },
    };
  const found = observation.savepoints.find((s) => !claimedPaths.has(s.path));
  if (found)
    return {
      state: 'Completed',
      path: found.path,
      completionTimestamp: found.completedAt,
      message: 'Flink forgot the trigger (a JobManager restart); the savepoint was found in storage',
      search: { state: 'Found' },
    };
  return {
    state: 'Abandoned',
    message: `Flink forgot the trigger (a JobManager restart) and no unrecorded savepoint of the job written since it was requested is in ${place.directory}: it did not complete`,
    search: { state: 'NotFound' },
  };
}

/** Whether every key of `wanted` already has that value in `current` (shallow, JSON-equal). */
export function agrees(
  current: Record<string, unknown> | undefined,
  wanted: Record<string, unknown>,
): boolean {
  return Object.entries(wanted).every(
    ([key, value]) => JSON.stringify(current?.[key] ?? null) === JSON.stringify(value ?? null),
  );
}
