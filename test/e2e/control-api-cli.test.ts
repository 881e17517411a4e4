// Control API and CLI e2e (the run's Flink line, FLINKVISOR_E2E_FLINK): a real cluster with one
// TopSpeedWindowing job, supervised by a supervisor pod, driven only through the control API (REST)
// and the `flinkvisor` CLI — never through annotations by hand. The API server runs in this process with the admin kubeconfig, as
// in the operator pod; callers use a ServiceAccount token with RBAC on the flinkvisor.io
// resources. Toolbox checklist (docs/rules.md §15) items are named in each test.
import { BatchV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS, API_GROUP } from '../../src/api/names.ts';
import type { ControlApi } from '../../src/control-api/control-api-server.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  CLUSTERS,
  JOBS,
  clusterPods,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  podProcessGroups,
  readResource,
  signalGroups,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForClusterRemoved,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { serviceAccountToken, startE2eControlApi } from '../support/control-api.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
let api: ControlApi;
let token: string;
const ns = 'e2e-capi';
const cluster = 'capi';
const job = `${cluster}-speed`;
const flinkUnderTest = e2eFlink();

const running = (st: Record<string, unknown>) =>
  st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING';
const jobStatus = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs = 240_000) =>
  waitForStatus(s.kc, JOBS, ns, job, what, p, timeoutMs);
const clusterStatus = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs = 240_000) =>
  waitForStatus(s.kc, CLUSTERS, ns, cluster, what, p, timeoutMs);
const statusOf = async (plural: string, name: string) =>
  (await readResource(s.kc, plural, ns, name))?.status ?? {};

// ---- the two ways in

