// Supervisor e2e, scenario 1 (the run's Flink line, FLINKVISOR_E2E_FLINK): one cluster, its jobs
// driven through their lifecycle by annotations and spec changes. Toolbox checklist (docs/rules.md
// §15) items are named in each test.
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
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
  flinkJson,
  flinkRest,
  kubectl,
  patchResource,
  readResource,
  requestAction,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-jobs';
const cluster = 'lc';
const job = `${cluster}-speed`;
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  const fc = flinkClusterManifest(ns, cluster, { taskSlots: 2, rescaleDelay: 5 });
  (fc.spec.taskManager as Record<string, unknown>)['podSecurityContext'] = {
    runAsNonRoot: true,
    runAsUser: 9999,
  };
  (fc.spec.taskManager as Record<string, unknown>)['securityContext'] = { allowPrivilegeEscalation: false };
  await createResource(s.kc, fc);
  await createResource(s.kc, flinkJobManifest(ns, cluster, 'speed', s.stateDir, { parallelism: 1 }));
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

const job_ = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs?: number) =>
  waitForStatus(s.kc, JOBS, ns, job, what, p, timeoutMs);
const cluster_ = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs?: number) =>
  waitForStatus(s.kc, CLUSTERS, ns, cluster, what, p, timeoutMs);

