import type { V1Deployment } from '@kubernetes/client-node';
import type { CustomObject } from '../kube/custom-resource-client.ts';

/**
 * What the reconcilers read: the informers' caches (one set, shared by every reconciler), as
 * lists. The operator serves it from its informers; tests hand in arrays or an in-memory store.
 * Reconcilers never read the API server for a decision: the cache is the level they converge to.
 */
export interface OperatorCache {
  /** Every FlinkDeployment in the watched namespaces. */
  deployments(): CustomObject[];
  /** Every FlinkCluster in the watched namespaces. */
  clusters(): CustomObject[];
  /** Every FlinkJob in the watched namespaces. */
  jobs(): CustomObject[];
  /** The supervisor Deployments (apps/v1) the operator runs, one per FlinkCluster. */
  supervisorDeployments(): V1Deployment[];
}

/** The object named `name` in `namespace`, if the list has it. */
export function findObject<T extends { metadata?: { namespace?: string; name?: string } }>(
  list: readonly T[],
  namespace: string,
  name: string,
): T | undefined {
  return list.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name);
}

/** Whether `child` names `owner` (by uid) among its ownerReferences. */
export function isOwnedBy(child: CustomObject, owner: CustomObject): boolean {
  return (child.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
}
