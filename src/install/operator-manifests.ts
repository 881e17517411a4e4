import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Deployment,
  V1PolicyRule,
} from '@kubernetes/client-node';
import { API_GROUP } from '../api/names.ts';
import { FLINKVISOR_VERSION } from '../version.ts';
import { CONTROL_API_CLUSTER_RULES, CONTROL_API_RULES, namespacedRoleSet, SUPERVISOR_RULES } from './rbac.ts';

/**
 * The install as plain objects (the demo and the e2e tests apply them; the Helm chart renders the same):
 * the operator in its own namespace watching every namespace, and the per-namespace
 * ServiceAccount and Role its supervisors run with. The Helm chart offers the same with values.
 */
export const OPERATOR_NAMESPACE = 'flinkvisor-system';
export const OPERATOR_NAME = 'flinkvisor-operator';
export const FLINKVISOR_IMAGE = `flinkvisor:${FLINKVISOR_VERSION}`;

export const OPERATOR_RULES: V1PolicyRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: ['flinkdeployments', 'flinkclusters', 'flinkjobs'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: [API_GROUP],
    resources: ['flinkdeployments/status', 'flinkclusters/status', 'flinkjobs/status'],
    verbs: ['get', 'patch', 'update'],
  },
  {
    apiGroups: [API_GROUP],
    resources: ['flinkclusters/scale', 'flinkjobs/scale'],
    verbs: ['get', 'patch', 'update'],
  },
  // Supervisor Deployments only: watched (list, watch), server-side applied (create, patch) and
  // deleted. Never read one by one or replaced. Where the chart is told the namespaces, these
  // rights are a Role in each (ADR 0018).
  {
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // The control API: it authenticates and authorizes its callers through the API server.
  ...CONTROL_API_CLUSTER_RULES,
  ...CONTROL_API_RULES,
];

/** Leader election of the operator, in its own namespace only. */
export const OPERATOR_LEASE_RULES: V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

const labels = {
  'app.kubernetes.io/name': 'flinkvisor',
  'app.kubernetes.io/component': 'operator',
  'app.kubernetes.io/managed-by': 'flinkvisor',
};

export interface OperatorManifestOptions {
  readonly namespace?: string;
  readonly image?: string;
  readonly replicas?: number;
  readonly supervisorArgs?: readonly string[];
  /** Extra operator arguments, e.g. the control API's TLS files, or --api-insecure-http locally. */
  readonly operatorArgs?: readonly string[];
}

export function operatorManifests(o: OperatorManifestOptions = {}): KubernetesObject[] {
  const namespace = o.namespace ?? OPERATOR_NAMESPACE;
  const lease = namespacedRoleSet(namespace, OPERATOR_NAME, OPERATOR_LEASE_RULES);
  const clusterRole: V1ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: OPERATOR_NAME, labels },
    rules: OPERATOR_RULES,
  };
  const binding: V1ClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: OPERATOR_NAME, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: OPERATOR_NAME, namespace, labels },
    spec: {
      replicas: o.replicas ?? 2,
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'flinkvisor', 'app.kubernetes.io/component': 'operator' },
      },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          automountServiceAccountToken: true,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'operator',
              image: o.image ?? FLINKVISOR_IMAGE,
              args: [
                'operator',
                'run',
                '--all-namespaces',
                ...(o.supervisorArgs ?? []).map((a) => `--supervisor-arg=${a}`),
                ...(o.operatorArgs ?? []),
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              ],
              ports: [
                { name: 'monitoring', containerPort: 8080 },
                { name: 'api', containerPort: 4444 },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: 'monitoring' }, periodSeconds: 5 },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'monitoring' },
                initialDelaySeconds: 15,
                periodSeconds: 10,
              },
              resources: {
                requests: { cpu: '100m', memory: '192Mi' },
                limits: { cpu: '1', memory: '512Mi' },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: OPERATOR_NAME, namespace, labels },
    spec: {
      selector: { 'app.kubernetes.io/name': 'flinkvisor', 'app.kubernetes.io/component': 'operator' },
      ports: [
        { name: 'api', port: 4444, targetPort: 4444 },
        { name: 'monitoring', port: 8080, targetPort: 8080 },
      ],
    },
  } as KubernetesObject;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } } as KubernetesObject,
    service,
    lease.serviceAccount,
    lease.role,
    lease.roleBinding,
    clusterRole,
    binding,
    deployment,
  ];
}

/** What a namespace that runs Flink clusters needs: the supervisor's ServiceAccount and Role. */
export function workloadNamespaceManifests(namespace: string): KubernetesObject[] {
  const set = namespacedRoleSet(namespace, 'flinkvisor-supervisor', SUPERVISOR_RULES);
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubernetesObject,
    set.serviceAccount,
    set.role,
    set.roleBinding,
  ];
}
