import type { V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { API_GROUP } from '../api/names.ts';

/**
 * Least-privilege access for each component, in one place: the Helm chart, the tests and the
 * demo install exactly these rules.
 */
export const SUPERVISOR_RULES: V1PolicyRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: ['flinkclusters', 'flinkjobs'],
    verbs: ['get', 'list', 'watch', 'patch', 'update'],
  },
  {
    apiGroups: [API_GROUP],
    resources: ['flinkclusters/status', 'flinkjobs/status'],
    verbs: ['get', 'patch', 'update'],
  },
  {
    apiGroups: [API_GROUP],
    resources: ['flinkclusters/scale', 'flinkjobs/scale'],
    verbs: ['get', 'patch', 'update'],
  },
  // The savepoint records of its jobs (ADR 0015): created, updated, released and, once disposed, deleted.
  {
    apiGroups: [API_GROUP],
    resources: ['flinksavepoints'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
  },
  { apiGroups: [API_GROUP], resources: ['flinksavepoints/status'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  // Reads Flink's HA leader record (<cluster>-cluster-config-map) to tell a JobManager failover
  // from a lost job; never writes it (Flink's own ServiceAccount does). Once a deleted cluster's
  // JobManagers are gone it lists Flink's HA ConfigMaps of that cluster by their labels and deletes
  // them, or a new cluster of the same name would recover their jobs (ADR 0012).
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'delete'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  // The PodDisruptionBudgets of its Flink pods (ADR 0021): watched, created, kept in step with the
  // TaskManager count (update), removed when the spec turns them off.
  {
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: ['list', 'watch', 'create', 'update', 'delete'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  // Its cluster's NetworkPolicy, server-side applied before the Flink pods (`--network-policy`,
  // ADR 0018); the garbage collector removes it with the cluster.
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create', 'patch'] },
];

/**
 * Flink's own Kubernetes HA services (high-availability.type: kubernetes, on with
 * jobManager.replicas > 1): leader election and job metadata in ConfigMaps (Flink 1.20 and 2.x use
 * a ConfigMap lock), for the JobManagers and the TaskManagers, which watch the leader ConfigMaps.
 * The JobManager and TaskManager pods run as a ServiceAccount bound to these rules.
 */
export const FLINK_KUBERNETES_HA_RULES: V1PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
];

/** The ServiceAccount name a namespace prepared for HA clusters gives their Flink pods. */
export const FLINK_HA_SERVICE_ACCOUNT = 'flinkvisor-flink-ha';

/** ServiceAccount, Role and RoleBinding for the Flink pods of HA clusters in one namespace. */
export function flinkHighAvailabilityRoleSet(namespace: string, name = FLINK_HA_SERVICE_ACCOUNT): RoleSet {
  return namespacedRoleSet(namespace, name, FLINK_KUBERNETES_HA_RULES);
}

/** The bootstrap talks to Flink only: its ServiceAccount needs no Kubernetes permission at all. */
export const BOOTSTRAP_RULES: V1PolicyRule[] = [];

export interface RoleSet {
  readonly serviceAccount: V1ServiceAccount;
  readonly role: V1Role;
  readonly roleBinding: V1RoleBinding;
}

export function namespacedRoleSet(namespace: string, name: string, rules: V1PolicyRule[]): RoleSet {
  const labels = { 'app.kubernetes.io/managed-by': 'flinkvisor', 'app.kubernetes.io/component': name };
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels },
      rules,
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  };
}

/**
 * The control API (in the operator pod), cluster-wide part: it authenticates callers with
 * TokenReview and authorizes each request with a SubjectAccessReview. Both are cluster-scoped,
 * so these rules go into a ClusterRole.
 */
export const CONTROL_API_CLUSTER_RULES: V1PolicyRule[] = [
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

/**
 * The control API, per served namespace (a Role there, or a ClusterRole when it serves all): the
 * resource verbs it uses on behalf of callers it has authorized. It reads with get/list, writes
 * specs and action annotations with merge patches, and scales through the scale subresource.
 */
export const CONTROL_API_RULES: V1PolicyRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: ['flinkdeployments', 'flinkclusters', 'flinkjobs', 'flinksavepoints'],
    verbs: ['get', 'list', 'create', 'patch', 'delete'],
  },
  { apiGroups: [API_GROUP], resources: ['flinkclusters/scale', 'flinkjobs/scale'], verbs: ['get', 'patch'] },
];
