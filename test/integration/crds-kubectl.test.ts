import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AutoscalingV2Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { flinkJobSpec } from '../../src/api/flink-job.ts';
import { API_GROUP, API_GROUP_VERSION, API_VERSION, taskManagerLabelSelector } from '../../src/api/names.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { PLURALS, validFixtures, type CustomResourceDocument } from '../fixtures/crds/corpus.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

// What users see through kubectl (the real binary): printer columns, `kubectl scale`,
// `kubectl explain`, and the scale subresource a HorizontalPodAutoscaler relies on.

const run = promisify(execFile);
const kc = adminKubeConfig();
const objects = kc.makeApiClient(CustomObjectsApi);
let namespace: string;
let kubectlPath: string;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(
    kubectlPath,
    ['--kubeconfig', inject('controlPlane').kubeconfigPath, ...args],
    {
      timeout: 30_000,
    },
  );
  return stdout;
}

const fixture = (file: string): CustomResourceDocument => {
  const found = validFixtures().find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return structuredClone(found.resource);
};

const ref = (kind: CustomResourceDocument['kind']) => ({
  group: API_GROUP,
  version: API_VERSION,
  namespace,
  plural: PLURALS[kind],
});

/** Writes status through the status subresource, as the supervisor does. */
async function patchStatus(
  kind: CustomResourceDocument['kind'],
  name: string,
  status: object,
): Promise<void> {
  await objects.patchNamespacedCustomObjectStatus(
    { ...ref(kind), name, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

beforeAll(async () => {
  kubectlPath = (await devenvAssets()).kubernetes.paths.kubectl;
  await installCrds(kc, crdManifests());
  namespace = await createTestNamespace(kc, 'crds-kubectl');
  for (const file of ['manual-demo-deployment.yaml', 'cluster-full.yaml', 'job-jaruri.yaml']) {
    const resource = fixture(file);
    await objects.createNamespacedCustomObject({ ...ref(resource.kind), body: resource });
  }
  await patchStatus('FlinkCluster', 'analytics', {
    resourceStatus: 'Updated',
    supervisorStatus: 'Started',
    clusterHealth: 'HEALTHY',
    labelSelector: taskManagerLabelSelector('analytics'),
    serviceMode: 'NodePort',
    taskManagers: 2,
    taskSlots: 4,
    taskManagerReplicas: 2,
    totalTaskSlots: 8,
    paused: true,
  });
  await patchStatus('FlinkJob', 'analytics-sessions', {
    resourceStatus: 'Updated',
    supervisorStatus: 'Started',
    clusterHealth: 'HEALTHY',
    labelSelector: taskManagerLabelSelector('analytics'),
    jobParallelism: 4,
    jobId: 'ecc96795e1565d8bf48b39d98f6e909a',
    jobStatus: 'RUNNING',
    restartPolicy: 'OnlyIfFailed',
    savepointMode: 'Automatic',
    savepointPath: 's3://flink-state/savepoints/analytics-sessions/savepoint-ecc967-0123456789ab',
    savepointTimestamp: new Date(Date.now() - 3 * 3600_000).toISOString(),
    paused: false,
    restarts: 2,
  });
  await patchStatus('FlinkDeployment', 'demo', {
    resourceStatus: 'Updated',
    paused: false,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Started',
        message: 'the cluster is Started',
        lastTransitionTime: new Date().toISOString(),
        observedGeneration: 1,
      },
    ],
  });
});
afterAll(async () => {
  await deleteTestNamespace(kc, namespace);
});

const columnsOf = (header: string | undefined) => (header ?? '').trim().split(/\s{2,}/);

describe('kubectl', () => {
  it('get fd,fc,fj shows the printer columns', async () => {
    const out = await kubectl('get', 'fd,fc,fj', '-n', namespace);
    const blocks = out
      .trim()
      .split(/\n\s*\n/)
      .map((b) => b.split('\n'));
    expect(blocks).toHaveLength(3);
    const [fd, fc, fj] = blocks;
    expect(columnsOf(fd?.[0])).toEqual(['NAME', 'RESOURCE-STATUS', 'AGE', 'PAUSED', 'READY']);
    expect(columnsOf(fc?.[0])).toEqual([
      'NAME',
      'RESOURCE-STATUS',
      'SUPERVISOR-STATUS',
      'CLUSTER-HEALTH',
      'TASK-MANAGERS',
      'REQUESTED-TASK-MANAGERS',
      'TASK-MANAGERS-REPLICAS',
      'TOTAL-TASK-SLOTS',
      'SERVICE-MODE',
      'AGE',
      'PAUSED',
    ]);
    expect(columnsOf(fj?.[0])).toEqual([
      'NAME',
      'RESOURCE-STATUS',
      'SUPERVISOR-STATUS',
      'CLUSTER-NAME',
      'CLUSTER-HEALTH',
      'JOB-STATUS',
      'JOB-ID',
      'JOB-RESTART',
      'JOB-PARALLELISM',
      'REQUESTED-JOB-PARALLELISM',
      'SAVEPOINT-MODE',
      'SAVEPOINT-PATH',
      'SAVEPOINT-AGE',
      'AGE',
      'PAUSED',
      'RESTARTS',
    ]);
    expect(fd?.[1]).toMatch(/^flinkdeployment\.flinkvisor\.io\/demo\s/);
    // The Ready condition's status, read by a JSONPath filter over status.conditions.
    const fdRow = columnsOf(fd?.[1]);
    expect([fdRow[1], fdRow.at(-2), fdRow.at(-1)]).toEqual(['Updated', 'false', 'True']);
    expect(columnsOf(fc?.[1]).slice(0, 9)).toEqual([
      'flinkcluster.flinkvisor.io/analytics',
      'Updated',
      'Started',
      'HEALTHY',
      '2',
      '2',
      '2',
      '8',
      'NodePort',
    ]);
    // status.paused (ADR 0019), after AGE.
    expect(columnsOf(fc?.[1]).at(-1)).toBe('true');
    expect(columnsOf(fj?.[1]).slice(0, 12)).toEqual([
      'flinkjob.flinkvisor.io/analytics-sessions',
      'Updated',
      'Started',
      'analytics',
      'HEALTHY',
      'RUNNING',
      'ecc96795e1565d8bf48b39d98f6e909a',
      'OnlyIfFailed',
      '4',
      '4',
      'Automatic',
      's3://flink-state/savepoints/analytics-sessions/savepoint-ecc967-0123456789ab',
    ]);
    // At a glance: the savepoint's age (a date column over status.savepointTimestamp), paused, and
    // Flink's restart count.
    const [savepointAge, , jobPaused, restarts] = columnsOf(fj?.[1]).slice(12);
    expect(savepointAge).toBe('3h');
    expect([jobPaused, restarts]).toEqual(['false', '2']);
  });

  it('scale fj X --replicas=3 changes spec.jobParallelism', async () => {
    expect(await kubectl('scale', 'fj', 'analytics-sessions', '--replicas=3', '-n', namespace)).toContain(
      'scaled',
    );
    const job = (await objects.getNamespacedCustomObject({
      ...ref('FlinkJob'),
      name: 'analytics-sessions',
    })) as {
      spec: { jobParallelism: number };
    };
    expect(job.spec.jobParallelism).toBe(3);
  });

  it('scale fc X --replicas=5 changes spec.taskManagers', async () => {
    await kubectl('scale', 'fc', 'analytics', '--replicas=5', '-n', namespace);
    const cluster = (await objects.getNamespacedCustomObject({
      ...ref('FlinkCluster'),
      name: 'analytics',
    })) as {
      spec: { taskManagers: number };
    };
    expect(cluster.spec.taskManagers).toBe(5);
  });

  it('explain fj.spec.savepoint prints the field descriptions', async () => {
    // explain reads the published OpenAPI v3 document, which lags CRD establishment a little.
    const out = await waitFor(
      'FlinkJob in the published OpenAPI',
      async () => kubectl('explain', 'fj.spec.savepoint'),
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const text = out.replace(/\s+/g, ' ');
    expect(text).toContain('KIND: FlinkJob');
    const savepoint = flinkJobSpec.shape.savepoint.unwrap();
    expect(text).toContain(savepoint.description?.replace(/\s+/g, ' '));
    for (const [field, schema] of Object.entries(savepoint.shape)) {
      expect(text).toContain(`${field} <`);
      expect(text).toContain((schema.description ?? '').replace(/\s+/g, ' '));
    }
  });
});

describe('scale subresource', () => {
  it('reports replicas and the TaskManager selector a HorizontalPodAutoscaler needs', async () => {
    const scale = (await objects.getNamespacedCustomObjectScale({
      ...ref('FlinkJob'),
      name: 'analytics-sessions',
    })) as {
      apiVersion: string;
      kind: string;
      spec: { replicas: number };
      status: { replicas: number; selector: string };
    };
    expect(scale).toMatchObject({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      spec: { replicas: 3 },
      status: { replicas: 4, selector: taskManagerLabelSelector('analytics') },
    });
    const clusterScale = (await objects.getNamespacedCustomObjectScale({
      ...ref('FlinkCluster'),
      name: 'analytics',
    })) as { status: { selector: string } };
    expect(clusterScale.status.selector).toBe(taskManagerLabelSelector('analytics'));
  });

  it('is usable by the HorizontalPodAutoscaler controller', async () => {
    const autoscaling = kc.makeApiClient(AutoscalingV2Api);
    const body: V2HorizontalPodAutoscaler = {
      metadata: { name: 'analytics-sessions' },
      spec: {
        scaleTargetRef: { apiVersion: API_GROUP_VERSION, kind: 'FlinkJob', name: 'analytics-sessions' },
        minReplicas: 1,
        maxReplicas: 8,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    };
    await autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace, body });
    // The controller reads /scale (AbleToScale), then the selector, then metrics. No metrics API runs
    // here, so it stops at the metrics: proof that it got past the scale subresource and the selector.
    const conditions = await waitFor(
      'the HPA controller to read the FlinkJob scale subresource',
      async () => {
        const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({
          name: 'analytics-sessions',
          namespace,
        });
        const list = hpa.status?.conditions ?? [];
        const active = list.find((c) => c.type === 'ScalingActive');
        return active && list.some((c) => c.type === 'AbleToScale') ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(conditions.find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'True',
      reason: 'SucceededGetScale',
    });
    expect(conditions.find((c) => c.type === 'ScalingActive')?.reason).not.toBe('InvalidSelector');
  });
});
