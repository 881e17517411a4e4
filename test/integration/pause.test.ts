// Pausing (ADR 0019) on the real kube-apiserver, with the operator hosting the supervisors in its
// process (fleet mode). Flink itself is absent (its image does not exist, so no pod ever runs):
// what is asserted is what Flinkvisor writes. A paused FlinkCluster is observed and reported
// paused, and nothing is created for it; resumed, it starts. A starting cluster paused does not
// repair its deleted JobManager pod; resumed, it does. A START requested while paused is rejected.
// A FlinkDeployment paused creates no children, and pausing it pauses the children it has.
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import {
  ANNOTATIONS,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  LABELS,
  MANAGED_BY,
  type KindNames,
} from '../../src/api/names.ts';
import type { Condition } from '../../src/api/status.ts';
import { freePort } from '../../src/devenv/free-port.ts';
import { ManagedProcess } from '../../src/devenv/managed-process.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { KubernetesCustomResourceClient, type CustomObject } from '../../src/kube/custom-resource-client.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const admin = adminKubeConfig();
const client = new KubernetesCustomResourceClient(admin);
const core = admin.makeApiClient(CoreV1Api);
const POLLING_SECONDS = 1;
/** Long enough that no start times out during the test: what is held is held by the pause. */
const TASK_TIMEOUT_SECONDS = 300;
/** How long "nothing happens" is watched: several polling intervals of the supervisor. */
const HELD_MS = 6_000;
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };
let ns = '';
let operator: ManagedProcess | undefined;

const clusterSpec = {
  taskManagers: 1,
  runtime: { image: 'flink-absent:0.0.0' },
  // The image a supervisor Deployment would run: unused in fleet mode.
  supervisor: {
    image: 'flinkvisor-unused:0.0.0',
    pollingInterval: POLLING_SECONDS,
    taskTimeout: TASK_TIMEOUT_SECONDS,
  },
};
const jobSpec = (clusterName: string) => ({
  clusterName,
  bootstrap: { image: 'flinkvisor-unused:0.0.0', jarPath: '/opt/flinkvisor/examples/TopSpeedWindowing.jar' },
  savepoint: { savepointMode: 'Manual' },
});

const pausedAnnotation = (paused: boolean) => ({ [ANNOTATIONS.paused]: paused ? 'true' : null });

async function setPaused(kind: KindNames, name: string, paused: boolean): Promise<void> {
  await client.patch(kind, ns, name, { metadata: { annotations: pausedAnnotation(paused) } });
}

function conditionOf(object: CustomObject | undefined, type: string): Condition | undefined {
  return ((object?.status?.['conditions'] ?? []) as Condition[]).find((c) => c.type === type);
}

/** Waits until the status says paused (or not), with ReconciliationPaused to match. */
async function waitForPaused(kind: KindNames, name: string, paused: boolean): Promise<CustomObject> {
  return waitFor(
    `${kind.kind} ${name} reported ${paused ? 'paused' : 'not paused'}`,
    async () => {
      const object = await client.get(kind, ns, name);
      const condition = conditionOf(object, 'ReconciliationPaused');
      const reported = paused
        ? object?.status?.['paused'] === true && condition?.status === 'True'
        : object?.status?.['paused'] === false && condition === undefined;
      return reported ? object : undefined;
    },
    WAIT,
  );
}

