// The PodDisruptionBudgets of a cluster's Flink pods (ADR 0021) on the real control plane: the
// supervisor's code writes them with a token of the supervisor's own ServiceAccount (SUPERVISOR_RULES),
// the real disruption controller computes their status from pods the node agent runs, and the real
// eviction API answers a drain: one pod of each role may go, the next eviction gets 429 while the
// budget says no. Stand-in pods (Node, idle) carry the Flink pods' labels: what a budget selects
// and what the eviction API checks is the same as for Flink's own, without starting a JVM.
import { CoreV1Api, KubeConfig, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { FLINK_CLUSTER } from '../../src/api/names.ts';
import { ownerReference } from '../../src/api/owner-references.ts';
import { parseFlinkCluster } from '../../src/api/parse.ts';
import type { FlinkCluster } from '../../src/api/flink-cluster.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { KubernetesCustomResourceClient } from '../../src/kube/custom-resource-client.ts';
import { isTooManyRequests, kubeMessageOf } from '../../src/kube/errors.ts';
import { SUPERVISOR_RULES } from '../../src/install/rbac.ts';
import {
  desiredDisruptionBudgets,
  syncDisruptionBudgets,
  type BudgetRole,
} from '../../src/supervisor/disruption-budgets.ts';
import { OwnedObjects } from '../../src/supervisor/owned-objects.ts';
import { clusterLabels } from '../../src/supervisor/resource-builders.ts';
import { informerCaches, type SupervisorCaches } from '../../src/supervisor/supervisor-caches.ts';
import { serviceAccountToken } from '../support/control-api.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';
import { isRunningReady, waitForPod } from '../support/pods.ts';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const policy = admin.makeApiClient(PolicyV1Api);
const resources = new KubernetesCustomResourceClient(admin);
const NAME = 'dz';
let ns = '';
let cluster: FlinkCluster;
let caches: SupervisorCaches;
let objects: OwnedObjects;

/** The admin kubeconfig's cluster with a ServiceAccount's token as the only credential. */
function asServiceAccount(token: string): KubeConfig {
  const c = admin.getCurrentCluster();
  if (!c) throw new Error('no cluster in the admin kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [c],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: c.name, user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}

/** An idle stand-in for a Flink pod of `role`: its labels and owner, a process that only waits. */
function standIn(role: BudgetRole, index: number): V1Pod {
  return {
    metadata: {
      name: `${role}-${NAME}-1-${index}`,
      labels: clusterLabels(NAME, role),
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [{ name: role, image: 'node:26', command: ['node', '-e', 'setInterval(() => {}, 60000)'] }],
    },
  };
}

/** The budgets as the supervisor's pass writes them: desired from the spec, against its watch cache. */
const sync = (taskManagers: number, spec: FlinkCluster = cluster) =>
  syncDisruptionBudgets(
    objects,
    desiredDisruptionBudgets(spec, taskManagers),
    caches.disruptionBudgets?.list() ?? [],
    NAME,
  );

const cached = (name: string) => caches.disruptionBudgets?.get(`${ns}/${name}`);

async function budgetSettled(name: string, disruptionsAllowed: number) {
  return waitFor(
    `PodDisruptionBudget ${name} to allow ${disruptionsAllowed} disruption(s)`,
    async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ name, namespace: ns });
      const s = pdb.status;
      return s?.observedGeneration === pdb.metadata?.generation &&
        s?.disruptionsAllowed === disruptionsAllowed
        ? pdb
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

/** POST pods/{name}/eviction, as `kubectl drain` does: 'evicted', or the API's refusal. */
async function evict(name: string): Promise<'evicted' | { status: 429; message: string }> {
  try {
    await core.createNamespacedPodEviction({
      name,
      namespace: ns,
      body: { metadata: { name, namespace: ns } },
    });
    return 'evicted';
  } catch (err) {
    if (isTooManyRequests(err)) return { status: 429, message: kubeMessageOf(err) };
    throw err;
  }
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'pdb');
  const raw = await resources.create(FLINK_CLUSTER, ns, {
    apiVersion: 'flinkvisor.io/v1',
    kind: 'FlinkCluster',
    metadata: { name: NAME },
    spec: {
      taskManagers: 2,
      runtime: { image: 'flink-absent:0.0.0' },
      jobManager: { replicas: 2 },
      storage: { scheme: 'file', baseDir: '/flink-data' },
      supervisor: { image: 'flinkvisor-absent:0.0.0', rescalePolicy: 'None' },
    },
  });
  cluster = parseFlinkCluster(raw);
  const token = await serviceAccountToken(
    admin,
    ns,
    'flinkvisor-supervisor',
    SUPERVISOR_RULES as unknown as Record<string, unknown>[],
  );
  const supervisor = asServiceAccount(token);
  objects = new OwnedObjects(supervisor, ns);
  caches = informerCaches(supervisor, {
    namespace: ns,
    clusterName: NAME,
    resources: new KubernetesCustomResourceClient(supervisor),
    onError: () => undefined,
  });
  await caches.disruptionBudgets?.start();
});

afterAll(async () => {
  caches?.disruptionBudgets?.stop();
  if (ns) await deleteTestNamespace(admin, ns);
});

describe('disruption budgets of a cluster with two JobManagers (HA) and two TaskManagers', () => {
  it("are created with the supervisor ServiceAccount's rights, then left alone while nothing changes", async () => {
    expect(await sync(2)).toEqual({ created: 2, replaced: 0, deleted: 0 });
    await waitFor(
      'both budgets in the watch cache',
      async () => (cached(`taskmanager-${NAME}`) && cached(`jobmanager-${NAME}`) ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const generations = [cached(`taskmanager-${NAME}`), cached(`jobmanager-${NAME}`)].map(
      (p) => p?.metadata?.generation,
    );
    expect(await sync(2)).toEqual({ created: 0, replaced: 0, deleted: 0 });
    const again = await Promise.all(
      ['taskmanager', 'jobmanager'].map((r) =>
        policy.readNamespacedPodDisruptionBudget({ name: `${r}-${NAME}`, namespace: ns }),
      ),
    );
    // The disruption controller writes their status meanwhile; their spec (generation) stays as made.
    expect(again.map((p) => p.metadata?.generation)).toEqual(generations);
    expect(again.map((p) => p.spec?.minAvailable)).toEqual([1, 1]);
  });

  it('let a drain evict one pod of each role; the eviction API answers 429 for the next', async () => {
    const pods = [0, 1].flatMap((i) => [standIn('taskmanager', i), standIn('jobmanager', i)]);
    for (const body of pods) await core.createNamespacedPod({ namespace: ns, body });
    await waitForPod(
      admin,
      ns,
      'four running, ready stand-ins',
      (all) => (all.filter(isRunningReady).length === 4 ? all : undefined),
      `app.kubernetes.io/managed-by=flinkvisor`,
      90_000,
    );
    for (const role of ['taskmanager', 'jobmanager'] as const) {
      const pdb = await budgetSettled(`${role}-${NAME}`, 1);
      expect(pdb.status?.currentHealthy).toBe(2);
      expect(pdb.status?.desiredHealthy).toBe(1);
      expect(await evict(`${role}-${NAME}-1-0`)).toBe('evicted');
      const refused = await evict(`${role}-${NAME}-1-1`);
      expect(refused).toEqual({ status: 429, message: expect.stringContaining('disruption budget') });
      // The refused pod is untouched: running, not being deleted.
      const kept = await core.readNamespacedPod({ name: `${role}-${NAME}-1-1`, namespace: ns });
      expect(kept.metadata?.deletionTimestamp).toBeUndefined();
    }
  });

  it('follow the TaskManager count and the spec: a scale-up raises minAvailable, HA off removes the JobManagers’ budget', async () => {
    expect(await sync(3)).toEqual({ created: 0, replaced: 1, deleted: 0 });
    await waitFor(
      'the raised budget in the watch cache',
      async () => (cached(`taskmanager-${NAME}`)?.spec?.minAvailable === 2 ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(await sync(3)).toEqual({ created: 0, replaced: 0, deleted: 0 });
    const single = parseFlinkCluster({
      ...(await resources.get(FLINK_CLUSTER, ns, NAME)),
      spec: { ...cluster.spec, jobManager: { ...cluster.spec.jobManager, replicas: 1 } },
    });
    expect(await sync(3, single)).toEqual({ created: 0, replaced: 0, deleted: 1 });
    await waitFor(
      'the JobManagers’ budget gone',
      async () =>
        (await policy.listNamespacedPodDisruptionBudget({ namespace: ns })).items
          .map((p) => p.metadata?.name)
          .join() === `taskmanager-${NAME}`
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  });
});
