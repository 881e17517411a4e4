// Supervisor e2e, scenario 2 (the run's Flink line, FLINKVISOR_E2E_FLINK): a cluster with two jobs
// through failures, restarts, STOP/START of the whole cluster and deletion. Toolbox checklist
// (docs/rules.md §15) items are named in each test; where our documented semantics differ (ADR
// 0002) the test says so.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  CLUSTERS,
  JOBS,
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  kubectl,
  patchResource,
  podProcessGroups,
  readResource,
  requestAction,
  signalGroups,
  statusOf,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForClusterRemoved,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-cluster';
const cluster = 'cl';
const always = `${cluster}-always`;
const never = `${cluster}-never`;
const TASK_TIMEOUT = 20;
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(
    s.kc,
    flinkClusterManifest(ns, cluster, {
      taskSlots: 2,
      taskTimeout: TASK_TIMEOUT,
      // The example jobs checkpoint nothing, so Flink's default is not to restart a task that
      // failed: with a restart strategy, a lost TaskManager is Flink's to recover (ADR 0021's test).
      flinkConfiguration: {
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': '10',
        'restart-strategy.fixed-delay.delay': '2 s',
      },
    }),
  );
  await createResource(
    s.kc,
    flinkJobManifest(ns, cluster, 'always', s.stateDir, { restartPolicy: 'Always', restartDelay: 3 }),
  );
  await createResource(s.kc, flinkJobManifest(ns, cluster, 'never', s.stateDir, { restartPolicy: 'Never' }));
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

const jobStatus = (
  name: string,
  what: string,
  p: (st: Record<string, unknown>) => boolean,
  timeoutMs?: number,
) => waitForStatus(s.kc, JOBS, ns, name, what, p, timeoutMs);
const clusterStatus = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs?: number) =>
  waitForStatus(s.kc, CLUSTERS, ns, cluster, what, p, timeoutMs);
const running = (st: Record<string, unknown>) =>
  st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING';
const epochOf = async () =>
  Number(
    (
      (await readResource(s.kc, CLUSTERS, ns, cluster))?.status?.['machine'] as {
        context?: { epoch?: number };
      }
    )?.context?.epoch ?? 0,
  );

async function jobManagerPodName(): Promise<string> {
  const [jm] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
  return jm?.metadata?.name ?? '';
}

