import { ANNOTATIONS, jobNameInCluster, parseRequestedAction, requestAnnotationKeys } from '../api/names.ts';
import { actionStampTime, isSaneActionTime } from '../api/action-time.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';

// What the read routes answer: plain JSON objects built from the stored resources. The
// persisted state machine (status.machine) is not echoed — it is the supervisor's own format —
// but the two things clients need from it are: the action the supervisor holds (pendingAction)
// and the outcome of the last one (lastAction), so `--wait` can tell accepted from rejected.

/** An action request still in the annotations: the supervisor has not taken it yet. */
export interface RequestedActionView {
  readonly action: string;
  readonly withoutSavepoint: boolean;
  readonly requestedAt: number | null;
}

export interface ActionOutcomeView {
  readonly action: string;
  readonly withoutSavepoint: boolean;
  readonly requestedAt: number;
  readonly outcome?: 'accepted' | 'rejected';
  readonly reason?: string;
  readonly at?: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function machineContext(obj: CustomObject): Record<string, unknown> | undefined {
  return record(record(obj.status?.['machine'])?.['context']);
}

function actionOf(value: unknown): ActionOutcomeView | undefined {
  const v = record(value);
  if (!v || typeof v['action'] !== 'string' || typeof v['requestedAt'] !== 'number') return undefined;
  return {
    action: v['action'],
    withoutSavepoint: v['withoutSavepoint'] === true,
    requestedAt: v['requestedAt'],
    ...(v['outcome'] === 'accepted' || v['outcome'] === 'rejected' ? { outcome: v['outcome'] } : {}),
    ...(typeof v['reason'] === 'string' ? { reason: v['reason'] } : {}),
    ...(typeof v['at'] === 'number' ? { at: v['at'] } : {}),
  };
}

/** The action the annotations ask for and the supervisor has not taken yet, if any. */
export function requestedActionOf(obj: CustomObject): RequestedActionView | undefined {
  const annotations = obj.metadata.annotations ?? {};
  const keys = requestAnnotationKeys(annotations);
  const value = annotations[keys.requestedAction];
  const action = parseRequestedAction(value);
  if (action === undefined) return undefined;
  return {
    action: action === 'invalid' ? (value ?? '') : action,
    withoutSavepoint: (annotations[keys.withoutSavepoint] ?? '').toLowerCase() === 'true',
    // `<ms>` as users and the API stamp it, `<ms>:<ACTION>` as the supervisor does.
    requestedAt: actionStampTime(annotations[ANNOTATIONS.actionTimestamp]),
  };
}

/**
 * The request in the annotations, unless the supervisor has already recorded it in status (as its
 * pending or last action) and only the clearing of the annotations is still to come: a request
 * the supervisor took is no longer waiting, so a new one may take its place (ADR 0006).
 */
export function untakenRequestOf(obj: CustomObject): RequestedActionView | undefined {
  const requested = requestedActionOf(obj);
  if (!requested || requested.requestedAt === null) return requested;
  // This very request (its stamp and action), not any later time: a request stamped by a clock
  // behind the previous stamp is not taken until the supervisor records it (the simulator's K1).
  const isThis = (seen: ActionOutcomeView | undefined) =>
    seen?.requestedAt === requested.requestedAt && seen.action === requested.action;
  const taken = isThis(pendingActionOf(obj)) || isThis(lastActionOf(obj)) || isThis(previousActionOf(obj));
  return taken ? undefined : requested;
}

export function pendingActionOf(obj: CustomObject): ActionOutcomeView | undefined {
  return actionOf(machineContext(obj)?.['pendingAction']);
}

export function lastActionOf(obj: CustomObject): ActionOutcomeView | undefined {
  return actionOf(machineContext(obj)?.['lastAction']);
}

/** The request last rejected as superseded by a newer one (which may hold lastAction). */
export function previousActionOf(obj: CustomObject): ActionOutcomeView | undefined {
  return actionOf(machineContext(obj)?.['previousAction']);
}

/**
 * The action timestamp of a new request: now, but always later than any request the supervisor
 * has seen for this resource. The supervisor ignores a request whose timestamp is not newer than
 * the last one it took (it is how a request seen twice is taken once), so a clock behind the one
 * that stamped the previous request must not make a new request look old.
 */
export function nextActionTimestamp(now: number, obj: CustomObject): number {
  const seen = [lastActionOf(obj)?.requestedAt, pendingActionOf(obj)?.requestedAt].filter(
    (t): t is number => typeof t === 'number' && isSaneActionTime(t, now),
  );
  return Math.max(Math.floor(now), ...seen.map((t) => t + 1));
}

/** GET …/status: the status without the machine snapshot, plus the action views. */
export function statusView(obj: CustomObject): Record<string, unknown> {
  const { machine: _machine, ...status } = obj.status ?? {};
  const requested = requestedActionOf(obj);
  const pending = pendingActionOf(obj);
  const last = lastActionOf(obj);
  const superseded = previousActionOf(obj);
  return {
    ...status,
    ...(requested ? { requestedAction: requested } : {}),
    ...(pending ? { pendingAction: pending } : {}),
    ...(last ? { lastAction: last } : {}),
    ...(superseded ? { previousAction: superseded } : {}),
  };
}

function pick(status: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (status?.[key] !== undefined) out[key] = status[key];
  return out;
}

function deleting(obj: CustomObject): Record<string, unknown> {
  return obj.metadata.deletionTimestamp ? { deleting: true } : {};
}

/** The status of the Ready condition (True, False, Unknown), the READY column of `kubectl get fd`. */
function readyOf(obj: CustomObject): Record<string, unknown> {
  const conditions = Array.isArray(obj.status?.['conditions']) ? (obj.status['conditions'] as unknown[]) : [];
  const ready = conditions.map(record).find((c) => c?.['type'] === 'Ready')?.['status'];
  return typeof ready === 'string' ? { ready } : {};
}

export function deploymentSummary(obj: CustomObject): Record<string, unknown> {
  const jobs = Array.isArray(obj.spec?.['jobs'])
    ? (obj.spec['jobs'] as { name?: unknown }[]).map((j) => String(j.name ?? ''))
    : [];
  return {
    name: obj.metadata.name ?? '',
    ...pick(obj.status, ['resourceStatus', 'paused']),
    ...readyOf(obj),
    jobs,
    ...deleting(obj),
    created: obj.metadata.creationTimestamp ?? null,
  };
}

export function clusterSummary(obj: CustomObject): Record<string, unknown> {
  return {
    name: obj.metadata.name ?? '',
    ...pick(obj.status, [
      'supervisorStatus',
      'resourceStatus',
      'clusterHealth',
      'taskManagers',
      'taskManagerReplicas',
      'totalTaskSlots',
      'paused',
    ]),
    ...(typeof obj.spec?.['taskManagers'] === 'number'
      ? { requestedTaskManagers: obj.spec['taskManagers'] }
      : {}),
    ...deleting(obj),
    created: obj.metadata.creationTimestamp ?? null,
  };
}

/** A job of a cluster: `name` is the job name of the control API paths, `resource` the FlinkJob. */
export function jobSummary(obj: CustomObject, clusterName: string): Record<string, unknown> {
  const resource = obj.metadata.name ?? '';
  return {
    name: jobNameInCluster(resource, clusterName),
    resource,
    ...pick(obj.status, [
      'supervisorStatus',
      'resourceStatus',
      'clusterHealth',
      'jobStatus',
      'jobId',
      'jobParallelism',
      'savepointPath',
      'savepointTimestamp',
      'paused',
      'restarts',
    ]),
    ...(typeof obj.spec?.['jobParallelism'] === 'number'
      ? { requestedParallelism: obj.spec['jobParallelism'] }
      : {}),
    ...deleting(obj),
    created: obj.metadata.creationTimestamp ?? null,
  };
}