describe(`a cluster and its job, driven through their lifecycle (Flink ${flinkUnderTest.version})`, () => {
  it('7, 25, 26, 44: the cluster starts one JobManager and its Service; the job is submitted by a bootstrap Job and runs', async () => {
    await cluster_('Started', (st) => st['supervisorStatus'] === 'Started');
    const jm = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    expect(jm).toHaveLength(1);
    expect(jm[0]?.metadata?.name).toMatch(/^jobmanager-lc-/);
    const svc = await s.kc
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: 'jobmanager-lc', namespace: ns });
    expect(svc.spec?.ports?.map((p) => p.port).sort()).toEqual([6123, 6124, 6125, 8081]);
    expect(svc.spec?.type).toBe('ClusterIP');
    const started = await job_(
      'Started and RUNNING',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    const st = started.status ?? {};
    expect(st['jobId']).toMatch(/^[0-9a-f]{32}$/);
    expect(st['clusterHealth']).toBe('HEALTHY');
    expect(st['jobParallelism']).toBe(1);
    const bootstrap = await s.kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns });
    expect(bootstrap.spec?.template.spec?.containers[0]?.args).toContain(`--job-id=${String(st['jobId'])}`);
    const flink = await flinkRest(s, ns, cluster);
    const details = await flinkJson<{ state: string }>(`${flink}/jobs/${String(st['jobId'])}`);
    expect(details.state).toBe('RUNNING');
    // The switch reached the pods: the JobManager runs the line under test.
    const config = await flinkJson<{ 'flink-version': string }>(`${flink}/config`);
    expect(config['flink-version']).toBe(flinkUnderTest.version);
  });

  it('20, 58, 9, 18: TaskManagers follow the jobs with ceiling division; the cluster is Updated once slots suffice', async () => {
    const fc = await cluster_('Updated', (st) => st['resourceStatus'] === 'Updated');
    expect(fc.status?.['taskManagers']).toBe(1);
    expect(fc.status?.['taskManagerReplicas']).toBe(1);
    expect(fc.status?.['totalTaskSlots']).toBe(2);
    expect(fc.status?.['labelSelector']).toContain('flinkvisor.io/cluster=lc');
    expect(await clusterPods(s.kc, ns, cluster, 'taskmanager')).toHaveLength(1);
  });

  it('59, 60: the generated pods carry the security contexts of the spec and ownerReferences to their resource', async () => {
    const [tm] = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    expect(tm?.spec?.securityContext?.runAsUser).toBe(9999);
    expect(tm?.spec?.containers[0]?.securityContext?.allowPrivilegeEscalation).toBe(false);
    const owner = tm?.metadata?.ownerReferences?.[0];
    expect(owner).toMatchObject({ kind: 'FlinkCluster', name: cluster, controller: true });
    const bootstrap = await s.kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns });
    expect(bootstrap.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'FlinkJob',
      name: job,
      controller: true,
    });
  });

  it('36: TRIGGER_SAVEPOINT gives a new savepoint; the annotation is cleared', async () => {
    await waitForTasksRunning(s, ns, cluster, statusJobId(await readResource(s.kc, JOBS, ns, job)));
    await requestAction(s.kc, JOBS, ns, job, 'TRIGGER_SAVEPOINT');
    const done = await job_('a savepoint', (st) => String(st['savepointPath'] ?? '').length > 0);
    expect(String(done.status?.['savepointPath'])).toContain('savepoint-');
    expect(done.status?.['savepointTimestamp']).toBeTruthy();
    await waitFor(
      'the requested-action annotation to be cleared',
      async () =>
        (await readResource(s.kc, JOBS, ns, job))?.metadata.annotations?.['flinkvisor.io/requested-action']
          ? undefined
          : true,
      { timeoutMs: 30_000 },
    );
  });

  it('37: FORGET_SAVEPOINT clears the savepoint path', async () => {
    await requestAction(s.kc, JOBS, ns, job, 'FORGET_SAVEPOINT');
    await job_('no savepoint', (st) => st['savepointPath'] === '');
  });

  it('33: STOP with savepointMode Automatic stops with a savepoint; the job id is cleared', async () => {
    const before = statusJobId(await readResource(s.kc, JOBS, ns, job));
    await waitForTasksRunning(s, ns, cluster, before);
    await requestAction(s.kc, JOBS, ns, job, 'STOP');
    const stopped = await job_(
      'Stopped with a savepoint',
      (st) => st['supervisorStatus'] === 'Stopped' && String(st['savepointPath'] ?? '') !== '',
    );
    expect(stopped.status?.['jobId'] ?? '').toBe('');
    const flink = await flinkRest(s, ns, cluster);
    // Flink serves job details from a cache refreshed every web.refresh-interval (3 s): a read soon
    // after the one before the STOP may still say RUNNING, so the end state is awaited.
    const ended = await waitFor(
      'Flink to list the stopped job as ended',
      async () => {
        const { state } = await flinkJson<{ state: string }>(`${flink}/jobs/${before}`);
        return state === 'RUNNING' ? undefined : state;
      },
      { timeoutMs: 15_000 },
    );
    expect(ended).toBe('FINISHED'); // stop-with-savepoint ends a job FINISHED, a cancel would be CANCELED
  });

  it('35: START restarts the job from its savepoint', async () => {
    const path = String((await readResource(s.kc, JOBS, ns, job))?.status?.['savepointPath']);
    await requestAction(s.kc, JOBS, ns, job, 'START');
    const started = await job_(
      'running again',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    const bootstrap = await s.kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns });
    expect(bootstrap.spec?.template.spec?.containers[0]?.args).toContain(`--savepoint-path=${path}`);
    expect(started.status?.['savepointPath']).toBe(path);
  });

  it('34: STOP without savepoint cancels and keeps the savepoint path; START without savepoint clears it', async () => {
    await waitForTasksRunning(s, ns, cluster, statusJobId(await readResource(s.kc, JOBS, ns, job)));
    const path = String((await readResource(s.kc, JOBS, ns, job))?.status?.['savepointPath']);
    await requestAction(s.kc, JOBS, ns, job, 'STOP', true);
    const stopped = await job_('Stopped', (st) => st['supervisorStatus'] === 'Stopped');
    expect(stopped.status?.['savepointPath']).toBe(path);
    await requestAction(s.kc, JOBS, ns, job, 'START', true);
    const started = await job_(
      'running without state',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    expect(started.status?.['savepointPath']).toBe('');
  });

  it('38, 39: periodic savepoints follow savepointInterval; a failing one is abandoned without stopping the job', async () => {
    await patchResource(s.kc, JOBS, ns, job, { spec: { savepoint: { savepointInterval: 8 } } });
    const first = await job_(
      'a periodic savepoint',
      (st) => String(st['savepointPath'] ?? '') !== '',
      60_000,
    );
    const firstPath = String(first.status?.['savepointPath']);
    await job_('another periodic savepoint', (st) => String(st['savepointPath'] ?? '') !== firstPath, 60_000);
    // An unwritable target: the savepoint fails, the job keeps running.
    await patchResource(s.kc, JOBS, ns, job, {
      spec: { savepoint: { savepointTargetPath: 'file:///proc/flinkvisor-unwritable' } },
    });
    await new Promise((r) => setTimeout(r, 20_000));
    const still = await readResource(s.kc, JOBS, ns, job);
    expect(still?.status?.['supervisorStatus']).toBe('Started');
    expect(still?.status?.['jobStatus']).toBe('RUNNING');
    await patchResource(s.kc, JOBS, ns, job, {
      spec: {
        savepoint: {
          savepointInterval: 0,
          savepointTargetPath: `file://${s.stateDir}/savepoints/${ns}/${job}`,
        },
      },
    });
  });

  it('21, 20: scaling the job stops it with a savepoint and resubmits it with the new parallelism after the cluster grew', async () => {
    const before = statusJobId(await readResource(s.kc, JOBS, ns, job));
    await waitForTasksRunning(s, ns, cluster, before);
    await kubectl(s, ['scale', 'flinkjob', job, '-n', ns, '--replicas=3']);
    const scaled = await job_(
      'running at parallelism 3',
      (st) => st['jobParallelism'] === 3 && st['jobStatus'] === 'RUNNING',
    );
    // Without the adaptive scheduler (ADR 0017): one savepoint, one resubmission (a new job id) from it.
    expect(String(scaled.status?.['savepointPath'])).not.toBe('');
    expect(statusJobId(scaled)).not.toBe(before);
    const fc = await cluster_(
      '2 TaskManagers',
      (st) => st['taskManagers'] === 2 && st['taskManagerReplicas'] === 2,
    );
    expect(fc.status?.['totalTaskSlots']).toBe(4);
  });

  it('22: after the parallelism decreases, idle TaskManagers are removed after rescaleDelay', async () => {
    await kubectl(s, ['scale', 'flinkjob', job, '-n', ns, '--replicas=1']);
    await job_(
      'running at parallelism 1',
      (st) => st['jobParallelism'] === 1 && st['jobStatus'] === 'RUNNING',
    );
    await cluster_(
      'back to 1 TaskManager',
      (st) => st['taskManagers'] === 1 && st['taskManagerReplicas'] === 1,
      120_000,
    );
  });

  it('10, 29: a deleted TaskManager pod is replaced and the cluster stays Started; the job it ran fails and, with restartPolicy Never, stays Stopped until START', async () => {
    const [tm] = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    await s.kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ name: tm?.metadata?.name ?? '', namespace: ns });
    // Without checkpoints Flink does not restart a job whose TaskManager died: it FAILS.
    const failed = await job_(
      'Stopped after the failure',
      (st) => st['supervisorStatus'] === 'Stopped' && st['jobStatus'] === 'FAILED',
    );
    expect(failed.status?.['jobParallelism']).toBe(0);
    expect((await readResource(s.kc, CLUSTERS, ns, cluster))?.status?.['supervisorStatus']).toBe('Started');
    // Under rescalePolicy JobParallelism TaskManagers follow the slots the jobs hold, and a FAILED job
    // holds none. Flink fails the job within a second of the TaskManager's exit (1.20 and 2.3 alike),
    // so whether the supervisor replaces the pod before it sees the failure is a race (2.3 lost it
    // where 1.20 won it by milliseconds). Once START needs the slots again, the pod surely comes back.
    await requestAction(s.kc, JOBS, ns, job, 'START');
    await waitFor(
      'a replacement TaskManager',
      async () => {
        const pods = await clusterPods(s.kc, ns, cluster, 'taskmanager');
        return pods.length === 1 && pods[0]?.metadata?.uid !== tm?.metadata?.uid ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await job_(
      'running again',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
  });

  it('19: a Flink job that no FlinkJob owns is cancelled', async () => {
    const flink = await flinkRest(s, ns, cluster);
    const jars = await flinkJson<{ files: { id: string }[] }>(`${flink}/jars`);
    expect(jars.files).toEqual([]); // the bootstrap deleted its uploaded jar
    const form = new FormData();
    const { readFile } = await import('node:fs/promises');
    form.append(
      'jarfile',
      new Blob([await readFile(s.env.assets.flink[flinkUnderTest.line]?.examples.TopSpeedWindowing ?? '')]),
      'stray.jar',
    );
    const uploaded = await flinkJson<{ filename: string }>(`${flink}/jars/upload`, {
      method: 'POST',
      body: form,
    });
    const jarId = uploaded.filename.split('/').pop() ?? '';
    const run = await flinkJson<{ jobid: string }>(`${flink}/jars/${jarId}/run`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await waitFor(
      'the stray job to be cancelled',
      async () =>
        (await flinkJson<{ state: string }>(`${flink}/jobs/${run.jobid}`)).state === 'CANCELED'
          ? true
          : undefined,
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
  });

  it('ADR 0019: paused, the job is observed, not acted on (STOP rejected, Flink keeps running it, a spec change waits) but TRIGGER_SAVEPOINT is taken; resumed, it runs the new spec', async () => {
    const running = statusJobId(await readResource(s.kc, JOBS, ns, job));
    await waitForTasksRunning(s, ns, cluster, running);
    const flink = await flinkRest(s, ns, cluster);
    const flinkState = async (id: string) =>
      (await flinkJson<{ state: string }>(`${flink}/jobs/${id}`)).state;
    await patchResource(s.kc, JOBS, ns, job, {
      metadata: { annotations: { 'flinkvisor.io/paused': 'true' } },
    });
    await job_(
      'paused',
      (st) => st['paused'] === true && conditionOf(st, 'ReconciliationPaused')?.status === 'True',
    );

    await requestAction(s.kc, JOBS, ns, job, 'STOP');
    const rejected = await job_('STOP rejected', (st) => {
      const processed = conditionOf(st, 'ActionProcessed');
      return processed?.status === 'False' && processed.message.startsWith('STOP');
    });
    expect(conditionOf(rejected.status ?? {}, 'ActionProcessed')?.message).toContain('flinkvisor.io/paused');
    expect(rejected.status).toMatchObject({
      supervisorStatus: 'Started',
      jobId: running,
      jobStatus: 'RUNNING',
    });
    expect(await flinkState(running)).toBe('RUNNING');

    // A user's savepoint is still taken: it is how state is secured before touching a paused job.
    const before = String(rejected.status?.['savepointPath'] ?? '');
    await requestAction(s.kc, JOBS, ns, job, 'TRIGGER_SAVEPOINT');
    const saved = await job_(
      'a savepoint taken while paused',
      (st) => String(st['savepointPath'] ?? '') !== before && String(st['savepointPath'] ?? '') !== '',
    );
    expect(saved.status).toMatchObject({ jobId: running, paused: true });

    // A bootstrap change restarts a job (28); paused, it is observed and waits. The main class named
    // is the jar's own: the change restarts the same program.
    await patchResource(s.kc, JOBS, ns, job, {
      spec: { bootstrap: { className: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing' } },
    });
    const generation = Number((await readResource(s.kc, JOBS, ns, job))?.metadata.generation ?? 0);
    await job_('the change observed', (st) => Number(st['observedGeneration'] ?? 0) >= generation);
    // Two polling intervals (2 s each): a pass that acted would have begun the stop by then.
    await new Promise((r) => setTimeout(r, 4_000));
    const held = await readResource(s.kc, JOBS, ns, job);
    expect(held?.status).toMatchObject({ supervisorStatus: 'Started', jobId: running, paused: true });
    expect(await flinkState(running)).toBe('RUNNING');

    // Resumed from what is observed: the changed spec is applied (a savepoint, then the new job).
    await patchResource(s.kc, JOBS, ns, job, { metadata: { annotations: { 'flinkvisor.io/paused': null } } });
    const resumed = await job_(
      'resubmitted with the new spec',
      (st) =>
        st['paused'] === false && st['jobStatus'] === 'RUNNING' && statusJobId({ status: st }) !== running,
      120_000,
    );
    expect(conditionOf(resumed.status ?? {}, 'ReconciliationPaused')).toBeUndefined();
    // Flink's job details lag by up to web.refresh-interval (3 s, see 33): the end state is awaited.
    const ended = await waitFor(
      'Flink to list the paused-then-upgraded job as ended',
      async () => {
        const state = await flinkState(running);
        return state === 'RUNNING' ? undefined : state;
      },
      { timeoutMs: 15_000 },
    );
    expect(ended).toBe('FINISHED'); // stopped with a savepoint, not cancelled
  });

  it('28: a bootstrap change restarts the job; a restart-policy change does not', async () => {
    const before = await readResource(s.kc, JOBS, ns, job);
    await patchResource(s.kc, JOBS, ns, job, { spec: { restart: { restartDelay: 7 } } });
    await new Promise((r) => setTimeout(r, 8_000));
    expect(statusJobId(await readResource(s.kc, JOBS, ns, job))).toBe(statusJobId(before));
    await patchResource(s.kc, JOBS, ns, job, {
      spec: { bootstrap: { arguments: ['--output', '/dev/null'] } },
    });
    await job_(
      'resubmitted',
      (st) => st['jobStatus'] === 'RUNNING' && st['jobId'] !== statusJobId(before),
      180_000,
    );
  });

  it('24, 29, 32: a finishing job goes to Stopped with parallelism 0 and is not restarted by OnlyIfFailed; parallelism 0 never bootstraps', async () => {
    await createResource(
      s.kc,
      flinkJobManifest(ns, cluster, 'count', s.stateDir, {
        jar: 'WordCount',
        savepointMode: 'Manual',
        restartPolicy: 'OnlyIfFailed',
        restartDelay: 3,
      }),
    );
    const finished = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      `${cluster}-count`,
      'FINISHED and Stopped',
      (st) => st['supervisorStatus'] === 'Stopped' && st['jobStatus'] === 'FINISHED',
    );
    expect(finished.status?.['jobParallelism']).toBe(0);
    await new Promise((r) => setTimeout(r, 8_000));
    expect((await readResource(s.kc, JOBS, ns, `${cluster}-count`))?.status?.['supervisorStatus']).toBe(
      'Stopped',
    );
    await createResource(
      s.kc,
      flinkJobManifest(ns, cluster, 'idle', s.stateDir, { parallelism: 0, savepointMode: 'Manual' }),
    );
    await waitForStatus(
      s.kc,
      JOBS,
      ns,
      `${cluster}-idle`,
      'Stopped (suspended)',
      (st) => st['supervisorStatus'] === 'Stopped',
    );
    await expect(
      s.kc.makeApiClient(BatchV1Api).readNamespacedJob({ name: `bootstrap-${cluster}-idle`, namespace: ns }),
    ).rejects.toThrow();
  });

  it('41: deleting a FlinkJob cancels its Flink job without a savepoint, removes its bootstrap Job, and the resource goes away', async () => {
    const running = await readResource(s.kc, JOBS, ns, job);
    const jobId = statusJobId(running);
    const path = running?.status?.['savepointPath'];
    await kubectl(s, ['delete', 'flinkjob', job, '-n', ns, '--wait=false']);
    await waitFor(
      'the FlinkJob to disappear',
      async () => ((await readResource(s.kc, JOBS, ns, job)) ? undefined : true),
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    const flink = await flinkRest(s, ns, cluster);
    expect((await flinkJson<{ state: string }>(`${flink}/jobs/${jobId}`)).state).toBe('CANCELED');
    await expect(
      s.kc.makeApiClient(BatchV1Api).readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns }),
    ).rejects.toThrow();
    expect(path).toBeDefined();
  });
});

function conditionOf(
  status: Record<string, unknown>,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  const conditions = (status['conditions'] ?? []) as {
    type: string;
    status: string;
    reason: string;
    message: string;
  }[];
  return conditions.find((c) => c.type === type);
}

function statusJobId(r: { status?: Record<string, unknown> } | undefined): string {
  return String(r?.status?.['jobId'] ?? '');
}
