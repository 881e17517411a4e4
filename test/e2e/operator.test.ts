// Operator e2e (toolbox checklist items 2–6, 42, 43, 51, 52): the operator runs as pods of its real
// Deployment (two replicas, leader-elected). Jobs are suspended (parallelism 0) to keep it light:
// this scenario is about expansion, propagation and deletion, not about Flink jobs.
import { AppsV1Api, CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { applyObjects } from '../../src/install/apply.ts';
import {
  OPERATOR_NAMESPACE,
  operatorManifests,
  workloadNamespaceManifests,
} from '../../src/install/operator-manifests.ts';
import {
  CLUSTERS,
  JOBS,
  customObjects,
  patchResource,
  readResource,
  startSupervisedEnvironment,
  waitForStatus,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-operator';
const flinkUnderTest = e2eFlink();

function deployment(name: string, jobs: string[]) {
  return {
    apiVersion: 'flinkvisor.io/v1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace: ns },
    spec: {
      cluster: {
        taskManagers: 0,
        runtime: { image: flinkUnderTest.image },
        flinkConfiguration: { 'jobmanager.memory.process.size': '1024m' },
        taskManager: { taskSlots: 1 },
        supervisor: { image: 'flinkvisor:0.1.0', pollingInterval: 2 },
      },
      jobs: jobs.map((j) => ({
        name: j,
        spec: {
          jobParallelism: 0,
          bootstrap: {
            image: 'flinkvisor:0.1.0',
            jarPath: flinkUnderTest.jarPath(),
          },
          savepoint: { savepointMode: 'Manual' },
        },
      })),
    },
  };
}

const DEPLOYMENTS = 'flinkdeployments';
const apps = () => s.kc.makeApiClient(AppsV1Api);
const core = () => s.kc.makeApiClient(CoreV1Api);

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await applyObjects(s.kc, operatorManifests({ operatorArgs: ['--api-insecure-http'] }));
  await applyObjects(s.kc, workloadNamespaceManifests(ns));
});

afterAll(async () => {
  await s?.stop();
});

async function create(body: object): Promise<void> {
  await customObjects(s.kc).createNamespacedCustomObject({
    group: 'flinkvisor.io',
    version: 'v1',
    namespace: ns,
    plural: DEPLOYMENTS,
    body,
  });
}

