import type { V1Deployment } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import { toV1ResourceRequirements } from '../api/kubernetes-types.ts';
import { API_GROUP, FLINK_CLUSTER, LABELS, MANAGED_BY, supervisorDeploymentName } from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import { specDigest } from '../machines/ids.ts';
import { supervisorMemoryEnv } from './supervisor-memory.ts';

export const SUPERVISOR_DIGEST_ANNOTATION = `${API_GROUP}/supervisor-digest`;
export const SUPERVISOR_MONITORING_PORT = 8080;

/** The digest of spec.supervisor: when it changes, the supervisor (and only it) is rolled. */
export function supervisorDigest(cluster: FlinkCluster): string {
  return specDigest(cluster.spec.supervisor);
}

/**
 * The supervisor Deployment of one FlinkCluster: `supervisor-<cluster>`, owned by the cluster,
 * non-root, probes on the monitoring port, leader-elected replicas.
 */
export function supervisorDeployment(cluster: FlinkCluster, extraArgs: readonly string[] = []): V1Deployment {
  const s = cluster.spec.supervisor;
  const name = cluster.metadata.name ?? '';
  const namespace = cluster.metadata.namespace ?? 'default';
  const selector = { [LABELS.managedBy]: MANAGED_BY, [LABELS.cluster]: name, [LABELS.role]: 'supervisor' };
  const digest = supervisorDigest(cluster);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: supervisorDeploymentName(name),
      namespace,
      labels: selector,
      annotations: { [SUPERVISOR_DIGEST_ANNOTATION]: digest },
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selector },
      revisionHistoryLimit: 3,
      template: {
        metadata: {
          labels: { ...(s.labels ?? {}), ...selector },
          annotations: { ...(s.annotations ?? {}), [SUPERVISOR_DIGEST_ANNOTATION]: digest },
        },
        spec: {
          serviceAccountName: s.serviceAccount,
          // The supervisor is an API client: the one pod per cluster that needs a token.
          automountServiceAccountToken: true,
          terminationGracePeriodSeconds: 30,
          securityContext: s.podSecurityContext ?? {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'supervisor',
              image: s.image,
              imagePullPolicy: s.pullPolicy,
              args: [
                'supervisor',
                'run',
                `--namespace=${namespace}`,
                `--cluster-name=${name}`,
                `--port=${SUPERVISOR_MONITORING_PORT}`,
                ...extraArgs,
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                ...supervisorMemoryEnv(s.resources.limits?.['memory']),
              ],
              ports: [{ name: 'monitoring', containerPort: SUPERVISOR_MONITORING_PORT }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'monitoring' }, periodSeconds: 5 },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'monitoring' },
                initialDelaySeconds: 15,
                periodSeconds: 10,
                failureThreshold: 6,
              },
              resources: toV1ResourceRequirements(s.resources),
              securityContext: s.securityContext ?? {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
          ...(s.pullSecrets ? { imagePullSecrets: [{ name: s.pullSecrets }] } : {}),
          ...(s.nodeSelector ? { nodeSelector: { ...s.nodeSelector } } : {}),
          ...(s.tolerations ? { tolerations: [...s.tolerations] } : {}),
          ...(s.affinity ? { affinity: s.affinity } : {}),
          ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
        },
      },
    },
  };
}
