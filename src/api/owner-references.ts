import type { V1OwnerReference } from '@kubernetes/client-node';
import type { FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB } from './names.ts';
import { API_GROUP_VERSION } from './names.ts';

/** The part of a resource an owner reference names. */
export interface Owner {
  readonly metadata: { readonly name?: string; readonly uid?: string };
}

/**
 * The controller ownerReference to one of our resources: deleting the owner garbage-collects what
 * it owns (a FlinkDeployment's FlinkCluster and FlinkJobs, a FlinkCluster's pods, Services and
 * supervisor Deployment, a FlinkJob's bootstrap Jobs), even when no operator or supervisor runs.
 */
export function ownerReference(
  kind: typeof FLINK_DEPLOYMENT | typeof FLINK_CLUSTER | typeof FLINK_JOB,
  owner: Owner,
): V1OwnerReference {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: kind.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