describe(`the operator, running as pods of its Deployment (Flink ${flinkUnderTest.version})`, () => {
  it("2, 3: expands a FlinkDeployment into a FlinkCluster and FlinkJobs and runs the cluster's supervisor", async () => {
    await create(deployment('demo', ['a', 'b']));
    await waitFor(
      'children',
      async () => ((await readResource(s.kc, JOBS, ns, 'demo-b')) ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const fd = await readResource(s.kc, DEPLOYMENTS, ns, 'demo');
    expect(fd?.metadata['finalizers']).toContain('flinkvisor.io/operator');
    const fc = await readResource(s.kc, CLUSTERS, ns, 'demo');
    expect(fc?.metadata.labels).toMatchObject({
      'flinkvisor.io/deployment': 'demo',
      'flinkvisor.io/cluster': 'demo',
    });
    expect((fc?.metadata['ownerReferences'] as { kind: string }[])[0]?.kind).toBe('FlinkDeployment');
    for (const j of ['demo-a', 'demo-b']) {
      const fj = await readResource(s.kc, JOBS, ns, j);
      expect(fj?.spec['clusterName']).toBe('demo');
      expect(fj?.metadata.labels?.['flinkvisor.io/job']).toBe(j);
    }
    const sup = await waitFor(
      'the supervisor Deployment',
      () =>
        apps()
          .readNamespacedDeployment({ name: 'supervisor-demo', namespace: ns })
          .catch(() => undefined),
      {
        timeoutMs: 60_000,
      },
    );
    expect(sup.spec?.replicas).toBe(1);
    expect(sup.metadata?.annotations?.['flinkvisor.io/supervisor-digest']).toMatch(/^[0-9a-f]+$/);
    await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      'demo',
      'Started',
      (st) => st['supervisorStatus'] === 'Started',
      180_000,
    );
    const fcNow = await readResource(s.kc, CLUSTERS, ns, 'demo');
    expect(fcNow?.metadata['finalizers']).toEqual(
      expect.arrayContaining(['flinkvisor.io/operator', 'flinkvisor.io/supervisor']),
    );
  });

  it('4: a change of spec.supervisor rolls the supervisor without touching the Flink pods', async () => {
    const jmBefore = (
      await core().listNamespacedPod({ namespace: ns, labelSelector: 'flinkvisor.io/role=jobmanager' })
    ).items.map((p) => p.metadata?.uid);
    const digestBefore = (await apps().readNamespacedDeployment({ name: 'supervisor-demo', namespace: ns }))
      .metadata?.annotations?.['flinkvisor.io/supervisor-digest'];
    await patchResource(s.kc, DEPLOYMENTS, ns, 'demo', {
      spec: { cluster: { supervisor: { pollingInterval: 3 } } },
    });
    await waitFor(
      'a new supervisor digest',
      async () => {
        const d = await apps().readNamespacedDeployment({ name: 'supervisor-demo', namespace: ns });
        return d.metadata?.annotations?.['flinkvisor.io/supervisor-digest'] !== digestBefore ? d : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect((await readResource(s.kc, CLUSTERS, ns, 'demo'))?.spec['supervisor']).toMatchObject({
      pollingInterval: 3,
    });
    await new Promise((r) => setTimeout(r, 5_000));
    const jmAfter = (
      await core().listNamespacedPod({ namespace: ns, labelSelector: 'flinkvisor.io/role=jobmanager' })
    ).items.map((p) => p.metadata?.uid);
    expect(jmAfter).toEqual(jmBefore);
  });

  it('5: a job removed from the deployment is deleted; a job deleted by hand is recreated', async () => {
    await patchResource(s.kc, DEPLOYMENTS, ns, 'demo', {
      spec: { jobs: deployment('demo', ['a']).spec.jobs },
    });
    await waitFor(
      'demo-b gone',
      async () => ((await readResource(s.kc, JOBS, ns, 'demo-b')) ? undefined : true),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const before = (await readResource(s.kc, JOBS, ns, 'demo-a'))?.metadata['uid'];
    await customObjects(s.kc).deleteNamespacedCustomObject({
      group: 'flinkvisor.io',
      version: 'v1',
      namespace: ns,
      plural: JOBS,
      name: 'demo-a',
    });
    await waitFor(
      'demo-a recreated',
      async () => {
        const fj = await readResource(s.kc, JOBS, ns, 'demo-a');
        return fj && fj.metadata['uid'] !== before ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  });

  it('6: cluster spec changes propagate, but taskManagers and jobParallelism are used at creation only', async () => {
    await patchResource(s.kc, DEPLOYMENTS, ns, 'demo', {
      spec: {
        cluster: {
          taskManagers: 3,
          maxTaskManagers: 9,
          jobManager: { annotations: { 'example.com/rev': '2' } },
        },
      },
    });
    await waitFor(
      'the jobManager change on the FlinkCluster',
      async () => {
        const fc = await readResource(s.kc, CLUSTERS, ns, 'demo');
        return (fc?.spec['jobManager'] as { annotations?: Record<string, string> })?.annotations?.[
          'example.com/rev'
        ] === '2'
          ? fc
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const fc = await readResource(s.kc, CLUSTERS, ns, 'demo');
    expect(fc?.spec['maxTaskManagers']).toBe(9);
    expect(fc?.spec['taskManagers']).toBe(0);
    const jobs = deployment('demo', ['a']).spec.jobs.map((j) => ({
      ...j,
      spec: { ...j.spec, jobParallelism: 2 },
    }));
    await patchResource(s.kc, DEPLOYMENTS, ns, 'demo', { spec: { jobs } });
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await readResource(s.kc, JOBS, ns, 'demo-a'))?.spec['jobParallelism']).toBe(0);
  });

  it('43: a FlinkJob whose cluster does not exist is Unknown, with a condition saying why', async () => {
    await customObjects(s.kc).createNamespacedCustomObject({
      group: 'flinkvisor.io',
      version: 'v1',
      namespace: ns,
      plural: JOBS,
      body: {
        apiVersion: 'flinkvisor.io/v1',
        kind: 'FlinkJob',
        metadata: { name: 'nowhere-job' },
        spec: {
          clusterName: 'nowhere',
          bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/jar.jar' },
          savepoint: { savepointMode: 'Manual' },
        },
      },
    });
    const fj = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      'nowhere-job',
      'Unknown',
      (st) => st['supervisorStatus'] === 'Unknown',
      60_000,
    );
    expect(
      (fj.status?.['conditions'] as { reason: string }[]).some((c) => c.reason === 'ClusterNotFound'),
    ).toBe(true);
  });

  it('51, 52: the operator pods are leader-elected; another replica takes over when the leader dies; /version and /metrics answer', async () => {
    const lease = () =>
      s.kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ name: 'flinkvisor-operator', namespace: OPERATOR_NAMESPACE });
    const leader = (await lease()).spec?.holderIdentity ?? '';
    const leaderPodName = leader.split('_')[0] ?? '';
    const pods = (await core().listNamespacedPod({ namespace: OPERATOR_NAMESPACE })).items;
    expect(pods).toHaveLength(2);
    const other = pods.find((p) => p.metadata?.name !== leaderPodName);
    const version = (await (await fetch(`http://${other?.status?.podIP}:8080/version`)).json()) as {
      name: string;
      version: string;
    };
    expect(version).toEqual({ name: 'flinkvisor', version: '0.1.0' });
    const started = Date.now();
    await core().deleteNamespacedPod({
      name: leaderPodName,
      namespace: OPERATOR_NAMESPACE,
      gracePeriodSeconds: 0,
    });
    const next = await waitFor(
      'a new operator leader',
      async () => {
        const holder = (await lease()).spec?.holderIdentity;
        return holder && holder !== leader ? holder : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    // The new leader acts: a new deployment is expanded.
    await create(deployment('second', []));
    await waitFor(
      'FlinkCluster second',
      async () => ((await readResource(s.kc, CLUSTERS, ns, 'second')) ? true : undefined),
      { timeoutMs: 60_000 },
    );
    const leaderPod = (await core().listNamespacedPod({ namespace: OPERATOR_NAMESPACE })).items.find(
      (p) => p.metadata?.name === next.split('_')[0],
    );
    // The gauges are refreshed every few seconds by the leader: read until they are there.
    const metrics = await waitFor(
      'the operator gauges',
      async () => {
        const text = await (await fetch(`http://${leaderPod?.status?.podIP}:8080/metrics`)).text();
        return /flinkvisor_operator_resources\{/.test(text) &&
          /reconcile_total\{controller="FlinkDeployment"/.test(text)
          ? text
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(metrics).toMatch(/flinkvisor_operator_leader 1/);
    expect(metrics).toMatch(
      /flinkvisor_operator_resources\{kind="FlinkCluster",namespace="e2e-operator",status="\w+"\} \d/,
    );
    expect(metrics).toMatch(
      /flinkvisor_operator_reconcile_total\{controller="FlinkDeployment",result="success"\} \d+/,
    );
  });

  it('42: deleting a FlinkDeployment deletes its cluster and jobs, then it goes away itself', async () => {
    await customObjects(s.kc).deleteNamespacedCustomObject({
      group: 'flinkvisor.io',
      version: 'v1',
      namespace: ns,
      plural: DEPLOYMENTS,
      name: 'demo',
    });
    await waitFor(
      'the deployment, its cluster and its job gone',
      async () => {
        const left = await Promise.all([
          readResource(s.kc, DEPLOYMENTS, ns, 'demo'),
          readResource(s.kc, CLUSTERS, ns, 'demo'),
          readResource(s.kc, JOBS, ns, 'demo-a'),
        ]);
        return left.every((x) => x === undefined) ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
    await waitFor(
      'the supervisor Deployment gone',
      async () =>
        (await apps()
          .readNamespacedDeployment({ name: 'supervisor-demo', namespace: ns })
          .catch(() => undefined))
          ? undefined
          : true,
      { timeoutMs: 60_000 },
    );
  });
});
