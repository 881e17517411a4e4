import type { V1PolicyRule } from '@kubernetes/client-node';
import { API_GROUP, FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB, FLINK_SAVEPOINT } from '../api/names.ts';
import { OPERATOR_LEASE_RULES, OPERATOR_RULES } from './operator-manifests.ts';
import {
  BOOTSTRAP_RULES,
  CONTROL_API_CLUSTER_RULES,
  FLINK_KUBERNETES_HA_RULES,
  SUPERVISOR_RULES,
} from './rbac.ts';

// The rule lists the Helm charts grant, derived from the component constants (rbac.ts,
// operator-manifests.ts). `flinkvisor install generate` writes them into each chart's
// files/rbac-rules.yaml, which the templates read; a unit test fails when the files drift.

/**
 * The operator's rules that are namespaced: what a RoleBinding grants it in each watched namespace.
 * The cluster-scoped ones (TokenReview, SubjectAccessReview) need a ClusterRoleBinding.
 */
export const OPERATOR_NAMESPACED_RULES: V1PolicyRule[] = OPERATOR_RULES.filter(
  (rule) => !CONTROL_API_CLUSTER_RULES.includes(rule),
);

// Flink's own HA rules live beside the other components' (rbac.ts); the jobs chart grants them.
export { FLINK_KUBERNETES_HA_RULES } from './rbac.ts';

const FLINK_RESOURCES = [
  FLINK_DEPLOYMENT.plural,
  FLINK_CLUSTER.plural,
  FLINK_JOB.plural,
  FLINK_SAVEPOINT.plural,
];
const SCALE_SUBRESOURCES = [`${FLINK_CLUSTER.plural}/scale`, `${FLINK_JOB.plural}/scale`];
const STATUS_SUBRESOURCES = FLINK_RESOURCES.map((r) => `${r}/status`);

/** Aggregated into the built-in `view` role: read the Flink resources. */
export const USER_VIEW_RULES: V1PolicyRule[] = [
  { apiGroups: [API_GROUP], resources: FLINK_RESOURCES, verbs: ['get', 'list', 'watch'] },
  { apiGroups: [API_GROUP], resources: [...STATUS_SUBRESOURCES, ...SCALE_SUBRESOURCES], verbs: ['get'] },
];

/** Aggregated into `edit` and `admin`: manage the Flink resources, scale them, request actions. */
export const USER_EDIT_RULES: V1PolicyRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: FLINK_RESOURCES,
    verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'],
  },
  { apiGroups: [API_GROUP], resources: SCALE_SUBRESOURCES, verbs: ['patch', 'update'] },
];

/** files/rbac-rules.yaml of the flinkvisor chart: name → rules. */
export function operatorChartRules(): Record<string, V1PolicyRule[]> {
  return {
    operatorAllNamespaces: OPERATOR_RULES,
    operatorNamespaced: OPERATOR_NAMESPACED_RULES,
    operatorCluster: CONTROL_API_CLUSTER_RULES,
    operatorLeaderElection: OPERATOR_LEASE_RULES,
    supervisor: SUPERVISOR_RULES,
    bootstrap: BOOTSTRAP_RULES,
    userView: USER_VIEW_RULES,
    userEdit: USER_EDIT_RULES,
  };
}

/** files/rbac-rules.yaml of the flinkvisor-jobs chart. */
export function jobsChartRules(): Record<string, V1PolicyRule[]> {
  return {
    supervisor: SUPERVISOR_RULES,
    flinkKubernetesHa: FLINK_KUBERNETES_HA_RULES,
  };
}
