// TaskManagers under rescalePolicy None (toolbox checklist items 9 and 23): the count is the user's
// (or an autoscaler's, through the scale subresource), clamped to its bounds. The cluster runs
// Flink's adaptive scheduler: a job on it is rescaled in place, by the autoscaler's act mode and by
// kubectl scale fj alike (ADR 0017); the other path, one savepoint and one resubmission, is
// supervisor-job-lifecycle.test.ts's item 21.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { API_GROUP, API_VERSION } from '../../src/api/names.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-scale';
const cluster = 'sc';
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(
    s.kc,
    flinkClusterManifest(ns, cluster, {
      rescalePolicy: 'None',
      taskManagers: 2,
      taskSlots: 3,
      flinkConfiguration: {
        'jobmanager.scheduler': 'adaptive',
        // Rescale soon after a change (the defaults wait 30 s or more): 1.20's names, then 2.x's.
        'jobmanager.adaptive-scheduler.scaling-interval.min': '5s',
        'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '2s',
        'jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling': '5s',
        'jobmanager.adaptive-scheduler.executing.resource-stabilization-timeout': '2s',
        'jobmanager.adaptive-scheduler.rescale-trigger.max-delay': '5s',
      },
    }),
  );
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe(`a cluster whose TaskManagers are set by hand (Flink ${flinkUnderTest.version})`, () => {
  it('9: runs exactly spec.taskManagers TaskManagers', async () => {
    const fc = await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      '2 TaskManagers',
      (st) =>
        st['supervisorStatus'] === 'Started' &&
        st['taskManagerReplicas'] === 2 &&
        st['resourceStatus'] === 'Updated',
    );
    expect(fc.status?.['taskManagers']).toBe(2);
    expect(fc.status?.['totalTaskSlots']).toBe(6);
    const tms = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    // Fixed names, one per index, so a repeated scale-up could not have made a third.
    expect(tms.map((p) => p.metadata?.name?.replace(/-\d+-(\d+)$/, '-<epoch>-$1')).sort()).toEqual([
      `taskmanager-${cluster}-<epoch>-0`,
      `taskmanager-${cluster}-<epoch>-1`,
    ]);
  });

  it('ADR 0017: act mode rescales in place on the adaptive scheduler (same job id, no savepoint), and so does kubectl scale fj', async () => {
    const manifest = flinkJobManifest(ns, cluster, 'speed', s.stateDir, { parallelism: 1 });
    // Parallelism 1 is below minParallelism: brought to 2 once a short window is in, at once.
    (manifest.spec as Record<string, unknown>)['autoscaler'] = {
      enabled: true,
      mode: 'act',
      minParallelism: 2,
      maxParallelism: 4,
      // A short window that holds two samples or more (one every 15 s): CI time.
      stabilizationInterval: '2s',
      metricsWindow: '30s',
      scaleDownGracePeriod: '1h',
    };
    await createResource(s.kc, manifest);
    const job = manifest.metadata.name;
    const job_ = (what: string, p: (st: Record<string, unknown>) => boolean) =>
      waitForStatus(s.kc, JOBS, ns, job, what, p, 180_000);
    const started = await job_(
      'RUNNING',
      (st) => st['jobStatus'] === 'RUNNING' && st['jobParallelism'] === 1,
    );
    const jobId = String(started.status?.['jobId']);
    await waitForTasksRunning(s, ns, cluster, jobId);
    const flink = await flinkRest(s, ns, cluster);
    const vertexParallelism = async () =>
      (await flinkJson<{ vertices: { parallelism: number }[] }>(`${flink}/jobs/${jobId}`)).vertices.map(
        (v) => v.parallelism,
      );

    const acted = await job_(
      "running at the autoscaler's parallelism 2",
      (st) => st['jobParallelism'] === 2 && st['jobStatus'] === 'RUNNING',
    );
    const autoscaler = acted.status?.['autoscaler'] as Record<string, unknown>;
    // Recorded before the job was rescaled: the target, the spec it was decided over, and why.
    expect(autoscaler['parallelism']).toMatchObject({ value: 2, basis: 1, from: 1, reason: 'ScaleUp' });
    expect(autoscaler['mode']).toBe('act');
    expect(acted.status?.['jobId']).toBe(jobId);
    expect(acted.status?.['savepointPath']).toBe('');
    expect(new Set(await vertexParallelism())).toEqual(new Set([2]));

    // kubectl scale fj: the spec wins over the autoscaler, through the same path (in place).
    await kubectl(s, ['scale', 'flinkjob', job, '-n', ns, '--replicas=3']);
    const scaled = await job_(
      'running at parallelism 3',
      (st) => st['jobParallelism'] === 3 && st['jobStatus'] === 'RUNNING',
    );
    expect(scaled.status?.['jobId']).toBe(jobId);
    expect(scaled.status?.['savepointPath']).toBe('');
    expect((scaled.status?.['autoscaler'] as Record<string, unknown>)['parallelism']).toBeUndefined();
    expect(new Set(await vertexParallelism())).toEqual(new Set([3]));
    // Flink took no savepoint and runs one job: the same one, never resubmitted.
    const history = await flinkJson<{ history: { is_savepoint?: boolean }[] }>(
      `${flink}/jobs/${jobId}/checkpoints`,
    );
    expect(history.history.filter((h) => h.is_savepoint === true)).toEqual([]);
    const jobs = await flinkJson<{ jobs: { id: string }[] }>(`${flink}/jobs`);
    expect(jobs.jobs.map((j) => j.id)).toEqual([jobId]);

    // Out of the way of the TaskManager scenario below.
    await customObjects(s.kc).deleteNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural: JOBS,
      name: job,
    });
    await waitFor(
      `${job} deleted`,
      async () => ((await readResource(s.kc, JOBS, ns, job)) ? undefined : true),
      { timeoutMs: 60_000 },
    );
  });

  it('23: kubectl scale --replicas=0 removes every TaskManager; the cluster is Updating, then Updated', async () => {
    await kubectl(s, ['scale', 'flinkcluster', cluster, '-n', ns, '--replicas=0']);
    const scaled = await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'no TaskManager',
      (st) => st['taskManagerReplicas'] === 0 && st['resourceStatus'] === 'Updated',
      180_000,
    );
    expect(scaled.status?.['taskManagers']).toBe(0);
    expect(scaled.status?.['supervisorStatus']).toBe('Started');
    expect(await clusterPods(s.kc, ns, cluster, 'taskmanager')).toHaveLength(0);
    await kubectl(s, ['scale', 'flinkcluster', cluster, '-n', ns, '--replicas=1']);
    await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'one TaskManager again',
      (st) => st['taskManagerReplicas'] === 1 && st['resourceStatus'] === 'Updated',
      180_000,
    );
  });
});