describe(`a cluster with two jobs through failures and restarts (Flink ${flinkUnderTest.version})`, () => {
  it('starts both jobs', async () => {
    await jobStatus(always, 'running', running);
    await jobStatus(never, 'running', running);
    // Two jobs of parallelism 1 on TaskManagers of 2 slots: one TaskManager (ceiling division).
    await clusterStatus(
      'one TaskManager',
      (st) => st['taskManagers'] === 1 && st['taskManagerReplicas'] === 1,
    );
  });

  it('ADR 0021: a TaskManager evicted through the eviction API (a drain) is said once, with why, and replaced; both jobs run on', async () => {
    const jobIds = await Promise.all(
      [always, never].map(async (j) => String((await readResource(s.kc, JOBS, ns, j))?.status?.['jobId'])),
    );
    const [tm] = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    const evictedPod = tm?.metadata?.name ?? '';
    const core = s.kc.makeApiClient(CoreV1Api);
    // POST pods/{name}/eviction, as `kubectl drain` does (the budget allows one TaskManager to go).
    await core.createNamespacedPodEviction({
      name: evictedPod,
      namespace: ns,
      body: { metadata: { name: evictedPod, namespace: ns } },
    });
    const said = await clusterStatus('the eviction in status', (st) => {
      const last = st['lastDisruption'] as Record<string, unknown> | undefined;
      return last?.['pod'] === evictedPod;
    });
    expect(statusOf(said)['lastDisruption']).toMatchObject({
      role: 'taskmanager',
      reason: 'EvictionByEvictionAPI',
      message: expect.stringContaining('evicted through the eviction API'),
    });
    const replacement = await waitFor(
      'a ready replacement TaskManager',
      async () =>
        (await clusterPods(s.kc, ns, cluster, 'taskmanager')).find(
          (p) =>
            p.metadata?.name !== evictedPod &&
            (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        ),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(replacement.metadata?.name).not.toBe(evictedPod);
    // Flink restarts the tasks on the new TaskManager: the same Flink jobs, not resubmitted.
    for (const id of jobIds) await waitForTasksRunning(s, ns, cluster, id);
    for (const [i, j] of [always, never].entries())
      expect((await readResource(s.kc, JOBS, ns, j))?.status?.['jobId']).toBe(jobIds[i]);
    const events = (
      await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${cluster}` })
    ).items.filter((e) => e.reason === 'TaskManagerDisrupted' && (e.message ?? '').includes(evictedPod));
    expect(events.map((e) => e.count ?? 1)).toEqual([1]);
  });

  it('31 (our semantics, ADR 0002): a manual STOP stays stopped even with restartPolicy Always', async () => {
    await requestAction(s.kc, JOBS, ns, always, 'STOP');
    await jobStatus(always, 'Stopped', (st) => st['supervisorStatus'] === 'Stopped');
    await new Promise((r) => setTimeout(r, 12_000)); // four times restartDelay
    expect((await readResource(s.kc, JOBS, ns, always))?.status?.['supervisorStatus']).toBe('Stopped');
    await requestAction(s.kc, JOBS, ns, always, 'START');
    await jobStatus(always, 'running again', running);
  });

  it('40: when stop-with-savepoint cannot complete, the job is cancelled and still reaches Stopped', async () => {
    await patchResource(s.kc, JOBS, ns, never, {
      spec: { savepoint: { savepointTargetPath: 'file:///proc/flinkvisor-unwritable' } },
    });
    await requestAction(s.kc, JOBS, ns, never, 'STOP');
    const stopped = await jobStatus(
      never,
      'Stopped',
      (st) => st['supervisorStatus'] === 'Stopped',
      3 * TASK_TIMEOUT * 1000 + 60_000,
    );
    expect(stopped.status?.['savepointPath']).toBe('');
    await patchResource(s.kc, JOBS, ns, never, {
      spec: { savepoint: { savepointTargetPath: `file://${s.stateDir}/savepoints/${ns}/${never}` } },
    });
    await requestAction(s.kc, JOBS, ns, never, 'START');
    await jobStatus(never, 'running again', running);
  });

  it('57, 30: a job Flink no longer knows (its JobManager restarted without HA) is lost at once and handled by the restart policy', async () => {
    const alwaysBefore = String((await readResource(s.kc, JOBS, ns, always))?.status?.['jobId']);
    // kill -9 the JobManager's JVM: the kubelet restarts the container in the same pod, empty.
    signalGroups(await podProcessGroups(s, ns, await jobManagerPodName()), 'SIGKILL');
    await jobStatus(
      never,
      'Stopped (Never: not restarted)',
      (st) => st['supervisorStatus'] === 'Stopped',
      120_000,
    );
    await jobStatus(
      always,
      'restarted under a new job id',
      (st) => running(st) && st['jobId'] !== alwaysBefore,
      180_000,
    );
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await readResource(s.kc, JOBS, ns, never))?.status?.['supervisorStatus']).toBe('Stopped');
    await requestAction(s.kc, JOBS, ns, never, 'START');
    await jobStatus(never, 'running again', running);
  });

  it('13: a JobManager whose REST API stops answering for longer than taskTimeout makes the cluster UNHEALTHY and restarts it', async () => {
    const epoch = await epochOf();
    signalGroups(await podProcessGroups(s, ns, await jobManagerPodName()), 'SIGSTOP');
    await clusterStatus(
      'UNHEALTHY',
      (st) => st['clusterHealth'] === 'UNHEALTHY',
      TASK_TIMEOUT * 1000 + 60_000,
    );
    await waitFor('a restart (a new epoch)', async () => ((await epochOf()) > epoch ? true : undefined), {
      timeoutMs: TASK_TIMEOUT * 1000 + 120_000,
      intervalMs: 1000,
    });
    await clusterStatus('Started again', (st) => st['supervisorStatus'] === 'Started', 240_000);
    await jobStatus(always, 'running after the restart', running, 240_000);
    await jobStatus(
      never,
      'running after the restart (stopped by its cluster, so it resumes)',
      running,
      240_000,
    );
  });

  it('11, 56: deleting the JobManager pod restarts the cluster; the jobs, stopped with savepoints where possible, return to Started', async () => {
    const epoch = await epochOf();
    const started = Date.now();
    await s.kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ name: await jobManagerPodName(), namespace: ns });
    await waitFor('a restart (a new epoch)', async () => ((await epochOf()) > epoch ? true : undefined), {
      timeoutMs: 3 * TASK_TIMEOUT * 1000 + 120_000,
      intervalMs: 1000,
    });
    await clusterStatus(
      'restarted',
      (st) => st['supervisorStatus'] === 'Started' && st['resourceStatus'] === 'Updated',
      240_000,
    );
    expect(await epochOf()).toBeGreaterThan(epoch);
    await jobStatus(always, 'running', running, 240_000);
    await jobStatus(never, 'running', running, 240_000);
    // Bounded: taskTimeout for each stop step, plus a start; never the toolbox's deadlock.
    expect(Date.now() - started).toBeLessThan((3 * TASK_TIMEOUT + 120) * 1000);
  });

  it('12: a TaskManager count change does not restart the cluster; a JobManager spec change does', async () => {
    const epoch = await epochOf();
    await patchResource(s.kc, CLUSTERS, ns, cluster, { spec: { maxTaskManagers: 8 } });
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await epochOf()).toBe(epoch);
    await patchResource(s.kc, CLUSTERS, ns, cluster, {
      spec: { jobManager: { annotations: { 'example.com/rev': '2' } } },
    });
    await clusterStatus('restarted for the new spec', (st) => st['supervisorStatus'] === 'Started', 240_000);
    await waitFor('a new epoch', async () => ((await epochOf()) > epoch ? true : undefined), {
      timeoutMs: 240_000,
    });
    const [jm] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    expect(jm?.metadata?.annotations?.['example.com/rev']).toBe('2');
    await jobStatus(always, 'running', running, 240_000);
    await jobStatus(never, 'running', running, 240_000);
  });

  it('14: STOP on the cluster stops its jobs with savepoints, removes its pods and Service, and leaves it Stopped', async () => {
    for (const j of [always, never])
      await waitForTasksRunning(
        s,
        ns,
        cluster,
        String((await readResource(s.kc, JOBS, ns, j))?.status?.['jobId']),
      );
    await requestAction(s.kc, CLUSTERS, ns, cluster, 'STOP');
    await clusterStatus('Stopped', (st) => st['supervisorStatus'] === 'Stopped', 240_000);
    for (const j of [always, never]) {
      const st = (await readResource(s.kc, JOBS, ns, j))?.status ?? {};
      expect(st['supervisorStatus']).toBe('Stopped');
      expect(String(st['savepointPath'])).toContain('savepoint-');
    }
    await waitForClusterRemoved(s.kc, ns, cluster);
    expect(
      (await readResource(s.kc, CLUSTERS, ns, cluster))?.metadata.annotations?.[
        'flinkvisor.io/requested-action'
      ],
    ).toBeUndefined();
  });

  it('15 (our semantics, ADR 0002): START brings the cluster back and its jobs resume from their savepoints', async () => {
    const paths = await Promise.all(
      [always, never].map(async (j) =>
        String((await readResource(s.kc, JOBS, ns, j))?.status?.['savepointPath']),
      ),
    );
    await requestAction(s.kc, CLUSTERS, ns, cluster, 'START');
    await clusterStatus('Started', (st) => st['supervisorStatus'] === 'Started', 240_000);
    const a = await jobStatus(always, 'running', running, 240_000);
    const n = await jobStatus(never, 'running', running, 240_000);
    expect([a.status?.['savepointPath'], n.status?.['savepointPath']]).toEqual(paths);
  });

  it('16: START without savepoint starts the jobs without state', async () => {
    await requestAction(s.kc, CLUSTERS, ns, cluster, 'STOP');
    await clusterStatus('Stopped', (st) => st['supervisorStatus'] === 'Stopped', 240_000);
    await requestAction(s.kc, CLUSTERS, ns, cluster, 'START', true);
    await clusterStatus('Started', (st) => st['supervisorStatus'] === 'Started', 240_000);
    const a = await jobStatus(
      always,
      'running without state',
      (st) => running(st) && st['savepointPath'] === '',
      240_000,
    );
    const n = await jobStatus(
      never,
      'running without state',
      (st) => running(st) && st['savepointPath'] === '',
      240_000,
    );
    expect([a.status?.['savepointPath'], n.status?.['savepointPath']]).toEqual(['', '']);
  });

  it('27: a job that cannot start (bad entry class) is abandoned after restartTimeout, retried, and starts once its spec is fixed', async () => {
    const broken = `${cluster}-broken`;
    await createResource(
      s.kc,
      flinkJobManifest(ns, cluster, 'broken', s.stateDir, {
        className: 'com.example.NoSuchJob',
        restartPolicy: 'Always',
        restartDelay: 3,
        restartTimeout: 15,
        savepointMode: 'Manual',
      }),
    );
    await jobStatus(
      broken,
      'Stopped after the failed start',
      (st) => st['supervisorStatus'] === 'Stopped',
      120_000,
    );
    await patchResource(s.kc, JOBS, ns, broken, {
      spec: { bootstrap: { className: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing' } },
    });
    await jobStatus(broken, 'running once fixed', running, 180_000);
  });

  it('17, 60: deleting the FlinkCluster stops its jobs with savepoints, removes everything it owns, releases its jobs, and goes away', async () => {
    for (const j of [always, never]) {
      await waitForTasksRunning(
        s,
        ns,
        cluster,
        String((await readResource(s.kc, JOBS, ns, j))?.status?.['jobId']),
      );
    }
    await kubectl(s, ['delete', 'flinkcluster', cluster, '-n', ns, '--wait=false']);
    await waitFor(
      'the FlinkCluster to disappear',
      async () => ((await readResource(s.kc, CLUSTERS, ns, cluster)) ? undefined : true),
      {
        timeoutMs: 300_000,
        intervalMs: 1000,
      },
    );
    for (const j of [always, never]) {
      const res = await readResource(s.kc, JOBS, ns, j);
      expect(res?.metadata.finalizers ?? []).not.toContain('flinkvisor.io/supervisor');
      expect(String(res?.status?.['savepointPath'])).toContain('savepoint-');
    }
    // What the cluster owned (pods, Service, supervisor Deployment) is garbage-collected.
    await waitFor(
      'owned objects gone',
      async () => {
        const pods = (
          await s.kc
            .makeApiClient(CoreV1Api)
            .listNamespacedPod({ namespace: ns, labelSelector: `flinkvisor.io/cluster=${cluster}` })
        ).items;
        const deployments = (await s.kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: ns }))
          .items;
        return pods.length === 0 && deployments.length === 0 ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
  });
});