async function jobManagerPods(cluster: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({
    namespace: ns,
    labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.cluster}=${cluster},${LABELS.role}=jobmanager`,
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '');
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'pause');
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
      '--identity=pause-operator-0',
      '--bind-address=127.0.0.1',
      `--monitoring-port=${await freePort()}`,
      '--api-port=0',
    ],
    env: { ...process.env, LOG_LEVEL: 'info', POD_NAMESPACE: ns },
    cwd: PROJECT_ROOT,
    logFile: join(await mkdtemp(join(tmpdir(), 'flinkvisor-pause-')), 'operator.log'),
  });
});

afterAll(async () => {
  await operator?.stop();
  if (ns) await deleteTestNamespace(admin, ns);
});

describe('pause (ADR 0019), operator and supervisors on the real API server', () => {
  it('a cluster created paused is observed and creates nothing, nor does its job; resumed, it starts', async () => {
    await client.create(FLINK_CLUSTER, ns, {
      apiVersion: 'flinkvisor.io/v1',
      kind: 'FlinkCluster',
      metadata: { name: 'held', annotations: { [ANNOTATIONS.paused]: 'true' } },
      spec: clusterSpec,
    });
    await client.create(FLINK_JOB, ns, {
      apiVersion: 'flinkvisor.io/v1',
      kind: 'FlinkJob',
      metadata: { name: 'held-job' },
      spec: jobSpec('held'),
    });
    const cluster = await waitForPaused(FLINK_CLUSTER, 'held', true);
    expect(cluster.status?.['supervisorStatus']).toBe('Unknown');
    expect(conditionOf(cluster, 'ReconciliationPaused')?.message).toContain(ANNOTATIONS.paused);
    // The job is not annotated: the pause of the cluster it runs on holds it.
    const job = await waitForPaused(FLINK_JOB, 'held-job', true);
    expect(job.status?.['supervisorStatus']).toBe('Unknown');

    await sleep(HELD_MS);
    expect(await jobManagerPods('held')).toEqual([]);
    expect((await core.listNamespacedService({ namespace: ns })).items).toEqual([]);
    expect((await client.get(FLINK_CLUSTER, ns, 'held'))?.status?.['supervisorStatus']).toBe('Unknown');

    await setPaused(FLINK_CLUSTER, 'held', false);
    await waitFor(
      'the JobManager pod of the resumed cluster',
      async () => ((await jobManagerPods('held')).length > 0 ? true : undefined),
      WAIT,
    );
    const resumed = await waitForPaused(FLINK_CLUSTER, 'held', false);
    expect(resumed.status?.['supervisorStatus']).toBe('Starting');
    expect((await waitForPaused(FLINK_JOB, 'held-job', false)).status?.['supervisorStatus']).toBe('Starting');
  });

  it('a starting cluster paused leaves its deleted JobManager pod deleted and rejects START; resumed, it recreates it', async () => {
    await setPaused(FLINK_CLUSTER, 'held', true);
    await waitForPaused(FLINK_CLUSTER, 'held', true);
    for (const pod of await jobManagerPods('held'))
      await core.deleteNamespacedPod({ name: pod, namespace: ns, gracePeriodSeconds: 0 });
    await waitFor(
      'the JobManager pod gone',
      async () => ((await jobManagerPods('held')).length === 0 ? true : undefined),
      WAIT,
    );
    await client.patch(FLINK_CLUSTER, ns, 'held', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'START' } },
    });
    const rejected = await waitFor(
      'START rejected (ActionProcessed=False)',
      async () => {
        const processed = conditionOf(await client.get(FLINK_CLUSTER, ns, 'held'), 'ActionProcessed');
        return processed?.status === 'False' && processed.message.startsWith('START') ? processed : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(rejected.message).toContain(ANNOTATIONS.paused);

    await sleep(HELD_MS);
    expect(await jobManagerPods('held')).toEqual([]);
    expect((await client.get(FLINK_CLUSTER, ns, 'held'))?.status?.['supervisorStatus']).toBe('Starting');

    await setPaused(FLINK_CLUSTER, 'held', false);
    await waitFor(
      'the JobManager pod recreated once resumed',
      async () => ((await jobManagerPods('held')).length > 0 ? true : undefined),
      WAIT,
    );
    await waitForPaused(FLINK_CLUSTER, 'held', false);
  });

  it('a deployment created paused has no children; resumed it has, and pausing it again pauses them', async () => {
    await client.create(FLINK_DEPLOYMENT, ns, {
      apiVersion: 'flinkvisor.io/v1',
      kind: 'FlinkDeployment',
      metadata: { name: 'fleet', annotations: { [ANNOTATIONS.paused]: 'true' } },
      spec: { cluster: clusterSpec, jobs: [{ name: 'a', spec: jobSpec('fleet') }] },
    });
    await waitForPaused(FLINK_DEPLOYMENT, 'fleet', true);
    await sleep(HELD_MS);
    expect(await client.get(FLINK_CLUSTER, ns, 'fleet')).toBeUndefined();
    expect(await client.get(FLINK_JOB, ns, 'fleet-a')).toBeUndefined();

    await setPaused(FLINK_DEPLOYMENT, 'fleet', false);
    await waitFor(
      'the children of the resumed deployment',
      async () => ((await client.get(FLINK_JOB, ns, 'fleet-a')) ? true : undefined),
      WAIT,
    );
    await waitForPaused(FLINK_DEPLOYMENT, 'fleet', false);

    await setPaused(FLINK_DEPLOYMENT, 'fleet', true);
    // The operator annotates the children; their supervisor observes it and reports it.
    for (const [kind, name] of [
      [FLINK_CLUSTER, 'fleet'],
      [FLINK_JOB, 'fleet-a'],
    ] as const) {
      const child = await waitForPaused(kind, name, true);
      expect(child.metadata.annotations?.[ANNOTATIONS.paused]).toBe('true');
    }
  });
});
