// The client library names the `from` field `_from` (a reserved word); it writes `from` on the wire.
import type { V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import { metricsPodAdditions } from '../api/metrics.ts';
import { FLINK_CLUSTER, LABELS, MANAGED_BY } from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import { FLINK_PORTS } from './resource-builders.ts';

/**
 * The NetworkPolicy a supervisor renders for its cluster's Flink pods when asked to
 * (`--network-policy`, ADR 0018). It admits:
 * - every port from the cluster's own pods: its JobManagers and TaskManagers (Flink picks some of
 *   their ports at random, the TaskManagers' RPC port among them), its supervisor and its
 *   bootstrap and cleanup Jobs, all of which carry the cluster's label;
 * - the REST port from the operator's namespace (the control API reads Flink through it; in fleet
 *   mode the supervisors run there too);
 * - the Prometheus reporter's port from the scrape namespace.
 * Nothing else reaches the Flink pods. Policies add up: a user's own policy can open more.
 */
export interface NetworkPolicySettings {
  /** Namespace of the operator; without it, no one outside the cluster's own pods reaches REST. */
  readonly operatorNamespace?: string;
  /** Namespace of the Prometheus that scrapes the metrics port; without it, the port is closed. */
  readonly scrapeNamespace?: string;
}

export function clusterNetworkPolicyName(clusterName: string): string {
  return `flink-${clusterName}`;
}

const inNamespace = (namespace: string): V1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
});

export function clusterNetworkPolicy(
  cluster: FlinkCluster,
  settings: NetworkPolicySettings,
): V1NetworkPolicy {
  const name = cluster.metadata.name ?? '';
  const ownPods = { [LABELS.managedBy]: MANAGED_BY, [LABELS.cluster]: name };
  const metricsPorts = metricsPodAdditions(cluster.spec.metrics).ports.map((p) => ({
    protocol: 'TCP',
    port: p.containerPort,
  }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: clusterNetworkPolicyName(name),
      namespace: cluster.metadata.namespace ?? 'default',
      labels: ownPods,
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: {
      podSelector: {
        matchLabels: ownPods,
        matchExpressions: [{ key: LABELS.role, operator: 'In', values: ['jobmanager', 'taskmanager'] }],
      },
      policyTypes: ['Ingress'],
      ingress: [
        { _from: [{ podSelector: { matchLabels: ownPods } }] },
        ...(settings.operatorNamespace
          ? [
              {
                _from: [inNamespace(settings.operatorNamespace)],
                ports: [{ protocol: 'TCP', port: FLINK_PORTS.ui }],
              },
            ]
          : []),
        ...(settings.scrapeNamespace && metricsPorts.length > 0
          ? [{ _from: [inNamespace(settings.scrapeNamespace)], ports: metricsPorts }]
          : []),
      ],
    },
  };
}

export const NETWORK_POLICY_FLAG = '--network-policy';
export const OPERATOR_NAMESPACE_FLAG = '--network-policy-operator-namespace';
export const SCRAPE_NAMESPACE_FLAG = '--network-policy-scrape-namespace';

/**
 * The settings named by supervisor arguments (`--network-policy`, `--network-policy-operator-namespace=ns`,
 * `--network-policy-scrape-namespace=ns`, each value also as the next argument); undefined without
 * `--network-policy`. The operator's fleet mode reads its `--supervisor-arg`s with this.
 */
export function networkPolicySettingsFromArgs(args: readonly string[]): NetworkPolicySettings | undefined {
  if (!args.includes(NETWORK_POLICY_FLAG)) return undefined;
  const value = (flag: string): string | undefined => {
    const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    const arg = args[i] ?? '';
    return arg === flag ? args[i + 1] : arg.slice(flag.length + 1);
  };
  const operatorNamespace = value(OPERATOR_NAMESPACE_FLAG);
  const scrapeNamespace = value(SCRAPE_NAMESPACE_FLAG);
  return {
    ...(operatorNamespace ? { operatorNamespace } : {}),
    ...(scrapeNamespace ? { scrapeNamespace } : {}),
  };
}
