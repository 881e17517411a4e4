import type { CustomObject } from '../kube/custom-resource-client.ts';

/**
 * How long a deletion may take before the operator forces the supervisor's finalizers off, so
 * that deleting any Flinkvisor object ends within a bound that follows from its spec, always.
 *
 * Every wait of the supervisor during a deletion is bounded by the cluster's
 * `spec.supervisor.taskTimeout` (T): for each job, the savepoint (T) and the confirmation that
 * Flink ended it (T); for the cluster, its jobs (stopped in parallel, 2T), then its JobManager
 * and TaskManagers (T) and the storage cleanup Job (T). A grace of 60 s covers a supervisor that
 * first has to be scheduled and started. So a FlinkJob is forced after 2T + 60 s, a FlinkCluster
 * (and a FlinkDeployment, whose deletion is its cluster's) after 4T + 60 s: 660 s and 1,260 s
 * with the default T of 300 s. A fixed bound would cut a long taskTimeout's savepoint short, or
 * keep a short one's deletion waiting for nothing. The operator's `--force-deletion-after`
 * replaces the derived bound with one value for everything.
 */

export const DEFAULT_TASK_TIMEOUT_SECONDS = 300;
export const DELETION_GRACE_MS = 60_000;

/** spec.supervisor.taskTimeout of a cluster spec as stored (it may not parse); the default else. */
export function taskTimeoutSecondsOf(clusterSpec: unknown): number {
  const supervisor = (clusterSpec as { supervisor?: { taskTimeout?: unknown } } | undefined)?.supervisor;
  const value = supervisor?.taskTimeout;
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? value
    : DEFAULT_TASK_TIMEOUT_SECONDS;
}

export function jobDeletionBoundMs(taskTimeoutSeconds: number): number {
  return 2 * taskTimeoutSeconds * 1000 + DELETION_GRACE_MS;
}

export function clusterDeletionBoundMs(taskTimeoutSeconds: number): number {
  return 4 * taskTimeoutSeconds * 1000 + DELETION_GRACE_MS;
}

/** The bound of a FlinkCluster's deletion: the override, else derived from its taskTimeout. */
export function clusterDeletionBound(cluster: CustomObject, overrideMs: number | undefined): number {
  return overrideMs ?? clusterDeletionBoundMs(taskTimeoutSecondsOf(cluster.spec));
}

/** The bound of a FlinkDeployment's deletion: that of the cluster it describes. */
export function deploymentDeletionBound(deployment: CustomObject, overrideMs: number | undefined): number {
  const clusterSpec = (deployment.spec as { cluster?: unknown } | undefined)?.cluster;
  return overrideMs ?? clusterDeletionBoundMs(taskTimeoutSecondsOf(clusterSpec));
}

/** The bound of a lone FlinkJob's deletion, from its cluster's taskTimeout. */
export function jobDeletionBound(cluster: CustomObject | undefined, overrideMs: number | undefined): number {
  return overrideMs ?? jobDeletionBoundMs(taskTimeoutSecondsOf(cluster?.spec));
}
