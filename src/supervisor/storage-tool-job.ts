// The short Jobs that run one `flinkvisor storage …` command against a cluster's object storage
// (the cleanup of ADR 0012, the savepoint search of ADR 0023). The supervisor holds no storage
// credentials: these Jobs run as the Flink pods' identity, with the credentials the Flink pods get,
// the supervisor's image and the restricted security context, and never call the API server.
import type { V1Container, V1Job, V1OwnerReference } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import { storageCredentialEnv } from '../api/storage.ts';
import {
  flinkvisorContainerSecurityContext,
  flinkvisorPodSecurityContext,
  scratchSpace,
} from './pod-security.ts';

/** The region a storage command signs for: the one Flink's S3A client is given, else us-east-1. */
export function storageRegion(cluster: FlinkCluster): string {
  return cluster.spec.flinkConfiguration?.['s3.endpoint.region'] ?? 'us-east-1';
}

/** The S3 endpoint Flink uses: its own configuration first, then the storage spec's; none for AWS. */
export function storageEndpoint(cluster: FlinkCluster): string | undefined {
  return cluster.spec.flinkConfiguration?.['s3.endpoint'] ?? cluster.spec.storage?.s3?.endpoint ?? undefined;
}

export interface StorageToolJob {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly owner: V1OwnerReference;
  /** The container's name. */
  readonly container: string;
  /** The `flinkvisor storage` subcommand and its own arguments (endpoint and region are added). */
  readonly command: readonly string[];
  /** Retries of one run; all of them within the cluster's taskTimeout. */
  readonly backoffLimit: number;
  /** Removed this long after it finished; kept with its owner when absent. */
  readonly ttlSecondsAfterFinished?: number;
  /** How the command reports back, when it does through the pod's termination message. */
  readonly report?: Pick<V1Container, 'terminationMessagePath' | 'terminationMessagePolicy'>;
}

export function storageToolJob(cluster: FlinkCluster, o: StorageToolJob): V1Job {
  const s = cluster.spec.supervisor;
  const endpoint = storageEndpoint(cluster);
  const [subcommand = '', ...rest] = o.command;
  const scratch = scratchSpace(undefined);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: o.name,
      namespace: cluster.metadata.namespace ?? 'default',
      labels: o.labels,
      ownerReferences: [o.owner],
    },
    spec: {
      backoffLimit: o.backoffLimit,
      activeDeadlineSeconds: s.taskTimeout,
      ...(o.ttlSecondsAfterFinished === undefined
        ? {}
        : { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished }),
      template: {
        metadata: { labels: o.labels },
        spec: {
          restartPolicy: 'Never',
          // The Flink pods' identity: what may write the state may read and remove it (IRSA and the
          // like, whose webhooks project their own token). It never calls the API server: no API token.
          serviceAccountName: cluster.spec.jobManager.serviceAccount,
          automountServiceAccountToken: false,
          securityContext: flinkvisorPodSecurityContext(),
          containers: [
            {
              name: o.container,
              image: s.image,
              imagePullPolicy: s.pullPolicy,
              args: [
                'storage',
                subcommand,
                ...(endpoint ? [`--endpoint=${endpoint}`] : []),
                `--region=${storageRegion(cluster)}`,
                ...rest,
              ],
              ...o.report,
              env: [...scratch.env, ...storageCredentialEnv(cluster.spec.storage)],
              volumeMounts: scratch.mounts,
              securityContext: flinkvisorContainerSecurityContext(),
              resources: {
                requests: { cpu: '50m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
            },
          ],
          volumes: scratch.volumes,
          ...(s.pullSecrets ? { imagePullSecrets: [{ name: s.pullSecrets }] } : {}),
        },
      },
    },
  };
}
