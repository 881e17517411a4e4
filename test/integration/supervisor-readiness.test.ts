// A supervisor that cannot start, on the real kube-apiserver and kube-controller-manager: in a
// namespace without the supervisor's ServiceAccount, its Deployment's ReplicaSet cannot create the
// pod. The FlinkCluster and its FlinkDeployment say so in their conditions (not only the
// ReplicaSet's Events); once the ServiceAccount exists, the pod is created and SupervisorReady
// turns Unknown (Starting: its image does not exist, so it never runs here).
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { FLINK_CLUSTER, FLINK_DEPLOYMENT, type KindNames } from '../../src/api/names.ts';
import type { Condition } from '../../src/api/status.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { KubernetesCustomResourceClient } from '../../src/kube/custom-resource-client.ts';
import type { EventRecorder } from '../../src/kube/event-recorder.ts';
import { createRegistry } from '../../src/observability/metrics.ts';
import { Operator } from '../../src/operator/operator.ts';
import { OPERATOR_METRICS_PREFIX, operatorMetrics } from '../../src/operator/operator-metrics.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const admin = adminKubeConfig();
const client = new KubernetesCustomResourceClient(admin);
const SERVICE_ACCOUNT = 'flinkvisor-supervisor';
let ns = '';
let operator: Operator | undefined;
const leading = new AbortController();
const events: string[] = [];
const recorder: EventRecorder = {
  record: async (_subject, _type, reason) => void events.push(reason),
} as EventRecorder;

async function condition(kind: KindNames, name: string, type: string): Promise<Condition | undefined> {
  const object = await client.get(kind, ns, name);
  return ((object?.status?.['conditions'] ?? []) as Condition[]).find((c) => c.type === type);
}

async function waitForCondition(
  kind: KindNames,
  name: string,
  type: string,
  wanted: (c: Condition) => boolean,
): Promise<Condition> {
  return waitFor(
    `${kind.kind} ${name} condition ${type}`,
    async () => {
      const found = await condition(kind, name, type);
      return found && wanted(found) ? found : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'no-sa');
  operator = new Operator({
    kubeConfig: admin,
    namespaces: [ns],
    clock: systemClock,
    log: pino({ level: 'silent' }),
    events: recorder,
    metrics: operatorMetrics(createRegistry(OPERATOR_METRICS_PREFIX)),
  });
  await operator.start();
  void operator.lead(leading.signal);
});

afterAll(async () => {
  leading.abort();
  operator?.stop();
  if (ns) await deleteTestNamespace(admin, ns);
});

describe('a supervisor that cannot start', () => {
  it('is explained in the FlinkCluster and FlinkDeployment conditions, and followed once it can', async () => {
    await client.create(FLINK_DEPLOYMENT, ns, {
      apiVersion: 'flinkvisor.io/v1',
      kind: 'FlinkDeployment',
      metadata: { name: 'lonely' },
      spec: {
        cluster: {
          taskManagers: 1,
          runtime: { image: 'flink:1.20' },
          supervisor: { image: 'flinkvisor-absent:0.0.0', pollingInterval: 2 },
        },
        jobs: [],
      },
    });
    const supervisorReady = await waitForCondition(
      FLINK_CLUSTER,
      'lonely',
      'SupervisorReady',
      (c) => c.status === 'False',
    );
    expect(supervisorReady.reason).toBe('FailedCreate');
    expect(supervisorReady.message).toContain(`serviceaccount "${SERVICE_ACCOUNT}" not found`);
    expect(await condition(FLINK_CLUSTER, 'lonely', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SupervisorNotStarted',
    });
    const deploymentReady = await waitForCondition(
      FLINK_DEPLOYMENT,
      'lonely',
      'Ready',
      (c) => c.reason === 'SupervisorNotStarted',
    );
    expect(deploymentReady.status).toBe('False');
    expect(deploymentReady.message).toContain('FlinkCluster lonely: supervisor Deployment supervisor-lonely');
    expect(deploymentReady.message).toContain(SERVICE_ACCOUNT);
    expect(events).toContain('SupervisorNotStarted');

    await admin
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: SERVICE_ACCOUNT } } });
    const starting = await waitForCondition(
      FLINK_CLUSTER,
      'lonely',
      'SupervisorReady',
      (c) => c.status === 'Unknown',
    );
    expect(starting.reason).toBe('Starting');
  });
});
