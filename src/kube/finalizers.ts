import type { KindNames } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from './custom-resource-client.ts';
import { isNotFound } from './errors.ts';
import { retryOnConflict, type RetryOnConflictOptions } from './retry-on-conflict.ts';

/**
 * The one finalizer add/remove pair. Adding is preconditioned on the resourceVersion the caller
 * saw (a 409 goes back to the caller's queue, which looks again); removing re-reads until it
 * sticks, because a finalizer left behind makes a deletion hang. Both are idempotent, and both
 * say whether they wrote, so callers count real API writes only.
 */

export function hasFinalizer(obj: CustomObject, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

/** Adds `finalizer` unless present; true when it wrote. */
export async function addFinalizer(
  client: CustomResourceClient,
  kind: KindNames,
  object: CustomObject,
  finalizer: string,
): Promise<boolean> {
  const finalizers = object.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer)) return false;
  await client.patch(kind, object.metadata.namespace ?? '', object.metadata.name ?? '', {
    metadata: { resourceVersion: object.metadata.resourceVersion, finalizers: [...finalizers, finalizer] },
  });
  return true;
}

/** Every finalizer, for a deletion forced past its bound. */
export const ALL_FINALIZERS = Symbol('all finalizers');

/**
 * Removes `finalizer` (or all of them) from the latest object; true when it wrote. A missing
 * object or finalizer is success: the goal, nothing holding the deletion, already holds.
 */
export async function removeFinalizer(
  client: CustomResourceClient,
  kind: KindNames,
  namespace: string,
  name: string,
  finalizer: string | typeof ALL_FINALIZERS,
  retry: RetryOnConflictOptions = {},
): Promise<boolean> {
  return retryOnConflict(async () => {
    const current = await client.get(kind, namespace, name);
    const finalizers = current?.metadata.finalizers ?? [];
    const kept = finalizer === ALL_FINALIZERS ? [] : finalizers.filter((f) => f !== finalizer);
    if (!current || kept.length === finalizers.length) return false;
    try {
      await client.patch(kind, namespace, name, {
        metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: kept },
      });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    return true;
  }, retry);
}
