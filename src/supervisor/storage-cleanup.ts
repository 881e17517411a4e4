// What a FlinkCluster's deletion removes after Flink has stopped (docs/adr/0012-auto-clean.md):
// Flink's HA ConfigMaps, always, and with autoClean the cluster's HA and checkpoint directories in
// object storage. The storage part runs as a short Job (`flinkvisor storage clean`) with the
// supervisor's image, as the Flink pods' ServiceAccount and with their credentials, so the
// supervisor itself never reads a Secret or holds storage credentials.
import type { V1Job } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import { LABELS, FLINK_CLUSTER, storageCleanupJobName } from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import { storageDirectories } from '../api/storage.ts';
import type { StorageCleanupObservation } from '../machines/observations.ts';
import { clusterLabels } from './resource-builders.ts';
import { storageToolJob } from './storage-tool-job.ts';

/**
 * The labels Flink's Kubernetes HA services put on every ConfigMap of a cluster id. Flink 1.20 adds
 * `configmap-type=high-availability`, Flink 2.x only these two (checked in both distributions'
 * KubernetesUtils.getConfigMapLabels); the names all start with `<cluster id>-`
 * (highAvailabilityConfigMapPrefix), which the removal checks as well.
 */
export function highAvailabilityConfigMapSelector(clusterId: string): string {
  return `app=${clusterId},type=flink-native-kubernetes`;
}

/** Every HA ConfigMap of a cluster id is named `<cluster id>-…` (`-cluster-config-map`, `-<job id>-config-map`). */
export function highAvailabilityConfigMapPrefix(clusterId: string): string {
  return `${clusterId}-`;
}

/** `kubernetes.cluster-id` as the JobManagers run with it: the cluster's name unless a user set it. */
export function flinkClusterId(cluster: FlinkCluster): string {
  return cluster.spec.flinkConfiguration?.['kubernetes.cluster-id'] ?? cluster.metadata.name ?? '';
}

/**
 * The directories autoClean removes: the HA and checkpoint directories the storage helper derives
 * for this cluster. A directory a user set in flinkConfiguration is the user's and is not touched.
 * Savepoints are never among them.
 */
export function autoCleanDirectories(cluster: FlinkCluster): string[] {
  const storage = cluster.spec.storage;
  if (!cluster.spec.autoClean || !storage) return [];
  const dirs = storageDirectories(
    storage,
    cluster.metadata.namespace ?? 'default',
    cluster.metadata.name ?? '',
  );
  return [dirs.highAvailability, dirs.checkpoints];
}

/** S3 locations among `paths` (savepoints the cleanup must leave in place), deduplicated. */
export function s3Paths(paths: readonly (string | null | undefined)[]): string[] {
  return [...new Set(paths.filter((p): p is string => typeof p === 'string' && /^s3[ap]?:\/\//i.test(p)))];
}

/** Bound of one cleanup run; the supervisor waits at most taskTimeout in all. */
const CLEANUP_BACKOFF_LIMIT = 2;

/**
 * The Job `clean-<cluster>`: removes `directories` but what lies under `keep`. Retries twice
 * (backoffLimit) within taskTimeout (activeDeadlineSeconds); owned by the FlinkCluster, so the
 * garbage collector removes it with the cluster.
 */
export function storageCleanupJob(
  cluster: FlinkCluster,
  input: { readonly directories: readonly string[]; readonly keep: readonly string[] },
): V1Job {
  const name = cluster.metadata.name ?? '';
  return storageToolJob(cluster, {
    name: storageCleanupJobName(name),
    labels: clusterLabels(name, 'cleanup'),
    owner: ownerReference(FLINK_CLUSTER, cluster),
    container: 'cleanup',
    command: [
      'clean',
      ...input.directories.map((d) => `--uri=${d}`),
      ...input.keep.map((k) => `--keep=${k}`),
    ],
    backoffLimit: CLEANUP_BACKOFF_LIMIT,
  });
}

/** What the cluster machine is told about the cleanup Job. */
export function readStorageCleanup(job: V1Job | undefined): StorageCleanupObservation {
  if (!job || job.metadata?.labels?.[LABELS.role] !== 'cleanup') return 'absent';
  const status = job.status;
  if ((status?.succeeded ?? 0) > 0) return 'succeeded';
  if (status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  return 'active';
}
