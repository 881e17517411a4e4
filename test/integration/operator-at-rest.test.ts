// The operator at rest, on the real kube-apiserver: once a FlinkDeployment's children exist and
// nothing changes, it writes nothing. (A status compare that counted key order once made it
// rewrite the FlinkDeployment's status about 60 times a second: the API server returns keys in
// its own order, so every pass looked changed, and every write woke the watch again.)
// And a FlinkCluster of a deployment's child's name that it did not create is never adopted.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB } from '../../src/api/names.ts';
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
let ns = '';
let operator: Operator | undefined;
const leading = new AbortController();
const events: string[] = [];
const recorder: EventRecorder = {
  record: async (_subject, _type, reason) => void events.push(reason),
} as EventRecorder;

// The supervisor image does not exist: its pod never runs, so nothing but the operator writes.
const deployment = (name: string) => ({
  apiVersion: 'flinkvisor.io/v1',
  kind: 'FlinkDeployment',
  metadata: { name },
  spec: {
    cluster: {
      taskManagers: 1,
      runtime: { image: 'flink:1.20' },
      supervisor: { image: 'flinkvisor-absent:0.0.0', pollingInterval: 2 },
    },
    jobs: ['cars', 'trucks'].map((job) => ({
      name: job,
      spec: {
        bootstrap: { image: 'flinkvisor-absent:0.0.0', jarPath: '/opt/job.jar' },
        savepoint: { savepointMode: 'Manual', savepointTargetPath: 'file:///flink-data/savepoints' },
      },
    })),
  },
});

async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of [FLINK_DEPLOYMENT, FLINK_CLUSTER, FLINK_JOB]) {
    for (const item of (await client.list(kind, ns)).items)
      out[`${kind.kind}/${item.metadata.name}`] = item.metadata.resourceVersion ?? '';
  }
  return out;
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'at-rest');
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

describe('the operator at rest', () => {
  it('expands a FlinkDeployment, then writes nothing while nothing changes', async () => {
    await client.create(FLINK_DEPLOYMENT, ns, deployment('rest'));
    await waitFor(
      'the children and the deployment status',
      async () => {
        const dep = await client.get(FLINK_DEPLOYMENT, ns, 'rest');
        const jobs = (await client.list(FLINK_JOB, ns)).items;
        const cluster = await client.get(FLINK_CLUSTER, ns, 'rest');
        return dep?.status?.['observedGeneration'] === 1 && jobs.length === 2 && cluster ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // Let the expansion's own follow-up passes (requeues, watch echoes of its writes) settle.
    let before = await versions();
    await waitFor(
      'two equal looks 3 s apart',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const now = await versions();
        const same = JSON.stringify(now) === JSON.stringify(before);
        before = now;
        return same ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );
    expect(Object.keys(before).sort()).toEqual([
      'FlinkCluster/rest',
      'FlinkDeployment/rest',
      'FlinkJob/rest-cars',
      'FlinkJob/rest-trucks',
    ]);
    // At rest: 15 s with more than seven reconcile periods of the old 2 s requeue, and no write.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    expect(await versions()).toEqual(before);
    const status = (await client.get(FLINK_DEPLOYMENT, ns, 'rest'))?.status ?? {};
    expect(status['timestamp']).toEqual(expect.any(String));
  });
});

describe('a FlinkCluster of the same name that Flinkvisor did not create', () => {
  it('is never adopted: the FlinkDeployment says so in a condition, and nothing is changed', async () => {
    const spec = deployment('theirs').spec;
    const theirs = await client.create(FLINK_CLUSTER, ns, {
      apiVersion: 'flinkvisor.io/v1',
      kind: 'FlinkCluster',
      metadata: { name: 'theirs', labels: { team: 'b' } },
      spec: { ...spec.cluster, taskManagers: 3 },
    });
    await client.create(FLINK_DEPLOYMENT, ns, deployment('theirs'));
    const condition = await waitFor(
      'Ready=False NotOwned on the FlinkDeployment',
      async () => {
        const conditions = ((await client.get(FLINK_DEPLOYMENT, ns, 'theirs'))?.status?.['conditions'] ??
          []) as { type: string; status: string; reason: string; message: string }[];
        return conditions.find((c) => c.type === 'Ready' && c.reason === 'NotOwned');
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(condition.status).toBe('False');
    expect(condition.message).toContain('FlinkCluster theirs exists (no owner)');
    // A few more passes' worth of time: the cluster is as its owner made it, and no job joined it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await client.get(FLINK_CLUSTER, ns, 'theirs');
    // Its spec, labels and owners are its own (the operator still supervises it as the standalone
    // FlinkCluster it is: that finalizer is the operator's for any cluster, not the deployment's).
    expect(after?.metadata.generation).toBe(theirs.metadata.generation);
    expect(after?.spec).toEqual(theirs.spec);
    expect(after?.metadata.labels).toEqual({ team: 'b' });
    expect(after?.metadata.ownerReferences).toBeUndefined();
    const jobs = (await client.list(FLINK_JOB, ns)).items.map((j) => j.metadata.name);
    expect(jobs.filter((j) => j?.startsWith('theirs-'))).toEqual([]);
    expect(events).toContain('NotOwned');
  });
});
