import type { KindNames } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import { stableStringify } from '../machines/ids.ts';

/**
 * Status writes that happen only when they change something. Every write wakes the watches of
 * everyone reading the resource (the operator's own informer included, which reconciles again),
 * so a write that changes nothing is not harmless: with a fresh `timestamp` in it, it is a loop
 * (the fleet issue: ~3,600 status writes a minute for one FlinkDeployment at rest).
 *
 * Equality ignores object key order, because the API server returns custom resources with their
 * keys sorted (Go's encoding/json sorts map keys), while the status we compute has them in the
 * order we build them: comparing with JSON.stringify said "changed" on every pass.
 */

/** Whether two JSON values are equal, object key order aside. */
export function sameJson(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether applying `patch` as a JSON merge patch (RFC 7386) to `target` would change it. */
export function mergePatchChanges(target: unknown, patch: unknown): boolean {
  if (!isPlainObject(patch)) return !sameJson(target, patch);
  if (!isPlainObject(target)) return true;
  return Object.entries(patch).some(([field, value]) => {
    if (value === undefined) return false;
    if (value === null) return target[field] !== undefined;
    return mergePatchChanges(target[field], value);
  });
}

/**
 * Merge-patches `desired` into the status of `object` when, and only when, that changes it
 * (`timestamp`, which says when the status was last written, is not compared). `onWrite` adds
 * fields to a write that does happen: the FlinkDeployment's `timestamp` goes there, so it moves
 * only with a real change. The patch is preconditioned on the resourceVersion `desired` was
 * decided from, so a decision made on a stale cache is never applied over a newer object: that
 * write fails with 409, and the watch event of the change that caused it brings the next pass,
 * which decides again from the new state. A resource gone (404) or changed meanwhile (409) is no
 * failure. True when the write was stored.
 */
export async function writeStatusIfChanged(
  resources: CustomResourceClient,
  kind: KindNames,
  object: CustomObject,
  desired: Record<string, unknown>,
  onWrite: Record<string, unknown> = {},
): Promise<boolean> {
  const { timestamp: _ignored, ...compared } = desired;
  if (!mergePatchChanges(object.status ?? {}, compared)) return false;
  try {
    await resources.patchStatus(kind, object.metadata.namespace ?? '', object.metadata.name ?? '', {
      ...(object.metadata.resourceVersion
        ? { metadata: { resourceVersion: object.metadata.resourceVersion } }
        : {}),
      status: { ...compared, ...onWrite },
    });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
    return false;
  }
  return true;
}
