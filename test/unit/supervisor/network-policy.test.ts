// The NetworkPolicy a supervisor renders for its cluster (ADR 0018), the arguments that ask for
// it (a supervisor's own, or the operator's --supervisor-arg in fleet mode), and the chart's switch.
import type { V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { systemClock } from '../../../src/kube/clock.ts';
import { clusterEffects } from '../../../src/supervisor/machine-effects.ts';
import { OPERATOR_CHART_DIRECTORY } from '../../../src/install/chart-files.ts';
import { embeddedSupervisorSettings } from '../../../src/supervisor/embedded-supervisors.ts';
import {
  clusterNetworkPolicy,
  networkPolicySettingsFromArgs,
  type NetworkPolicySettings,
} from '../../../src/supervisor/network-policy.ts';
import type { OwnedObjectWriter } from '../../../src/supervisor/owned-objects.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';
import { chartHelm, HELM_SETUP_TIMEOUT_MS } from '../install/chart-helm.ts';

function cluster(metrics: object | undefined) {
  const raw = structuredClone(validFixtures().find((f) => f.file === 'cluster-minimal.yaml')?.resource) as {
    spec: Record<string, unknown>;
  };
  if (metrics) raw.spec['metrics'] = metrics;
  return parseFlinkCluster(raw);
}

describe('the cluster NetworkPolicy', () => {
  it('selects the Flink pods only, owned by the cluster', () => {
    const c = cluster(undefined);
    const policy = clusterNetworkPolicy(c, {});
    const name = c.metadata.name ?? '';
    expect(policy.metadata?.name).toBe(`flink-${name}`);
    expect(policy.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'FlinkCluster', controller: true });
    expect(policy.spec?.podSelector?.matchExpressions).toEqual([
      { key: 'flinkvisor.io/role', operator: 'In', values: ['jobmanager', 'taskmanager'] },
    ]);
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
  });

  it('without namespaces, admits the cluster’s own pods only', () => {
    const c = cluster({ prometheus: { enabled: true, port: 9249 } });
    const rules = clusterNetworkPolicy(c, {}).spec?.ingress ?? [];
    expect(rules).toHaveLength(1);
    expect(rules[0]?._from?.[0]?.podSelector?.matchLabels).toEqual({
      'app.kubernetes.io/managed-by': 'flinkvisor',
      'flinkvisor.io/cluster': c.metadata.name,
    });
    expect(rules[0]?.ports).toBeUndefined();
  });

  it('opens REST to the operator namespace and the reporter port to the scrape namespace, only when metrics are on', () => {
    const on = clusterNetworkPolicy(cluster({ prometheus: { enabled: true, port: 9300 } }), {
      operatorNamespace: 'flinkvisor-system',
      scrapeNamespace: 'monitoring',
    });
    expect(on.spec?.ingress?.slice(1)).toEqual([
      {
        _from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flinkvisor-system' } } },
        ],
        ports: [{ protocol: 'TCP', port: 8081 }],
      },
      {
        _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: 9300 }],
      },
    ]);
    const off = clusterNetworkPolicy(cluster({ prometheus: { enabled: false } }), {
      scrapeNamespace: 'monitoring',
    });
    expect(off.spec?.ingress).toHaveLength(1);
  });
});

/** Starts a cluster's JobManager with the real effect; says what reached the API, in order. */
async function ensureJobManager(settings: NetworkPolicySettings | undefined): Promise<string[]> {
  const calls: string[] = [];
  const objects = {
    createPod: async (pod: V1Pod) => (calls.push(`pod ${pod.metadata?.name}`), 'created'),
    applyNetworkPolicy: async (policy: V1NetworkPolicy) => void calls.push(`policy ${policy.metadata?.name}`),
  } as unknown as OwnedObjectWriter;
  const c = cluster(undefined);
  const effects = clusterEffects({
    clock: systemClock,
    objects,
    flink: () => ({}) as FlinkRestClient,
    cluster: () => c,
    pods: () => [],
    flinkTimeoutMs: 1000,
    log: () => undefined,
    ...(settings ? { networkPolicy: settings } : {}),
  });
  const actor = createActor(effects.ensureJobManager, { input: { epoch: 1, taskSlots: 1 } });
  actor.start();
  await toPromise(actor);
  return calls;
}

describe('the supervisor that renders it', () => {
  it('applies it before the first Flink pod, again on a repeat, and not at all without --network-policy', async () => {
    const name = cluster(undefined).metadata.name ?? '';
    expect(await ensureJobManager({ operatorNamespace: 'sys' })).toEqual([
      `policy flink-${name}`,
      `pod jobmanager-${name}-1`,
    ]);
    expect(await ensureJobManager(undefined)).toEqual([`pod jobmanager-${name}-1`]);
  });
});

describe('the arguments that ask for it', () => {
  it('reads --network-policy and its namespaces in both spellings; nothing without the flag', () => {
    expect(networkPolicySettingsFromArgs(['--allow-private-networks'])).toBeUndefined();
    expect(networkPolicySettingsFromArgs(['--network-policy-scrape-namespace=m'])).toBeUndefined();
    expect(
      networkPolicySettingsFromArgs([
        '--network-policy',
        '--network-policy-operator-namespace=sys',
        '--network-policy-scrape-namespace',
        'monitoring',
      ]),
    ).toEqual({ operatorNamespace: 'sys', scrapeNamespace: 'monitoring' });
    expect(networkPolicySettingsFromArgs(['--network-policy'])).toEqual({});
  });

  it('reaches supervisors hosted by the operator (fleet mode)', () => {
    expect(
      embeddedSupervisorSettings(['--network-policy', '--network-policy-operator-namespace=sys'])
        .networkPolicy,
    ).toEqual({ operatorNamespace: 'sys' });
    expect(embeddedSupervisorSettings([]).networkPolicy).toBeUndefined();
  });
});

describe('the chart switch', () => {
  it(
    'renders no NetworkPolicy and passes no --network-policy by default',
    async () => {
      const helm = await chartHelm();
      try {
        const objects = await helm.render({
          release: 'fv',
          chart: OPERATOR_CHART_DIRECTORY,
          namespace: 'sys',
          values: [{ api: { insecureHttp: true } }],
        });
        expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
        const args = JSON.stringify(objects.find((o) => o.kind === 'Deployment'));
        expect(args).not.toContain('--network-policy');
      } finally {
        await helm.dispose();
      }
    },
    HELM_SETUP_TIMEOUT_MS,
  );
});
