import type { V1EnvVar } from '@kubernetes/client-node';
import { S3_SCHEMES, type FlinkClusterSpec, type StorageSpec } from './flink-cluster.ts';
import { metricsConfiguration } from './metrics.ts';
import { stateBackendConfiguration } from './state-backend.ts';

// The storage helper: spec.storage {scheme, baseDir} becomes the checkpoint, savepoint and HA
// directories of a cluster, one subtree per namespace and cluster so clusters can share a bucket.
// Explicit flinkConfiguration entries always win over what is derived here.

export interface StorageDirectories {
  readonly checkpoints: string;
  readonly savepoints: string;
  readonly highAvailability: string;
}

/** `file:///flink-data`, `s3://bucket/flink`: the storage base as a URI, without a trailing slash. */
export function storageBaseUri(storage: Pick<StorageSpec, 'scheme' | 'baseDir'>): string {
  const baseDir = storage.baseDir.replace(/\/+$/, '');
  return `${storage.scheme}://${baseDir}`;
}

export function storageDirectories(
  storage: StorageSpec,
  namespace: string,
  clusterName: string,
): StorageDirectories {
  const base = storageBaseUri(storage);
  return {
    checkpoints: `${base}/checkpoints/${namespace}/${clusterName}`,
    savepoints: `${base}/savepoints/${namespace}/${clusterName}`,
    highAvailability: `${base}/ha/${namespace}/${clusterName}`,
  };
}

/**
 * Where a job of a cluster with storage writes its savepoints when its spec names no
 * savepointTargetPath: the operator fills this into the FlinkJobs it creates from a FlinkDeployment.
 */
export function defaultSavepointTargetPath(
  storage: StorageSpec,
  namespace: string,
  clusterName: string,
  flinkJobName: string,
): string {
  return `${storageDirectories(storage, namespace, clusterName).savepoints}/${flinkJobName}`;
}

/**
 * Deprecated keys Flink still reads for a key derived here. Flink reads the current key first, so
 * a user's flinkConfiguration that names the old key would lose to the derived entry: the derived
 * entry is left out instead, and the user's key wins as promised.
 */
export const DEPRECATED_FLINK_KEYS: Readonly<Record<string, readonly string[]>> = {
  'execution.checkpointing.dir': ['state.checkpoints.dir'],
  'execution.checkpointing.savepoint-dir': ['state.savepoints.dir'],
  'execution.checkpointing.incremental': ['state.backend.incremental'],
  'state.backend.type': ['state.backend'],
};

/**
 * The Flink configuration a cluster's spec implies (task slots, storage directories, S3 endpoint,
 * state backend, metrics reporter): the lowest layer of the precedence order in
 * docs/flink-configuration.md, below what users write.
 */
export function derivedFlinkConfiguration(
  spec: Pick<FlinkClusterSpec, 'taskManager' | 'storage' | 'stateBackend' | 'metrics'> &
    Partial<Pick<FlinkClusterSpec, 'flinkConfiguration'>>,
  namespace: string,
  clusterName: string,
): Record<string, string> {
  const derived = derivedFromSpec(spec, namespace, clusterName);
  const user = spec.flinkConfiguration ?? {};
  for (const [key, aliases] of Object.entries(DEPRECATED_FLINK_KEYS)) {
    if (aliases.some((alias) => alias in user)) delete derived[key];
  }
  return derived;
}

function derivedFromSpec(
  spec: Pick<FlinkClusterSpec, 'taskManager' | 'storage' | 'stateBackend' | 'metrics'>,
  namespace: string,
  clusterName: string,
): Record<string, string> {
  const derived: Record<string, string> = {
    'taskmanager.numberOfTaskSlots': String(spec.taskManager.taskSlots),
  };
  if (spec.storage) {
    const dirs = storageDirectories(spec.storage, namespace, clusterName);
    derived['execution.checkpointing.dir'] = dirs.checkpoints;
    derived['execution.checkpointing.savepoint-dir'] = dirs.savepoints;
    derived['high-availability.storageDir'] = dirs.highAvailability;
    if (spec.storage.s3) {
      if (spec.storage.s3.endpoint) derived['s3.endpoint'] = spec.storage.s3.endpoint;
      derived['s3.path.style.access'] = String(spec.storage.s3.pathStyleAccess);
    }
    if ((S3_SCHEMES as readonly string[]).includes(spec.storage.scheme)) {
      // Hadoop S3A before 3.4 deletes the parent "directory marker" objects after every write and
      // waits for that delete; stores with a real directory tree (POSIX-backed gateways) refuse to
      // delete a non-empty directory, and a checkpoint's finalization then hangs in retries.
      // Keeping markers is Hadoop 3.4's default and costs nothing on AWS.
      derived['s3.directory.marker.retention'] = 'keep';
    }
  }
  return {
    ...derived,
    ...stateBackendConfiguration(spec.stateBackend),
    ...metricsConfiguration(spec.metrics),
  };
}

/**
 * The Flink configuration of a cluster: the derived entries, then spec.flinkConfiguration on top.
 * Per-pod entries (addresses) and the keys Flinkvisor owns are the supervisor's to add; it also
 * layers a user's FLINK_PROPERTIES between the two (see docs/flink-configuration.md).
 */
export function clusterFlinkConfiguration(
  spec: Pick<FlinkClusterSpec, 'taskManager' | 'storage' | 'stateBackend' | 'metrics' | 'flinkConfiguration'>,
  namespace: string,
  clusterName: string,
): Record<string, string> {
  return { ...derivedFlinkConfiguration(spec, namespace, clusterName), ...spec.flinkConfiguration };
}

/** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the credentials Secret, for JobManager and TaskManagers. */
export function storageCredentialEnv(storage: StorageSpec | undefined): V1EnvVar[] {
  const secret = storage?.s3?.credentialsSecret;
  if (!secret) return [];
  return [
    {
      name: 'AWS_ACCESS_KEY_ID',
      valueFrom: { secretKeyRef: { name: secret.name, key: secret.accessKeyIdKey } },
    },
    {
      name: 'AWS_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: secret.name, key: secret.secretAccessKeyKey } },
    },
  ];
}
