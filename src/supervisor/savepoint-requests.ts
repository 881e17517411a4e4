// A FlinkSavepoint a user creates (`spec.jobName` only) is a request for a savepoint (ADR 0015).
// It goes the way of the TRIGGER_SAVEPOINT annotation, so the job machine decides as for any manual
// savepoint: the request is stamped (status.requestTimestamp, written first), the annotation is
// set with that stamp as its identity, and once the machine has the manual savepoint in flight the
// request adopts its trigger id and becomes its record. Every step is decided again from what is
// stored, and a stamp seen twice is taken once by the machine, so a crash repeats nothing.

import { savepointResourceName } from '../api/names.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import type { JobContext } from '../machines/job-machine.ts';
import { stateOf, triggerIdOf } from './savepoint-records.ts';

export type RequestStep =
  | { readonly kind: 'stamp'; readonly name: string }
  | { readonly kind: 'annotate'; readonly name: string; readonly at: number }
  | {
      readonly kind: 'adopt';
      readonly name: string;
      readonly triggerId: string;
      readonly jobId: string | null;
    }
  | { readonly kind: 'fail'; readonly name: string; readonly message: string }
  | { readonly kind: 'wait' };

type RequestContext = Pick<JobContext, 'savepoint' | 'jobId' | 'lastAction' | 'pendingAction'>;

const stampOf = (o: CustomObject): number | undefined => {
  const value = o.status?.['requestTimestamp'];
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
};

const byAge = (a: CustomObject, b: CustomObject) =>
  String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')) ||
  String(a.metadata.name).localeCompare(String(b.metadata.name));

/** The requests of a job: objects without a trigger id that are not settled yet, oldest first. */
export function openRequests(objects: readonly CustomObject[]): CustomObject[] {
  return objects
    .filter((o) => triggerIdOf(o) === undefined && (stateOf(o) === undefined || stateOf(o) === 'Pending'))
    .sort(byAge);
}

/**
 * The next step for the oldest open request; one request at a time. `annotationFree`: the job has
 * no requested action waiting (a user's own annotation is never overwritten).
 */
export function nextRequestStep(
  jobName: string,
  objects: readonly CustomObject[],
  context: RequestContext,
  annotationFree: boolean,
): RequestStep {
  const request = openRequests(objects)[0];
  if (!request) return { kind: 'wait' };
  const name = request.metadata.name ?? '';
  const stamp = stampOf(request);
  const flight = context.savepoint;
  if (stamp !== undefined && flight?.kind === 'manual') {
    const claimed = objects.some(
      (o) =>
        triggerIdOf(o) === flight.triggerId ||
        o.metadata.name === savepointResourceName(jobName, flight.triggerId),
    );
    if (!claimed) return { kind: 'adopt', name, triggerId: flight.triggerId, jobId: context.jobId };
  }
  if (stamp === undefined) return { kind: 'stamp', name };
  const last = context.lastAction;
  if (last?.requestedAt === stamp && last.action === 'TRIGGER_SAVEPOINT' && last.outcome === 'rejected')
    return { kind: 'fail', name, message: `the supervisor refused the savepoint: ${last.reason}` };
  const taken = last?.requestedAt === stamp || context.pendingAction?.requestedAt === stamp;
  if (!taken && annotationFree) return { kind: 'annotate', name, at: stamp };
  return { kind: 'wait' };
}
