// ADR 0021, a drain of a single JobManager's node (no HA), on real parts: the real control plane,
// the real `kubectl drain` (its eviction API), the node agent running the JobManager pod's preStop
// hook, a real Flink JVM and the supervisor deployed as a pod. The job is stopped with a savepoint
// (a FlinkSavepoint record of kind stop, Completed) while the hook holds the JobManager, before
// the JVM exits; the next epoch's JobManager is created and the job resumes from that savepoint.
// Not in the default e2e run (vitest.config.ts excludes it): `npm run test:e2e:drain`; its
// timing is published in docs/reliability.md.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GROUP, API_VERSION, FLINK_SAVEPOINT, LABELS } from '../../src/api/names.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  CLUSTERS,
  JOBS,
  clusterPods,
  createResource,
  customObjects,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  kubectl,
  readResource,
  startSupervisedEnvironment,
  statusOf,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-drain';
const cluster = 'dr';
const job = `${cluster}-always`;
const TASK_TIMEOUT = 60;
const flinkUnderTest = e2eFlink();

interface SavepointRecord {
  metadata: { name: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

async function savepointRecords(): Promise<SavepointRecord[]> {
  return (
    (await customObjects(s.kc).listNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural: FLINK_SAVEPOINT.plural,
      labelSelector: `${LABELS.job}=${job}`,
    })) as { items: SavepointRecord[] }
  ).items;
}

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(s.kc, flinkClusterManifest(ns, cluster, { taskSlots: 1, taskTimeout: TASK_TIMEOUT }));
  await createResource(
    s.kc,
    flinkJobManifest(ns, cluster, 'always', s.stateDir, {
      restartPolicy: 'Always',
      savepointMode: 'Automatic',
      jar: 'TopSpeedWindowing',
    }),
  );
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe(`a drain of a single JobManager's node (Flink ${flinkUnderTest.version})`, () => {
  it('ADR 0021: kubectl drain evicts the JobManager; a stop savepoint completes before its JVM exits, and the job resumes from it in the next epoch', async () => {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'running',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    const firstJobId = String(statusOf(running)['jobId']);
    await waitForTasksRunning(s, ns, cluster, firstJobId);
    const [jm] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    const jmName = jm?.metadata?.name ?? '';
    expect(jm?.spec?.terminationGracePeriodSeconds).toBe(TASK_TIMEOUT + 30);
    expect(jm?.spec?.containers[0]?.lifecycle?.preStop?.exec?.command?.[0]).toBe('bash');
    const epochBefore = (
      statusOf(await readResource(s.kc, CLUSTERS, ns, cluster))['machine'] as { context: { epoch: number } }
    ).context.epoch;
    const node = jm?.spec?.nodeName ?? '';

    // What happens, with when: the stop record completed, the old JobManager pod gone.
    const seen: { savepointCompletedMs?: number; podGoneMs?: number } = {};
    const t0 = Date.now();
    let watching = true;
    const watcher = (async () => {
      while (watching && (seen.savepointCompletedMs === undefined || seen.podGoneMs === undefined)) {
        const [records, pods] = await Promise.all([
          savepointRecords().catch(() => []),
          // Every JobManager pod, terminating ones too (clusterPods leaves those out).
          s.kc
            .makeApiClient(CoreV1Api)
            .listNamespacedPod({
              namespace: ns,
              labelSelector: `${LABELS.cluster}=${cluster},${LABELS.role}=jobmanager`,
            })
            .then((list) => list.items)
            .catch(() => undefined),
        ]);
        if (
          seen.savepointCompletedMs === undefined &&
          records.some((r) => r.spec['kind'] === 'stop' && r.status?.['state'] === 'Completed')
        )
          seen.savepointCompletedMs = Date.now() - t0;
        if (seen.podGoneMs === undefined && pods && !pods.some((p) => p.metadata?.name === jmName))
          seen.podGoneMs = Date.now() - t0;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    // The real drain: cordon, then evict the selected pods and wait until they are gone. Only the
    // JobManager is selected (the supervisor's own pod runs on the same, single node).
    await kubectl(s, [
      'drain',
      node,
      '--pod-selector',
      `${LABELS.cluster}=${cluster},${LABELS.role}=jobmanager`,
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      `--timeout=${TASK_TIMEOUT + 60}s`,
    ]);
    const drainMs = Date.now() - t0;
    // The local environment has one node: the next epoch's pods can only go back to it.
    await kubectl(s, ['uncordon', node]);
    await waitFor(
      'the watcher saw the savepoint and the pod go',
      () =>
        Promise.resolve(
          seen.savepointCompletedMs !== undefined && seen.podGoneMs !== undefined ? true : undefined,
        ),
      { timeoutMs: 30_000, intervalMs: 250 },
    ).finally(() => {
      watching = false;
    });
    await watcher;

    // The savepoint completed before the JobManager's JVM exited (the pod went after it).
    expect(seen.savepointCompletedMs).toBeLessThanOrEqual(seen.podGoneMs ?? 0);
    const stops = (await savepointRecords()).filter((r) => r.spec['kind'] === 'stop');
    expect(stops).toHaveLength(1);
    const stopPath = String(stops[0]?.status?.['path']);
    expect(stops[0]?.status).toMatchObject({ state: 'Completed', jobId: firstJobId });
    const clusterAfter = statusOf(await readResource(s.kc, CLUSTERS, ns, cluster));
    expect(clusterAfter['lastDisruption']).toMatchObject({ pod: jmName, reason: 'EvictionByEvictionAPI' });

    // The next epoch: a new JobManager, the job running again from the drain's savepoint.
    const epochOf = async () =>
      (statusOf(await readResource(s.kc, CLUSTERS, ns, cluster))['machine'] as { context: { epoch: number } })
        .context.epoch;
    const resumed = await waitFor(
      'the job running again in the next epoch',
      async () => {
        const st = statusOf(await readResource(s.kc, JOBS, ns, job));
        const again = st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING';
        return again && (await epochOf()) > epochBefore ? st : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const resumedMs = Date.now() - t0;
    const newJobId = String(resumed['jobId']);
    const flink = await flinkRest(s, ns, cluster);
    const checkpoints = await flinkJson<{
      latest?: { restored?: { external_path?: string; is_savepoint?: boolean } };
    }>(`${flink}/jobs/${newJobId}/checkpoints`);
    expect(checkpoints.latest?.restored).toMatchObject({ is_savepoint: true });
    const bare = (path: string) => path.replace(/^file:(\/\/)?/, '').replace(/\/$/, '');
    expect(bare(String(checkpoints.latest?.restored?.external_path))).toBe(bare(stopPath));
    const events = await kubectl(s, ['get', 'events', '-n', ns, '-o', 'jsonpath={.items[*].reason}']);
    expect(events.split(' ')).toContain('JobManagerDrained');

    // The timing docs/reliability.md publishes.
    process.stderr.write(
      `drain timing (taskTimeout ${TASK_TIMEOUT}s, Flink ${flinkUnderTest.version}): stop savepoint completed ${seen.savepointCompletedMs} ms, ` +
        `JobManager pod gone ${seen.podGoneMs} ms, kubectl drain returned ${drainMs} ms, job RUNNING again ${resumedMs} ms after the drain began\n`,
    );
  });
});
