import { API_GROUP_VERSION, type KindNames } from '../api/names.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { isAlreadyExists, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventType } from '../kube/event-recorder.ts';
import type { OperatorCache } from './operator-cache.ts';
import { sameJson } from './status-writes.ts';

/**
 * While children are going away, look again this often: their deletion events wake the owner
 * anyway, so this is the fallback that also checks the forced-deletion bound when no event comes.
 */
export const REQUEUE_WHILE_DELETING_MS = 3000;

/** The ports every reconciler reads and writes through. */
export interface ReconcilerPorts {
  /** The only writer of custom resources (with `addFinalizer`/`removeFinalizer`). */
  readonly resources: CustomResourceClient;
  /** The informers' caches: what reconcilers decide from. */
  readonly cache: OperatorCache;
  readonly events: EventRecorder;
  readonly clock: Clock;
}

/** Records an Event about one of our resources; never waits for it, never fails the reconcile. */
export function recordEvent(
  events: EventRecorder,
  kind: KindNames,
  object: CustomObject,
  type: EventType,
  reason: string,
  message: string,
): void {
  void events.record(
    {
      apiVersion: API_GROUP_VERSION,
      kind: kind.kind,
      namespace: object.metadata.namespace ?? 'default',
      name: object.metadata.name ?? '',
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
    },
    type,
    reason,
    message,
  );
}

/** How long ago the deletion of `object` was requested (0 when it is not being deleted). */
export function deletionAgeMs(object: CustomObject, now: number): number {
  const requested = object.metadata.deletionTimestamp;
  return requested ? now - new Date(requested).getTime() : 0;
}

/** Creates `body`; one that exists already (the cache had not seen it yet) is success. */
export async function createIfMissing(
  resources: CustomResourceClient,
  kind: KindNames,
  body: CustomObject & { metadata: { namespace: string } },
): Promise<void> {
  try {
    await resources.create(kind, body.metadata.namespace, body);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Deletes an object; one that is gone already is success. */
export async function deleteIfPresent(
  resources: CustomResourceClient,
  kind: KindNames,
  namespace: string,
  name: string,
): Promise<void> {
  try {
    await resources.delete(kind, namespace, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Makes the given top-level spec fields of `object` equal to `desired` with one JSON Patch: fields
 * that differ are set, fields the source no longer has are removed (except those in `keep`, which
 * the child owns after creation). The patch starts with a `test` of the resourceVersion the
 * decision was made from, so a concurrent change fails it (409/422) and the next pass decides
 * again. True when it wrote; nothing is sent when nothing differs (key order aside).
 */
export async function syncSpecFields(
  resources: CustomResourceClient,
  kind: KindNames,
  object: CustomObject,
  desired: Record<string, unknown>,
  keep: readonly string[],
): Promise<boolean> {
  const current = object.spec ?? {};
  const operations: object[] = [];
  for (const [field, value] of Object.entries(desired)) {
    if (!sameJson(current[field], value)) operations.push({ op: 'add', path: `/spec/${field}`, value });
  }
  for (const field of Object.keys(current)) {
    if (!(field in desired) && !keep.includes(field))
      operations.push({ op: 'remove', path: `/spec/${field}` });
  }
  if (operations.length === 0) return false;
  operations.unshift({
    op: 'test',
    path: '/metadata/resourceVersion',
    value: object.metadata.resourceVersion,
  });
  await resources.jsonPatch(kind, object.metadata.namespace ?? '', object.metadata.name ?? '', operations);
  return true;
}