async function rest(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(`${api.url}/api/v1${path}?namespace=${ns}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `flinkvisor <args>` as a user runs it: a separate process, the token on the command line. */
function cli(args: string[], timeoutMs = 300_000): Promise<CliResult> {
  const connection = [
    '--plain-http',
    '--host',
    '127.0.0.1',
    '--port',
    String(api.port),
    '--token',
    token,
    '-n',
    ns,
  ];
  return new Promise((resolve) => {
    execFile(
      'node_modules/.bin/node',
      ['src/cli/main.ts', ...args, ...connection],
      {
        timeout: timeoutMs,
        env: { ...process.env, KUBECONFIG: '/nonexistent' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function expectOk(result: CliResult): CliResult {
  expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
  return result;
}

// ---- setup

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  token = await serviceAccountToken(s.kc, ns, 'flink-user', [
    { apiGroups: [API_GROUP], resources: ['flinkdeployments', 'flinkclusters', 'flinkjobs'], verbs: ['*'] },
    { apiGroups: [API_GROUP], resources: ['flinkclusters/scale', 'flinkjobs/scale'], verbs: ['update'] },
  ]);
  api = await startE2eControlApi(s, [ns]);
  // The cluster through the REST API, the job through the CLI.
  const created = await rest(
    'POST',
    `/clusters/${cluster}`,
    flinkClusterManifest(ns, cluster, { taskSlots: 1, rescaleDelay: 5 }).spec,
  );
  expect(created.status).toBe(201);
  const { clusterName: _c, ...jobSpec } = flinkJobManifest(ns, cluster, 'speed', s.stateDir).spec;
  const specFile = join(s.env.dir, 'speed.yaml');
  await writeFile(specFile, stringify(jobSpec));
  expectOk(
    await cli(['job', 'create', '--cluster-name', cluster, '--job-name', 'speed', '--job-spec', specFile]),
  );
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await api?.close();
  await s?.stop();
});

describe(`the control API and the CLI drive a real cluster (Flink ${flinkUnderTest.version})`, () => {
  it('45, 49: the job starts; lists and status read through REST and CLI', async () => {
    await jobStatus('Started and RUNNING', running);
    const jobs = await rest('GET', `/clusters/${cluster}/jobs`);
    expect(jobs.status).toBe(200);
    expect(jobs.body).toEqual([
      expect.objectContaining({ name: 'speed', resource: job, jobStatus: 'RUNNING' }),
    ]);
    const table = expectOk(await cli(['clusters', 'list']));
    expect(table.stdout).toMatch(new RegExp(`\\n${cluster}\\s+Started\\s`));
    const status = JSON.parse(
      expectOk(await cli(['job', 'status', '--cluster-name', cluster, '--job-name', 'speed', '-o', 'json']))
        .stdout,
    ) as Record<string, unknown>;
    expect(status).toMatchObject({ supervisorStatus: 'Started', jobStatus: 'RUNNING' });
    expect(status['machine']).toBeUndefined();
  });

  it('50: job details and metrics, JobManager metrics, TaskManager list, details and metrics come from Flink', async () => {
    const jobId = String((await statusOf(JOBS, job))['jobId']);
    const flink = await flinkRest(s, ns, cluster);
    const details = await rest('GET', `/clusters/${cluster}/jobs/speed/details`);
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({
      jid: jobId,
      state: 'RUNNING',
      name: (await flinkJson<{ name: string }>(`${flink}/jobs/${jobId}`)).name,
    });
    // Flink serves metrics from a store it refreshes at most every 10 s (metrics.fetcher.update-interval),
    // so just after the job started its gauges and the JobManager's may still be catching up.
    const metrics = await waitFor(
      "the job's metrics",
      async () => {
        const answer = await rest('GET', `/clusters/${cluster}/jobs/speed/metrics`);
        if (answer.status !== 200) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
        if (typeof answer.body['totalNumberOfCheckpoints'] === 'number') return answer;
        throw new Error(JSON.stringify(answer.body));
      },
      { timeoutMs: 45_000, intervalMs: 2000 },
    );
    expect(metrics.body['numRestarts']).toBe(0);
    const settled = { taskSlotsTotal: 1, numRegisteredTaskManagers: 1, numRunningJobs: 1 };
    let jm: Record<string, unknown> = {};
    await waitFor(
      'the JobManager metrics to show the running job',
      async () => {
        const answer = await cli(['jobmanager', 'metrics', '--cluster-name', cluster, '-o', 'json']);
        if (answer.code !== 0) throw new Error(`exit ${answer.code}: ${answer.stderr}`);
        jm = JSON.parse(answer.stdout) as Record<string, unknown>;
        if (Object.entries(settled).every(([k, v]) => jm[k] === v)) return true;
        throw new Error(JSON.stringify(Object.fromEntries(Object.keys(settled).map((k) => [k, jm[k]]))));
      },
      { timeoutMs: 45_000, intervalMs: 2000 },
    );
    expect(jm).toMatchObject(settled);
    expect(jm['jvmMemoryHeapUsed']).toBeGreaterThan(0);
    expect(Object.keys(jm['jvmGarbageCollectors'] as object).length).toBeGreaterThan(0);
    const tms = JSON.parse(
      expectOk(await cli(['taskmanagers', 'list', '--cluster-name', cluster, '-o', 'json'])).stdout,
    ) as { id: string; slotsNumber: number }[];
    expect(tms).toHaveLength(1);
    const tmId = tms[0]?.id ?? '';
    expect(
      (await flinkJson<{ taskmanagers: { id: string }[] }>(`${flink}/taskmanagers`)).taskmanagers.map(
        (t) => t.id,
      ),
    ).toEqual([tmId]);
    const tm = expectOk(
      await cli(['taskmanager', 'details', '--cluster-name', cluster, '--taskmanager-id', tmId]),
    );
    expect(tm.stdout).toMatch(/slotsNumber\s+1/);
    const tmMetrics = await rest(
      'GET',
      `/clusters/${cluster}/taskmanagers/${encodeURIComponent(tmId)}/metrics`,
    );
    expect(tmMetrics.status).toBe(200);
    expect(tmMetrics.body['jvmMemoryHeapMax']).toBeGreaterThan(0);
    expect((await rest('GET', `/clusters/${cluster}/taskmanagers/nope/details`)).status).toBe(404);
  });

  it('36, 46, 37: a savepoint through REST, forgotten through the CLI (--wait), and another one through the CLI', async () => {
    const trigger = await rest('PUT', `/clusters/${cluster}/jobs/speed/savepoint`);
    expect(trigger.status).toBe(202);
    expect(trigger.body['action']).toBe('TRIGGER_SAVEPOINT');
    const first = await jobStatus('a savepoint', (st) =>
      String(st['savepointPath'] ?? '').includes('savepoint-'),
    );
    const firstPath = String(first.status?.['savepointPath']);
    // The supervisor took it and cleared the request.
    await waitFor(
      'the action annotation to go',
      async () =>
        (await readResource(s.kc, JOBS, ns, job))?.metadata.annotations?.[ANNOTATIONS.requestedAction]
          ? undefined
          : true,
      { timeoutMs: 30_000 },
    );
    const forget = expectOk(
      await cli([
        'savepoint',
        'forget',
        '--cluster-name',
        cluster,
        '--job-name',
        'speed',
        '--wait',
        '--timeout',
        '120',
      ]),
    );
    expect(forget.stdout).toBe(`flinkjob/${job}: FORGET_SAVEPOINT requested\n`);
    expect((await statusOf(JOBS, job))['savepointPath']).toBe('');
    const again = expectOk(
      await cli([
        'savepoint',
        'trigger',
        '--cluster-name',
        cluster,
        '--job-name',
        'speed',
        '--wait',
        '--timeout',
        '120',
      ]),
    );
    expect(again.stderr).toMatch(/job capi\/speed: Started, Updated, Flink RUNNING/);
    const second = String((await statusOf(JOBS, job))['savepointPath']);
    expect(second).toContain('savepoint-');
    expect(second).not.toBe(firstPath);
  });

  it('45, 33: a second action while one is pending is 409; the STOP (savepointMode Automatic) stops with a savepoint', async () => {
    const before = String((await statusOf(JOBS, job))['savepointPath']);
    await waitForTasksRunning(s, ns, cluster, String((await statusOf(JOBS, job))['jobId']));
    // The supervisor is paused (SIGSTOP, far below its lease) while both requests arrive, so the
    // STOP is certainly still pending when the START comes: a fast supervisor once took the STOP
    // between the two requests, and the START was then rightly accepted.
    const [supervisor] = await clusterPods(s.kc, ns, cluster, 'supervisor');
    const paused = await podProcessGroups(s, ns, supervisor?.metadata?.name ?? '');
    expect(paused.length).toBeGreaterThan(0);
    signalGroups(paused, 'SIGSTOP');
    let stop: Awaited<ReturnType<typeof rest>>;
    let start: Awaited<ReturnType<typeof rest>>;
    try {
      stop = await rest('PUT', `/clusters/${cluster}/jobs/speed/stop`, { withoutSavepoint: false });
      start = await rest('PUT', `/clusters/${cluster}/jobs/speed/start`, {});
    } finally {
      signalGroups(paused, 'SIGCONT');
    }
    expect(stop.status).toBe(202);
    expect(start.status).toBe(409);
    expect(start.body['error']).toBe('ActionPending');
    const stopped = await jobStatus(
      'Stopped with a new savepoint',
      (st) => st['supervisorStatus'] === 'Stopped' && String(st['savepointPath'] ?? '') !== before,
    );
    expect(String(stopped.status?.['savepointPath'])).toContain('savepoint-');
    expect(stopped.status?.['jobId'] ?? '').toBe('');
    const view = await rest('GET', `/clusters/${cluster}/jobs/speed/status`);
    expect(view.body['lastAction']).toMatchObject({
      action: 'STOP',
      requestedAt: stop.body['actionTimestamp'],
      outcome: 'accepted',
    });
  });

  it('35: START through REST restarts the job from its savepoint', async () => {
    const path = String((await statusOf(JOBS, job))['savepointPath']);
    expect((await rest('PUT', `/clusters/${cluster}/jobs/speed/start`, {})).status).toBe(202);
    const started = await jobStatus('running again', running);
    expect(started.status?.['savepointPath']).toBe(path);
    const bootstrap = await s.kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns });
    expect(bootstrap.spec?.template.spec?.containers[0]?.args).toContain(`--savepoint-path=${path}`);
  });

  it('34, 35: STOP without savepoint keeps the savepoint path; START --without-savepoint (CLI --wait) clears it', async () => {
    const path = String((await statusOf(JOBS, job))['savepointPath']);
    const stop = expectOk(
      await cli([
        'job',
        'stop',
        '--cluster-name',
        cluster,
        '--job-name',
        'speed',
        '--without-savepoint',
        '--wait',
        '-o',
        'json',
      ]),
    );
    expect(JSON.parse(stop.stdout)).toMatchObject({ action: 'STOP', withoutSavepoint: true, name: job });
    const stopped = await statusOf(JOBS, job);
    expect(stopped['supervisorStatus']).toBe('Stopped');
    expect(stopped['savepointPath']).toBe(path);
    const start = expectOk(
      await cli([
        'job',
        'start',
        '--cluster-name',
        cluster,
        '--job-name',
        'speed',
        '--without-savepoint',
        '--wait',
      ]),
    );
    expect(start.stderr.trim().split('\n').at(-1)).toMatch(/Started, Updated, Flink RUNNING/);
    const started = await statusOf(JOBS, job);
    expect(started['jobStatus']).toBe('RUNNING');
    expect(started['savepointPath']).toBe('');
  });

  it('14: STOP on the cluster (REST) stops its job with a savepoint, removes its pods and Service, and resets the annotation', async () => {
    // Flink refuses a savepoint until every task runs; the job was (re)started just before.
    await waitForTasksRunning(s, ns, cluster, String((await statusOf(JOBS, job))['jobId']));
    expect((await rest('PUT', `/clusters/${cluster}/stop`, {})).status).toBe(202);
    await clusterStatus('Stopped', (st) => st['supervisorStatus'] === 'Stopped');
    const st = await statusOf(JOBS, job);
    expect(st['supervisorStatus']).toBe('Stopped');
    expect(String(st['savepointPath'])).toContain('savepoint-');
    await waitForClusterRemoved(s.kc, ns, cluster);
    expect(
      (await readResource(s.kc, CLUSTERS, ns, cluster))?.metadata.annotations?.[ANNOTATIONS.requestedAction],
    ).toBeUndefined();
    const proxy = await rest('GET', `/clusters/${cluster}/taskmanagers`);
    expect(proxy.status).toBe(404);
    expect(proxy.body['error']).toBe('ClusterNotRunning');
  });

  it('15: START on the cluster (CLI --wait) brings it back; the job resumes from its savepoint', async () => {
    const path = String((await statusOf(JOBS, job))['savepointPath']);
    const start = expectOk(
      await cli(['cluster', 'start', '--cluster-name', cluster, '--wait', '--timeout', '300']),
    );
    expect(start.stdout).toBe(`flinkcluster/${cluster}: START requested\n`);
    expect(start.stderr.trim().split('\n').at(-1)).toMatch(/^flinkcluster\/capi: Started, Updated/);
    const resumed = await jobStatus('running after the cluster start', running);
    expect(resumed.status?.['savepointPath']).toBe(path);
  });

  it('16: START without savepoint on the running cluster (REST) restarts it; the job starts without state', async () => {
    const epochOf = async () =>
      Number(
        ((await statusOf(CLUSTERS, cluster))['machine'] as { context?: { epoch?: number } } | undefined)
          ?.context?.epoch ?? 0,
      );
    const epoch = await epochOf();
    expect(String((await statusOf(JOBS, job))['savepointPath'])).toContain('savepoint-');
    const start = await rest('PUT', `/clusters/${cluster}/start`, { withoutSavepoint: true });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ action: 'START', withoutSavepoint: true });
    await waitFor('a cluster restart', async () => ((await epochOf()) > epoch ? true : undefined), {
      timeoutMs: 240_000,
    });
    await clusterStatus(
      'Started again',
      (st) => st['supervisorStatus'] === 'Started' && st['resourceStatus'] === 'Updated',
    );
    const stateless = await jobStatus(
      'running without state',
      (st) => running(st) && st['savepointPath'] === '',
    );
    expect(stateless.status?.['savepointPath']).toBe('');
  });

  it('21, 47: scaling the job (CLI --wait) stops it with a savepoint and resubmits it at the new parallelism once the cluster grew', async () => {
    const scale = expectOk(
      await cli([
        'job',
        'scale',
        '--cluster-name',
        cluster,
        '--job-name',
        'speed',
        '--parallelism',
        '2',
        '--wait',
        '--timeout',
        '300',
      ]),
    );
    expect(scale.stdout).toBe(`flinkjob/${job} scaled to parallelism 2\n`);
    const resource = await readResource(s.kc, JOBS, ns, job);
    expect(resource?.spec['jobParallelism']).toBe(2);
    expect(resource?.status?.['jobParallelism']).toBe(2);
    expect(resource?.status?.['jobStatus']).toBe('RUNNING');
    expect(String(resource?.status?.['savepointPath'])).toContain('savepoint-');
    const fc = await clusterStatus('2 TaskManagers', (st) => st['taskManagerReplicas'] === 2);
    expect(fc.status?.['totalTaskSlots']).toBe(2);
    // The windowing operators run at the job's parallelism (the example's car generator is not parallel).
    const details = await rest('GET', `/clusters/${cluster}/jobs/speed/details`);
    const parallelisms = (details.body['vertices'] as { parallelism: number }[]).map((v) => v.parallelism);
    expect(Math.max(...parallelisms)).toBe(2);
  });
});
