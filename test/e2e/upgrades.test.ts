// Stateful upgrades on real parts (issue 16, docs/upgrades.md): a FlinkJob whose arguments change is
// restarted by its upgradeMode, on Flink 1.20 (FLINKVISOR_E2E_FLINK=2.3: 2.3.0) with checkpoints and savepoints on the local S3 server
// (versitygw), checkpoints retained on cancellation. The job is the counting job
// (test/fixtures/jobs/counting): a keyed counter over a checkpointed sequence, printing
// `seq=N count=N` to its TaskManager's stdout. What each run printed, read from the node agent's
// container logs, proves what was carried over: a restored run goes on from the snapshot (count ==
// seq, no gap, never back to 1); an empty start prints count=1 again.
//
// One cluster for every scenario; one FlinkJob per scenario, all started together. The
// JobManager scenario comes last: it restarts the cluster under every job.
import { CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GROUP, API_VERSION, FLINK_SAVEPOINT, LABELS } from '../../src/api/names.ts';
import { s3PluginJarName } from '../../src/devenv/flink-distribution.ts';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { flinkRelease } from '../../src/devenv/versions.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  COUNTING_JOB_CLASS,
  countingJobJar,
  parseCountLines,
  type CountLine,
} from '../support/counting-job.ts';
import {
  JOBS,
  clusterPods,
  createResource,
  customObjects,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  patchResource,
  podProcessGroups,
  readResource,
  signalGroups,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type Resource,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

const LINE = e2eFlink().line;
const ns = 'e2e-upgrades';
const cluster = 'up';
/** Where in the bucket the cluster keeps its state. */
const BASE = 'upgrades';
const CHECKPOINT_INTERVAL_MS = 2000;
/**
 * state.checkpoints.num-retained: Flink deletes all but this many newest checkpoints. With the
 * JobManager gone, an upgrade restores status.lastCheckpoint, which the supervisor's watch records
 * at most every 30 s: it must still be retained then (docs/upgrades.md).
 */
const RETAINED_CHECKPOINTS = 10;

let s: SupervisedEnvironment;
let jar = '';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface CheckpointStats {
  counts: { completed: number };
  latest: {
    completed: { external_path?: string } | null;
    restored: { external_path?: string; is_savepoint?: boolean } | null;
  };
}

const core = () => s.kc.makeApiClient(CoreV1Api);
const name = (job: string) => `${cluster}-${job}`;
/** The job's arguments; the label (`<scenario>-<version>`) names the Flink job too (`counting <label>`). */
const args = (job: Scenario, version: string) => [
  '--label',
  `${job}-${version}`,
  '--checkpoint-interval-ms',
  String(JOBS_OF_THIS_FILE[job].checkpointMs),
];
const condition = (st: Record<string, unknown>, type: string) =>
  ((st['conditions'] as Condition[] | undefined) ?? []).find((c) => c.type === type);

/** Every line the counting job printed in this namespace: the container logs of its pods. */
async function countLines(): Promise<CountLine[]> {
  const podsDir = join(s.env.nodeAgent.dir, 'pods');
  const lines: CountLine[] = [];
  for (const dir of (await readdir(podsDir)).filter((d) => d.startsWith(`${ns}_`))) {
    for (const file of (await readdir(join(podsDir, dir))).filter((f) => f.endsWith('.log'))) {
      lines.push(...parseCountLines(await readFile(join(podsDir, dir, file), 'utf8').catch(() => '')));
    }
  }
  return lines;
}

/** The lines of one Flink job (one run), once it printed at least `atLeast`. */
async function runLines(flinkJobId: string, atLeast: number): Promise<CountLine[]> {
  return waitFor(
    `${atLeast} counts printed by Flink job ${flinkJobId}`,
    async () => {
      const mine = (await countLines()).filter((l) => l.job === flinkJobId);
      return mine.length >= atLeast ? mine : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/**
 * What one run printed is one unbroken count: each line one more than the one before, and the
 * counter agrees with the source's position (both come from the same snapshot).
 */
function expectUnbroken(lines: readonly CountLine[]): void {
  lines.forEach((l, i) => {
    expect(l.count, `line ${i} of job ${l.job}`).toBe(l.seq);
    if (i > 0) expect(l.count, `line ${i} of job ${l.job}`).toBe((lines[i - 1]?.count ?? 0) + 1);
  });
}

async function events(job: string): Promise<CoreV1Event[]> {
  return (
    await core().listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name(job)}` })
  ).items;
}

/** An Event of the job with this reason (whose message contains `saying`, if given). */
async function waitForEvent(job: string, reason: string, saying = ''): Promise<CoreV1Event> {
  return waitFor(
    `Event ${reason} of ${name(job)}${saying ? ` saying ${saying}` : ''}`,
    async () => (await events(job)).find((e) => e.reason === reason && (e.message ?? '').includes(saying)),
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

const running = (job: string) =>
  waitForStatus(
    s.kc,
    JOBS,
    ns,
    name(job),
    'Started and RUNNING',
    (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
  );

/** Until the job runs under a Flink job id other than `before` (the upgrade resubmitted it). */
const resubmitted = (job: string, before: string) =>
  waitForStatus(
    s.kc,
    JOBS,
    ns,
    name(job),
    'RUNNING under a new Flink job id',
    (st) =>
      st['supervisorStatus'] === 'Started' &&
      st['jobStatus'] === 'RUNNING' &&
      typeof st['jobId'] === 'string' &&
      st['jobId'] !== before,
  );

/** What Flink itself says the run restored. */
async function flinkRestored(flinkJobId: string) {
  return waitFor(
    `checkpoint statistics of ${flinkJobId}`,
    async () => {
      const stats = await flinkJson<CheckpointStats>(
        `${await flinkRest(s, ns, cluster)}/jobs/${flinkJobId}/checkpoints`,
      ).catch(() => undefined);
      return stats ? { restored: stats.latest.restored } : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

/** The FlinkSavepoints of a job. */
async function savepointRecords(job: string) {
  return (
    (await customObjects(s.kc).listNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural: FLINK_SAVEPOINT.plural,
      labelSelector: `${LABELS.job}=${name(job)}`,
    })) as { items: { spec: Record<string, unknown>; status?: Record<string, unknown> }[] }
  ).items;
}

/** Flink's jobs whose name starts with `prefix` (the job name carries the label). */
async function flinkJobsNamed(prefix: string) {
  const overview = await flinkJson<{ jobs: { jid: string; name: string; state: string }[] }>(
    `${await flinkRest(s, ns, cluster)}/jobs/overview`,
  );
  return overview.jobs
    .filter((j) => j.name.startsWith(prefix))
    .map(({ jid, name, state }) => ({ jid, name, state }));
}

/** SIGKILL the supervisor's processes (its pod restarts them: a crash, not a handover). */
async function killSupervisor(): Promise<void> {
  const [supervisor] = await clusterPods(s.kc, ns, cluster, 'supervisor');
  const groups = await podProcessGroups(s, ns, supervisor?.metadata?.name ?? '');
  expect(groups.length).toBeGreaterThan(0);
  signalGroups(groups, 'SIGKILL');
}

async function changeArguments(job: Scenario, version: string, extra: object = {}) {
  await patchResource(s.kc, JOBS, ns, name(job), {
    spec: { ...extra, bootstrap: { arguments: args(job, version) } },
  });
}

/** A running job that printed a few counts: the first run of a scenario. */
async function firstRun(job: string, counts = 20): Promise<{ jobId: string; resource: Resource }> {
  const resource = await running(job);
  const jobId = String(resource.status?.['jobId']);
  await waitForTasksRunning(s, ns, cluster, jobId);
  await runLines(jobId, counts);
  return { jobId, resource };
}

/** One FlinkJob per scenario: its upgradeMode and checkpoint interval (0: checkpointing off). */
const JOBS_OF_THIS_FILE = {
  savepoint: { upgradeMode: 'savepoint', checkpointMs: CHECKPOINT_INTERVAL_MS },
  stateless: { upgradeMode: 'stateless', checkpointMs: CHECKPOINT_INTERVAL_MS },
  fallback: { upgradeMode: 'savepoint', checkpointMs: CHECKPOINT_INTERVAL_MS },
  ask: { upgradeMode: 'savepoint', checkpointMs: 0 },
  killed: { upgradeMode: 'savepoint', checkpointMs: CHECKPOINT_INTERVAL_MS },
  // With RETAINED_CHECKPOINTS, the retained ones span 100 s: more than status.lastCheckpoint lags.
  laststate: { upgradeMode: 'last-state', checkpointMs: 10_000 },
} as const;
type Scenario = keyof typeof JOBS_OF_THIS_FILE;

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  const distribution = s.env.assets.flink[LINE];
  if (!distribution) throw new Error(`no Flink ${LINE} in the devenv`);
  jar = await countingJobJar(
    distribution,
    defaultCacheDir(process.env),
    consoleProgress((l) => process.stderr.write(`${l}\n`)),
  );
  const store = s.env.objectStore;
  await supervisedNamespace(s.kc, ns);
  await core().createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: 'state-credentials' },
      stringData: { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey },
    },
  });
  const fc = flinkClusterManifest(ns, cluster, {
    flinkImage: `flink:${LINE}`,
    taskManagers: 1,
    taskSlots: Object.keys(JOBS_OF_THIS_FILE).length,
    rescalePolicy: 'None',
    flinkConfiguration: {
      's3.endpoint.region': store.region,
      // last-state and the savepoint fallback restore checkpoints of a cancelled job.
      'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
      'state.checkpoints.num-retained': String(RETAINED_CHECKPOINTS),
      // Flink caches checkpoint statistics for 3 s by default; the supervisor reads them at the choice.
      'web.refresh-interval': '500',
    },
  });
  const plugin = [{ name: 'ENABLE_BUILT_IN_PLUGINS', value: s3PluginJarName(flinkRelease(LINE)) }];
  const spec = fc.spec as Record<string, unknown>;
  spec['storage'] = {
    scheme: 's3',
    baseDir: `${store.bucket}/${BASE}`,
    s3: { endpoint: store.endpoint, pathStyleAccess: true, credentialsSecret: { name: 'state-credentials' } },
  };
  spec['jobManager'] = { environment: plugin };
  (spec['taskManager'] as Record<string, unknown>)['environment'] = plugin;
  await createResource(s.kc, fc);
  for (const [job, o] of Object.entries(JOBS_OF_THIS_FILE)) {
    // Six jobs submitted at once on two cores: a start may take longer than the default 120 s.
    const fj = flinkJobManifest(ns, cluster, job, s.stateDir, {
      line: LINE,
      savepointMode: 'Automatic',
      restartTimeout: 300,
    });
    fj.spec.savepoint.savepointTargetPath = `s3://${store.bucket}/${BASE}/savepoints/${name(job)}`;
    Object.assign(fj.spec, { upgradeMode: o.upgradeMode });
    Object.assign(fj.spec.bootstrap, {
      jarPath: jar,
      className: COUNTING_JOB_CLASS,
      arguments: args(job as Scenario, 'v1'),
    });
    await createResource(s.kc, fj);
  }
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe(`upgrades of a counting job on Flink ${LINE}, state on S3`, () => {
  it('upgradeMode savepoint: stop with a savepoint (a FlinkSavepoint of kind upgrade), resubmit from it; the count goes on exactly', async () => {
    const { jobId: before } = await firstRun('savepoint');
    await changeArguments('savepoint', 'v2');
    const after = await resubmitted('savepoint', before);
    const st = after.status ?? {};
    const restored = st['restoredFrom'] as { path: string; kind: string };
    expect(restored.kind).toBe('savepoint');
    expect(restored.path).toBe(st['savepointPath']);
    expect(restored.path.startsWith(`s3://${s.env.objectStore.bucket}/${BASE}/savepoints/`)).toBe(true);
    const jobId = String(st['jobId']);
    const flink = await flinkRestored(jobId);
    expect(flink.restored?.is_savepoint).toBe(true);
    expect(String(flink.restored?.external_path).replace(/\/$/, '')).toBe(restored.path);
    // The savepoint of the stop is recorded as a FlinkSavepoint of kind upgrade.
    const records = await savepointRecords('savepoint');
    expect(records.map((r) => [r.spec['kind'], r.status?.['state'], r.status?.['path']])).toEqual([
      ['upgrade', 'Completed', restored.path],
    ]);
    expect((await waitForEvent('savepoint', 'RestoringState', restored.path)).type).toBe('Normal');
    // Stop-with-savepoint: the old run printed nothing after the savepoint, so the new run starts
    // exactly one past the old run's last count.
    const old = (await countLines()).filter((l) => l.job === before);
    const next = await runLines(jobId, 10);
    expectUnbroken(old);
    expectUnbroken(next);
    expect(next.every((l) => l.label === 'savepoint-v2')).toBe(true);
    expect(next[0]?.count).toBe((old.at(-1)?.count ?? 0) + 1);
  });

  it('upgradeMode stateless: cancel, resubmit without state; the count restarts at 1 (only because the user chose it)', async () => {
    const { jobId: before } = await firstRun('stateless');
    await changeArguments('stateless', 'v2');
    const after = await resubmitted('stateless', before);
    const st = after.status ?? {};
    expect(st['restoredFrom']).toEqual({ path: '', kind: 'none' });
    expect(condition(st, 'StateRestorable')?.reason).toBe('StartedWithoutState');
    expect((await waitForEvent('stateless', 'StatelessUpgrade')).type).toBe('Normal');
    const jobId = String(st['jobId']);
    expect((await flinkRestored(jobId)).restored).toBeNull();
    const old = (await countLines()).filter((l) => l.job === before);
    const next = await runLines(jobId, 5);
    expectUnbroken(old);
    expectUnbroken(next);
    expect(old.at(-1)?.count).toBeGreaterThan(1);
    expect(next[0]).toMatchObject({ seq: 1, count: 1, label: 'stateless-v2' });
  });

  it('savepoint target unwritable (a bucket that does not exist): falls back to a checkpoint within maxCheckpointAge (CheckpointChosen); no count lost', async () => {
    const { jobId: before } = await firstRun('fallback');
    // A completed checkpoint exists before the upgrade.
    await waitFor(
      'a completed checkpoint',
      async () => {
        const stats = await flinkJson<CheckpointStats>(
          `${await flinkRest(s, ns, cluster)}/jobs/${before}/checkpoints`,
        ).catch(() => undefined);
        return stats && stats.counts.completed > 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await changeArguments('fallback', 'v2', {
      savepoint: { savepointTargetPath: 's3://flinkvisor-no-such-bucket/savepoints' },
    });
    const after = await resubmitted('fallback', before);
    const st = after.status ?? {};
    const restored = st['restoredFrom'] as { path: string; kind: string };
    expect(restored.kind).toBe('checkpoint');
    expect(restored.path).toMatch(
      new RegExp(
        `^s3://${s.env.objectStore.bucket}/${BASE}/checkpoints/${ns}/${cluster}/${before}/chk-\\d+$`,
      ),
    );
    const said = await events('fallback');
    expect(said.find((e) => e.reason === 'StopWithSavepointFailed')?.type).toBe('Warning');
    // Chosen while the job ran, and again once it was cancelled: the newest Flink retained then.
    expect(
      said.filter((e) => e.reason === 'CheckpointChosen').some((e) => e.message?.includes(restored.path)),
    ).toBe(true);
    // A checkpoint the cancelled job completed: the newest once it ended (read again after the
    // cancel, J.Stopping.D4), or, when Flink did not answer that read in time (a loaded machine),
    // the one chosen while it ran. Either way one of its own, retained, and no count is lost (below).
    const oldStats = await flinkJson<CheckpointStats>(
      `${await flinkRest(s, ns, cluster)}/jobs/${before}/checkpoints`,
    );
    expect(oldStats.counts.completed).toBeGreaterThan(0);
    const jobId = String(st['jobId']);
    const flink = await flinkRestored(jobId);
    expect(String(flink.restored?.external_path).replace(/\/$/, '')).toBe(restored.path);
    // From a checkpoint: counts the old run printed after it are counted again, none is skipped.
    const old = (await countLines()).filter((l) => l.job === before);
    const next = await runLines(jobId, 10);
    expectUnbroken(old);
    expectUnbroken(next);
    expect(next[0]?.count).toBeGreaterThan(1);
    expect(next[0]?.count).toBeLessThanOrEqual((old.at(-1)?.count ?? 0) + 1);
  });

  it('savepoint target unwritable and no checkpoint (checkpointing off): stopped and asks (StateRestorable=False SnapshotUnavailable), never started empty', async () => {
    const { jobId: before } = await firstRun('ask');
    // restartPolicy Always: even so the job must stay stopped.
    await changeArguments('ask', 'v2', {
      savepoint: { savepointTargetPath: 's3://flinkvisor-no-such-bucket/savepoints' },
      restart: { restartPolicy: 'Always', restartDelay: 1 },
    });
    const stopped = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      name('ask'),
      'Stopped, StateRestorable=False',
      (st) => st['supervisorStatus'] === 'Stopped' && condition(st, 'StateRestorable')?.status === 'False',
    );
    expect(condition(stopped.status ?? {}, 'StateRestorable')?.reason).toBe('SnapshotUnavailable');
    expect((await waitForEvent('ask', 'SnapshotUnavailable')).type).toBe('Warning');
    // Some polls later: still stopped, the old Flink job cancelled and no other submitted.
    await new Promise((r) => setTimeout(r, 10_000));
    const later = await readResource(s.kc, JOBS, ns, name('ask'));
    expect(later?.status?.['supervisorStatus']).toBe('Stopped');
    const flinkJobs = await flinkJobsNamed('counting ask-');
    expect(flinkJobs).toEqual([{ jid: before, name: 'counting ask-v1', state: 'CANCELED' }]);
    expect((await countLines()).filter((l) => l.label === 'ask-v2')).toEqual([]);
  });

  it('the supervisor killed (SIGKILL) at each step of the upgrade (stop trigger id recorded; new job id recorded, bootstrap Job about to submit it): the upgrade completes exactly once, one savepoint, one running Flink job', async () => {
    const { jobId: before } = await firstRun('killed');
    await changeArguments('killed', 'v2');
    // Step 1, write-ahead: the trigger id is in status before the request reaches Flink.
    const triggerId = await waitFor(
      'the stop trigger id recorded in status',
      async () => {
        const st = (await readResource(s.kc, JOBS, ns, name('killed')))?.status;
        const stop = (st?.['machine'] as { context?: { stop?: { triggerId?: string | null } | null } })
          ?.context?.stop;
        return stop?.triggerId ?? undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await killSupervisor();
    const killedAt = Date.now();
    // Then at each later step a poll sees (a step passed between two polls is said, not faked).
    const steps: { what: string; at: (st: Record<string, unknown>) => boolean }[] = [
      {
        what: 'stopped with the savepoint, no new job id yet',
        at: (st) => st['supervisorStatus'] === 'Starting' && (st['jobId'] ?? '') === '',
      },
      {
        what: 'the new job id recorded, before Flink runs it',
        at: (st) =>
          st['supervisorStatus'] === 'Starting' &&
          typeof st['jobId'] === 'string' &&
          st['jobId'] !== '' &&
          st['jobId'] !== before &&
          st['jobStatus'] !== 'RUNNING',
      },
    ];
    const killedAtSteps = [`the stop trigger ${triggerId} recorded`];
    for (const step of steps) {
      const seen = await waitForStatus(
        s.kc,
        JOBS,
        ns,
        name('killed'),
        step.what,
        (st) => step.at(st) || (st['supervisorStatus'] === 'Started' && st['jobId'] !== before),
        180_000,
        100,
      );
      if (!step.at(seen.status ?? {})) break;
      await killSupervisor();
      killedAtSteps.push(step.what);
    }
    process.stderr.write(
      `[upgrades] supervisor killed ${killedAtSteps.length} times: ${killedAtSteps.join('; ')}\n`,
    );
    // The first two steps always last longer than a poll (a supervisor restart each).
    expect(killedAtSteps.length).toBeGreaterThanOrEqual(2);
    const after = await resubmitted('killed', before);
    process.stderr.write(
      `[upgrades] supervisor killed: the job ran again ${((Date.now() - killedAt) / 1000).toFixed(1)} s later\n`,
    );
    const st = after.status ?? {};
    const restored = st['restoredFrom'] as { path: string; kind: string };
    expect(restored.kind).toBe('savepoint');
    const records = await savepointRecords('killed');
    expect(records.map((r) => [r.spec['kind'], r.spec['triggerId'], r.status?.['path']])).toEqual([
      ['upgrade', triggerId, restored.path],
    ]);
    const bucketKeys = await s.env.objectStore.client.listObjects(
      s.env.objectStore.bucket,
      `${BASE}/savepoints/${name('killed')}/`,
    );
    const directories = new Set(bucketKeys.map((o) => o.key.split('/')[3]));
    expect(
      [...directories].map(
        (d) => `s3://${s.env.objectStore.bucket}/${BASE}/savepoints/${name('killed')}/${d}`,
      ),
    ).toEqual([restored.path]);
    // Flink ran the old job to its savepoint and the new one once.
    const jobId = String(st['jobId']);
    expect((await flinkJobsNamed('counting killed-')).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { jid: before, name: 'counting killed-v1', state: 'FINISHED' },
      { jid: jobId, name: 'counting killed-v2', state: 'RUNNING' },
    ]);
    const old = (await countLines()).filter((l) => l.job === before);
    const next = await runLines(jobId, 10);
    expectUnbroken(old);
    expectUnbroken(next);
    expect(next[0]?.count).toBe((old.at(-1)?.count ?? 0) + 1);
  });

  // A bad upgrade rolls back (spec.upgrade.healthCheckWindow, .rollback): the scenario belongs here,
  // on this cluster, before the JobManager scenario, once the job machine has the health gate. The
  // bad upgrade: change the arguments to add `--fail-after 20` (the counting job then fails after
  // 20 records of every run); the rollback must restore the pre-upgrade savepoint and the count
  // go on from it (expectUnbroken, first count one past the old run's last).

  it('upgradeMode last-state with the JobManager unreachable, the supervisor killed once it chose, then the JobManager pod deleted: restores the checkpoint recorded in status, from S3; no count lost', async () => {
    // The JobManager's loss restarts the cluster under every job: the other scenarios' jobs go first.
    const others = Object.keys(JOBS_OF_THIS_FILE).filter((j) => j !== 'laststate');
    await Promise.all(
      others.map((j) =>
        customObjects(s.kc).deleteNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          namespace: ns,
          plural: JOBS,
          name: name(j),
        }),
      ),
    );
    await waitFor(
      'the other FlinkJobs deleted',
      async () =>
        (await Promise.all(others.map((j) => readResource(s.kc, JOBS, ns, name(j))))).every((r) => !r)
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const { jobId: before } = await firstRun('laststate');
    // With the JobManager gone, the checkpoint the supervisor's watch recorded in status is all
    // there is: it lags Flink's newest, and is still in the bucket (RETAINED_CHECKPOINTS).
    const store = s.env.objectStore;
    const lastCheckpoint = await waitFor(
      'status.lastCheckpoint, its _metadata in the bucket',
      async () => {
        const st = (await readResource(s.kc, JOBS, ns, name('laststate')))?.status ?? {};
        const recorded = (st['lastCheckpoint'] as { path?: string } | undefined)?.path ?? '';
        if (!recorded.startsWith(`s3://${store.bucket}/`)) return undefined;
        const key = `${recorded.slice(`s3://${store.bucket}/`.length)}/_metadata`;
        const keys = (await store.client.listObjects(store.bucket, key)).map((o) => o.key);
        return keys.includes(key) ? recorded : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const [jobManager] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    const jmName = jobManager?.metadata?.name ?? '';
    const jmGroups = await podProcessGroups(s, ns, jmName);
    expect(jmGroups.length).toBeGreaterThan(0);
    signalGroups(jmGroups, 'SIGSTOP');
    const chosenOf = (st: Record<string, unknown>) =>
      (st['machine'] as { context?: { stop?: { checkpoint?: { path?: string } | null } | null } })?.context
        ?.stop?.checkpoint?.path ?? '';
    let chosen: string;
    try {
      await changeArguments('laststate', 'v2');
      // The upgrade's choice, made without Flink: the recorded checkpoint, written to status first.
      const choice = await waitForStatus(s.kc, JOBS, ns, name('laststate'), 'a checkpoint chosen', (st) =>
        chosenOf(st).startsWith('s3://'),
      );
      chosen = chosenOf(choice.status ?? {});
      // A crash right after the choice: the next supervisor restores what was recorded, no other.
      await killSupervisor();
    } finally {
      await core().deleteNamespacedPod({ name: jmName, namespace: ns, gracePeriodSeconds: 0 });
      signalGroups(jmGroups, 'SIGKILL');
    }
    const after = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      name('laststate'),
      'RUNNING under a new Flink job id after the cluster restart',
      (st) =>
        st['supervisorStatus'] === 'Started' &&
        st['jobStatus'] === 'RUNNING' &&
        st['jobId'] !== before &&
        (st['restoredFrom'] as { kind?: string } | undefined)?.kind !== undefined,
      240_000,
    );
    const st = after.status ?? {};
    const restored = st['restoredFrom'] as { path: string; kind: string };
    expect(restored).toEqual({ path: chosen, kind: 'checkpoint' });
    // The one recorded before the JobManager froze, or one the watch recorded in the last moment.
    const chk = (path: string) => Number(/chk-(\d+)$/.exec(path)?.[1]);
    expect(chk(chosen)).toBeGreaterThanOrEqual(chk(lastCheckpoint));
    expect((await waitForEvent('laststate', 'CheckpointChosen', chosen)).type).toBe('Normal');
    const jobId = String(st['jobId']);
    const flink = await flinkRestored(jobId);
    expect(String(flink.restored?.external_path).replace(/\/$/, '')).toBe(lastCheckpoint);
    const old = (await countLines()).filter((l) => l.job === before);
    const next = await runLines(jobId, 10);
    expectUnbroken(old);
    expectUnbroken(next);
    expect(next[0]?.count).toBeGreaterThan(1);
    expect(next[0]?.count).toBeLessThanOrEqual((old.at(-1)?.count ?? 0) + 1);
  });
});
