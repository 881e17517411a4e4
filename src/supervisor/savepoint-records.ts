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
 * answer wins; without one (it forgets triggers after minutes and on restart), the machine's latest
 * savepoint path is this one's when no other record claims it; otherwise it never completed.
 * `null`: still in progress on Flink's side (the machine gave up waiting, Flink may still finish),
 * or Flink could not be asked this time.
 */
export function resolvedStatus(
  verdict: FlinkVerdict,
  latest: { readonly path: string | null; readonly at: number | null },
  requestedAt: number | undefined,
  claimedPaths: ReadonlySet<string>,
  completedAt: string,
): Record<string, unknown> | null {
  if (verdict.state === 'IN_PROGRESS') return null;
  if (verdict.state === 'COMPLETED')
    return { state: 'Completed', path: verdict.location, completionTimestamp: completedAt };
  if (verdict.state === 'FAILED') return { state: 'Failed', message: verdict.message.slice(0, 4096) };
  // A latest savepoint recorded before this one was requested (an older one, or one from before
  // the records existed) is not its outcome.
  const recordedSince = requestedAt === undefined || latest.at === null || latest.at >= requestedAt;
  const latestPath = latest.path;
  if (latestPath && recordedSince && !claimedPaths.has(latestPath))
    return { state: 'Completed', path: latestPath, completionTimestamp: completedAt };
  // Flink may still know: asked again next pass. A savepoint the machine abandoned because Flink
  // did not answer is often completed meanwhile; abandoning its record then lost it (K2).
  if (verdict.state === 'UNREACHABLE') return null;
  return {
    state: 'Abandoned',
    // Flink keeps trigger answers in memory only: after a JobManager restart it cannot say whether
    // the savepoint completed before (its files would then be in the target directory, unnamed).
    message:
      'the savepoint did not complete in time or failed, or Flink forgot it (a JobManager restart) before its answer was read; the FlinkJob events say why',
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
