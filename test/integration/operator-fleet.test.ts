// Fleet mode on the real kube-apiserver: `flinkvisor operator run --embedded-supervisors` hosts
// the supervisor of a FlinkCluster in the operator process. Flink itself is absent (its image does
// not exist, so its pods never run): what is asserted is the supervisor's part. It campaigns for
// the same Lease a supervisor pod would, holds it under the operator's identity, writes the
// cluster's status, and no supervisor Deployment is created; deleting the cluster stops that
// supervisor and releases its Lease; the operator's /metrics carry its series with the cluster
// label.
import { AppsV1Api, CoordinationV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { FINALIZERS, FLINK_CLUSTER, supervisorDeploymentName } from '../../src/api/names.ts';
import { freePort } from '../../src/devenv/free-port.ts';
import { ManagedProcess } from '../../src/devenv/managed-process.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { isNotFound } from '../../src/kube/errors.ts';
import { KubernetesCustomResourceClient } from '../../src/kube/custom-resource-client.ts';
import { supervisorLeaseName } from '../../src/supervisor/supervisor-instance.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const admin = adminKubeConfig();
const client = new KubernetesCustomResourceClient(admin);
const IDENTITY = 'fleet-operator-0';
let ns = '';
let operator: ManagedProcess | undefined;
let metricsPort = 0;

const clusterManifest = (name: string) => ({
  apiVersion: 'flinkvisor.io/v1',
  kind: 'FlinkCluster',
  metadata: { name },
  spec: {
    taskManagers: 1,
    runtime: { image: 'flink-absent:0.0.0' },
    // The image a supervisor Deployment would run: unused in fleet mode.
    supervisor: { image: 'flinkvisor-unused:0.0.0', pollingInterval: 1, taskTimeout: 10 },
  },
});

async function leaseHolder(name: string): Promise<string | undefined> {
  try {
    const lease = await admin
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: supervisorLeaseName(name), namespace: ns });
    return lease.spec?.holderIdentity ?? '';
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'fleet');
  metricsPort = await freePort();
  operator = ManagedProcess.start({
    name: 'operator',
    command: process.execPath,
    args: [
      join(PROJECT_ROOT, 'src/cli/main.ts'),
      'operator',
      'run',
      '--embedded-supervisors',
      `--namespaces=${ns}`,
      `--kubeconfig=${inject('controlPlane').kubeconfigPath}`,
      `--identity=${IDENTITY}`,
      '--bind-address=127.0.0.1',
      `--monitoring-port=${metricsPort}`,
      '--api-port=0',
    ],
    env: { ...process.env, LOG_LEVEL: 'info', POD_NAMESPACE: ns },
    cwd: PROJECT_ROOT,
    logFile: join(await mkdtemp(join(tmpdir(), 'flinkvisor-fleet-')), 'operator.log'),
  });
});

afterAll(async () => {
  await operator?.stop();
  if (ns) await deleteTestNamespace(admin, ns);
});

describe('fleet mode: the operator hosts the supervisors', () => {
  it('elects and reconciles a cluster in-process, without a supervisor Deployment, and lets go when it is deleted', async () => {
    await client.create(FLINK_CLUSTER, ns, clusterManifest('alpha'));
    await client.create(FLINK_CLUSTER, ns, clusterManifest('beta'));
    for (const name of ['alpha', 'beta'])
      await waitFor(
        `the Lease of ${name}'s supervisor held by the operator`,
        async () => ((await leaseHolder(name)) === IDENTITY ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    const statuses = await waitFor(
      "the supervisors' status in both clusters",
      async () => {
        const all = await Promise.all(['alpha', 'beta'].map((n) => client.get(FLINK_CLUSTER, ns, n)));
        return all.every((c) => typeof c?.status?.['supervisorStatus'] === 'string') ? all : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    for (const c of statuses) expect(c?.metadata.finalizers).toContain(FINALIZERS.supervisor);
    // Each hosted supervisor keeps its cluster's TaskManager disruption budget (ADR 0021), owned by it.
    const budgets = await waitFor(
      'the TaskManager disruption budgets of both clusters',
      async () => {
        const items = (
          await admin.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace: ns })
        ).items;
        return items.length === 2 ? items : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(budgets.map((b) => b.metadata?.name).sort()).toEqual(['taskmanager-alpha', 'taskmanager-beta']);
    for (const b of budgets)
      expect(b.metadata?.ownerReferences?.[0]?.uid).toBe(
        statuses.find((c) => `taskmanager-${c?.metadata.name}` === b.metadata?.name)?.metadata.uid,
      );
    const deployments = await admin.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: ns });
    expect(deployments.items.map((d) => d.metadata?.name)).not.toContain(supervisorDeploymentName('alpha'));
    expect(deployments.items).toEqual([]);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain(`flinkvisor_supervisor_leader{namespace="${ns}",cluster="alpha"} 1`);
    expect(metrics).toContain(`flinkvisor_supervisor_leader{namespace="${ns}",cluster="beta"} 1`);

    // Deleting one cluster: its supervisor stops what it runs, removes its finalizer, then stops
    // and releases its Lease; the other one goes on.
    await client.delete(FLINK_CLUSTER, ns, 'alpha');
    await waitFor(
      'alpha gone and its Lease released',
      async () =>
        (await client.get(FLINK_CLUSTER, ns, 'alpha')) === undefined && (await leaseHolder('alpha')) === ''
          ? true
          : undefined,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(await leaseHolder('beta')).toBe(IDENTITY);

    // A clean stop of the operator: each hosted supervisor drains, then releases its Lease.
    await operator?.stop(30_000);
    expect(operator?.exitStatus?.code).toBe(0);
    expect(await leaseHolder('beta')).toBe('');
  });
});
