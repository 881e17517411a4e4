// Toolbox checklist item 8 (docs/rules.md §15): before a cluster enters Started, any job already
// running in its fresh JobManager is cancelled. A JobManager only runs a job Flinkvisor did not submit
// when something else reached it first (an HA store, a user with curl); the test is that user: it
// stops the supervisor while the cluster is Starting, submits a job straight to the JobManager's REST
// API, and brings the supervisor back. The restored machine must cancel the job, keep the JobManager
// (no restart), and only then report Started.
import { AppsV1Api } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervisorDeploymentName } from '../../src/api/names.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { randomFlinkId } from '../../src/flink/ids.ts';
import { mergePatch } from '../../src/kube/patch-options.ts';
import {
  CLUSTERS,
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkRest,
  readResource,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-fresh';
const cluster = 'fresh';
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  // A long taskTimeout: the supervisor is away on purpose, and Starting must not time out meanwhile.
  await createResource(
    s.kc,
    flinkClusterManifest(ns, cluster, { rescalePolicy: 'None', taskManagers: 1, taskTimeout: 900 }),
  );
});

afterAll(async () => {
  await s?.stop();
});

async function scaleSupervisor(replicas: number): Promise<void> {
  const apps = s.kc.makeApiClient(AppsV1Api);
  await apps.patchNamespacedDeployment(
    { name: supervisorDeploymentName(cluster), namespace: ns, body: { spec: { replicas } } },
    mergePatch(),
  );
  if (replicas === 0) {
    await waitFor(
      'no supervisor pod',
      async () => ((await clusterPods(s.kc, ns, cluster, 'supervisor')).length === 0 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }
}

const clusterState = async () =>
  (await readResource(s.kc, CLUSTERS, ns, cluster))?.status?.['supervisorStatus'] as string | undefined;

describe(`a fresh JobManager that already runs a job (Flink ${flinkUnderTest.version})`, () => {
  it('8: the job is cancelled before the cluster enters Started, without restarting the JobManager', async () => {
    await deploySupervisor(s.kc, ns, cluster);
    // As soon as the supervisor has created the JobManager pod and said Starting, take the
    // supervisor away: the JVM needs seconds to answer, so the cluster is still Starting. The pod
    // may show before the status does (creating it is idempotent, so it is not written ahead; on a
    // loaded machine the status write comes later): wait for both.
    await waitFor(
      'the JobManager pod, and the cluster Starting',
      async () =>
        (await clusterPods(s.kc, ns, cluster, 'jobmanager')).length > 0 &&
        (await clusterState()) === 'Starting'
          ? true
          : undefined,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await scaleSupervisor(0);
    expect(await clusterState()).toBe('Starting');
    const [jobManager] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    const jobManagerUid = jobManager?.metadata?.uid;

    // Someone else submits a job to the JobManager while nobody supervises it.
    const baseUrl = await flinkRest(s, ns, cluster);
    const flink = new FlinkRestClient({ baseUrl, dispatcher: createFlinkDispatcher(baseUrl) });
    await waitFor(
      'the JobManager REST API',
      async () => ((await flink.getOverview().catch(() => undefined)) ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const jar = await flink.uploadJar(s.env.assets.flink[flinkUnderTest.line]!.examples.TopSpeedWindowing);
    const { jobId } = await flink.runJar(jar.jarId, { jobId: randomFlinkId(), parallelism: 1 });
    expect(['CREATED', 'INITIALIZING', 'RUNNING', 'RESTARTING']).toContain(await flink.getJobStatus(jobId));
    expect(await clusterState()).toBe('Starting');

    // The supervisor returns, restores Starting from status and must clean the JobManager first.
    await scaleSupervisor(1);
    const started = await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'Started',
      (st) => st['supervisorStatus'] === 'Started',
      300_000,
    );
    // Started is entered only when no job runs: the stray job is over, by cancellation.
    expect(await flink.getJobStatus(jobId)).toBe('CANCELED');
    const jobs = await flink.listJobs();
    expect(jobs.filter((j) => j.status !== 'CANCELED')).toEqual([]);
    // The same JobManager pod: cancelled inside it, not by restarting the cluster.
    const [after] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    expect(after?.metadata?.uid).toBe(jobManagerUid);
    expect(started.status?.['clusterHealth']).toBe('HEALTHY');
  });

  it('53, 54: the returning supervisor synced its caches before it campaigned, and resumed Starting from status', async () => {
    const [sup] = await clusterPods(s.kc, ns, cluster, 'supervisor');
    const podDir = join(s.env.nodeAgent.dir, 'pods', `${ns}_${sup?.metadata?.name}_${sup?.metadata?.uid}`);
    const log = (await readFile(join(podDir, 'supervisor.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string });
    const at = (msg: string) => log.findIndex((l) => l.msg === msg);
    expect(at('caches synced; campaigning')).toBeGreaterThanOrEqual(0);
    expect(at('leading')).toBeGreaterThan(at('caches synced; campaigning'));
    const ready = await fetch(`http://${sup?.status?.podIP}:8080/readyz`);
    expect(ready.status).toBe(200);
    // No fresh machine: the cluster kept its epoch (one JobManager generation) across the absence.
    const fc = await readResource(s.kc, CLUSTERS, ns, cluster);
    const machine = fc?.status?.['machine'] as { context?: { epoch?: number } } | undefined;
    expect(machine?.context?.epoch).toBe(1);
  });
});
