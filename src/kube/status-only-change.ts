import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * Whether an update changed nothing but the object's status (and the bookkeeping every write moves:
 * resourceVersion, managedFields). A controller that writes its resources' status sees its own
 * writes come back as updates; reconciling again on each of them is pointless (the pass that wrote
 * it knew it already) and, when a pass always finds something to write, a loop. The spec, labels,
 * annotations (requested actions), finalizers and the deletion timestamp all count as changes.
 * controller-runtime's GenerationChangedPredicate plus its annotation and label predicates, in one.
 */
export function statusOnlyChange(
  obj: KubernetesObject & { status?: unknown },
  old: (KubernetesObject & { status?: unknown }) | undefined,
): boolean {
  if (!old) return false;
  return JSON.stringify(withoutStatus(obj)) === JSON.stringify(withoutStatus(old));
}

function withoutStatus(obj: KubernetesObject & { status?: unknown }): unknown {
  const { status: _status, metadata, ...rest } = obj;
  const { resourceVersion: _version, managedFields: _fields, ...meta } = metadata ?? {};
  return { ...rest, metadata: meta };
}
