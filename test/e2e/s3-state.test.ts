// Durable state on a real S3-compatible server (versitygw, built from source) on both Flink lines:
// checkpoints and savepoints land in the bucket (listed through the S3 API, never the disk), STOP
// with a savepoint and START restore from it, an outage of the object store during checkpointing
// loses nothing and restarts nothing, and refused credentials are named.
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GROUP, API_VERSION, FLINK_SAVEPOINT, LABELS } from '../../src/api/names.ts';
import { s3PluginJarName } from '../../src/devenv/flink-distribution.ts';
import { flinkRelease } from '../../src/devenv/versions.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  CLUSTERS,
  JOBS,
  createResource,
  customObjects,
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
  waitForClusterRemoved,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { controlApiSurfaces, visualizerSurfaces } from '../support/secret-surfaces.ts';

let s: SupervisedEnvironment;

beforeAll(async () => {
  s = await startSupervisedEnvironment();
});

afterAll(async () => {
  await s?.stop();
});

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const checkpointsCondition = (st: Record<string, unknown>) =>
  ((st['conditions'] as Condition[] | undefined) ?? []).find((c) => c.type === 'CheckpointsProgressing');

interface CheckpointStats {
  counts: { completed: number; failed: number; restored: number };
  latest: {
    completed: { id: number; external_path?: string } | null;
    restored: { external_path?: string; is_savepoint?: boolean } | null;
  };
}

/** Every file below `dir` (logs, configuration, tokens of the pods the node agent ran). */
async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** Keys under a prefix of the state bucket, through the S3 API. */
async function bucketKeys(prefix: string): Promise<string[]> {
  const store = s.env.objectStore;
  return (await store.client.listObjects(store.bucket, prefix)).map((o) => o.key);
}

describe.each(['1.20', '2.3'])('Flink %s: state on S3', (line) => {
  const ns = `e2e-s3-${line.replace('.', '-')}`;
  const cluster = 's3c';
  const job = `${cluster}-speed`;
  const base = 'flink';
  const plugin = s3PluginJarName(flinkRelease(line));
  let jobId = '';

  const job_ = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs?: number) =>
    waitForStatus(s.kc, JOBS, ns, job, what, p, timeoutMs);
  const checkpoints = async (id: string) =>
    flinkJson<CheckpointStats>(`${await flinkRest(s, ns, cluster)}/jobs/${id}/checkpoints`);

  beforeAll(async () => {
    const store = s.env.objectStore;
    await supervisedNamespace(s.kc, ns);
    // Seed 002's layout: the keys are named after Flink's options, not the AWS variables.
    await s.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'state-credentials' },
        stringData: { 's3.access-key': store.accessKeyId, 's3.secret-key': store.secretAccessKey },
      },
    });
    const fc = flinkClusterManifest(ns, cluster, {
      flinkImage: `flink:${line}`,
      taskSlots: 1,
      flinkConfiguration: {
        'execution.checkpointing.interval': '2s',
        's3.endpoint.region': store.region,
      },
    });
    const enable = [{ name: 'ENABLE_BUILT_IN_PLUGINS', value: plugin }];
    const spec = fc.spec as Record<string, unknown>;
    spec['storage'] = {
      scheme: 's3',
      baseDir: `${store.bucket}/${base}`,
      s3: {
        endpoint: store.endpoint,
        pathStyleAccess: true,
        credentialsSecret: {
          name: 'state-credentials',
          accessKeyIdKey: 's3.access-key',
          secretAccessKeyKey: 's3.secret-key',
        },
      },
    };
    spec['jobManager'] = { environment: enable };
    (spec['taskManager'] as Record<string, unknown>)['environment'] = enable;
    await createResource(s.kc, fc);
    const fj = flinkJobManifest(ns, cluster, 'speed', s.stateDir, { line, savepointMode: 'Automatic' });
    fj.spec.savepoint.savepointTargetPath = `s3://${store.bucket}/${base}/savepoints/${ns}/${cluster}/${job}`;
    await createResource(s.kc, fj);
    await deploySupervisor(s.kc, ns, cluster);
  });

  afterAll(async () => {
    // The next Flink line gets the cores to itself.
    await s.kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: ns })
      .catch(() => undefined);
    await waitForClusterRemoved(s.kc, ns, cluster).catch(() => undefined);
  });

  it('checkpoints are written to the bucket, listed through the S3 API', async () => {
    const running = await job_(
      'Started and RUNNING',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    jobId = String(running.status?.['jobId']);
    const done = await waitFor(
      'a completed checkpoint',
      async () => {
        const c = await checkpoints(jobId).catch(() => undefined);
        return c && c.counts.completed > 0 && c.latest.completed?.external_path ? c : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const external = String(done.latest.completed?.external_path);
    expect(external).toMatch(
      new RegExp(`^s3p?a?://${s.env.objectStore.bucket}/${base}/checkpoints/${ns}/${cluster}/`),
    );
    const keys = await bucketKeys(`${base}/checkpoints/${ns}/${cluster}/${jobId}/`);
    expect(keys.some((k) => /\/chk-\d+\/_metadata$/.test(k))).toBe(true);
  });

  it('a triggered savepoint is written to the bucket and recorded in status', async () => {
    await waitForTasksRunning(s, ns, cluster, jobId);
    await requestAction(s.kc, JOBS, ns, job, 'TRIGGER_SAVEPOINT');
    const saved = await job_('a savepoint', (st) => String(st['savepointPath'] ?? '').startsWith('s3://'));
    const path = String(saved.status?.['savepointPath']);
    const prefix = path.replace(`s3://${s.env.objectStore.bucket}/`, '');
    expect(prefix.startsWith(`${base}/savepoints/${ns}/${cluster}/${job}/savepoint-`)).toBe(true);
    expect(await bucketKeys(`${prefix}/`)).toContain(`${prefix}/_metadata`);
    // The supervisor reads this line's checkpoint configuration and statistics and says they complete.
    const progressing = await job_(
      'CheckpointsProgressing=True',
      (st) => checkpointsCondition(st)?.status === 'True',
      60_000,
    );
    expect(checkpointsCondition(progressing.status ?? {})?.reason).toBe('CheckpointsCompleting');
  });

  it('STOP with a savepoint, then START: Flink restores from the S3 savepoint', async () => {
    await waitForTasksRunning(s, ns, cluster, jobId);
    await requestAction(s.kc, JOBS, ns, job, 'STOP');
    const stopped = await job_(
      'Stopped with a savepoint',
      (st) => st['supervisorStatus'] === 'Stopped' && String(st['savepointPath'] ?? '').startsWith('s3://'),
    );
    const path = String(stopped.status?.['savepointPath']);
    expect(await bucketKeys(`${path.replace(`s3://${s.env.objectStore.bucket}/`, '')}/`)).not.toHaveLength(0);
    await requestAction(s.kc, JOBS, ns, job, 'START');
    const started = await job_(
      'running again',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    jobId = String(started.status?.['jobId']);
    const restored = await waitFor(
      'restore information',
      async () => {
        const c = await checkpoints(jobId).catch(() => undefined);
        return c?.latest.restored ? c.latest.restored : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(restored.is_savepoint).toBe(true);
    expect(String(restored.external_path).replace(/\/$/, '')).toBe(path);
  });

  // One line is enough for the outage: what is proven is the supervisor's reaction, the same on both.
  const outage = line === '1.20' ? it : undefined;
  outage?.(
    'the object store down for 30 s during checkpointing: no checkpoint completes, the supervisor says so (CheckpointsProgressing=False, a Warning), then they resume and it says that; same job, no resubmission',
    async () => {
      await waitForTasksRunning(s, ns, cluster, jobId);
      await job_('CheckpointsProgressing=True', (st) => checkpointsCondition(st)?.status === 'True', 60_000);
      const store = s.env.objectStore;
      const batch = s.kc.makeApiClient(BatchV1Api);
      const submission = async () =>
        (await batch.readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns })).metadata?.annotations?.[
          'flinkvisor.io/submission'
        ];
      const submittedBefore = await submission();
      const outageMs = 30_000;
      await store.pause();
      const pausedAt = Date.now();
      let frozen: CheckpointStats;
      let stalled: Condition | undefined;
      let resumedAt: number;
      try {
        // The store is really gone: our own client gets no answer at all.
        await expect(store.client.headBucket(store.bucket)).rejects.toThrow();
        // A checkpoint in flight at the cut may still finish; after that, none can (its metadata
        // goes to the store). Flink's S3 client retries the writes instead of failing them.
        await new Promise((r) => setTimeout(r, 5_000));
        frozen = await checkpoints(jobId);
        // The supervisor says so while the store is down: the bound is 2 x 2 s + 10 s past the
        // last completed checkpoint (docs/durable-state.md).
        const said = await job_(
          'CheckpointsProgressing=False',
          (st) => checkpointsCondition(st)?.status === 'False',
          pausedAt + outageMs - Date.now(),
        );
        stalled = checkpointsCondition(said.status ?? {});
        process.stderr.write(
          `[s3 outage] CheckpointsProgressing=False ${((Date.now() - pausedAt) / 1000).toFixed(1)} s after the store stopped: ${stalled?.reason}: ${stalled?.message}\n`,
        );
        await new Promise((r) => setTimeout(r, Math.max(0, pausedAt + outageMs - Date.now())));
        expect((await checkpoints(jobId)).counts.completed).toBe(frozen.counts.completed);
      } finally {
        await store.resume();
        resumedAt = Date.now();
      }
      expect(['CheckpointsStalled', 'CheckpointsFailing']).toContain(stalled?.reason);
      expect(stalled?.message).toContain(`the last, ${frozen.latest.completed?.id ?? ''}`);
      await waitFor(
        'a checkpoint completed after the outage',
        async () => {
          const c = await checkpoints(jobId).catch(() => undefined);
          return c && c.counts.completed > frozen.counts.completed ? c : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 1000 },
      );
      const recovered = await job_(
        'CheckpointsProgressing=True again',
        (st) => checkpointsCondition(st)?.status === 'True',
        120_000,
      );
      process.stderr.write(
        `[s3 outage] CheckpointsProgressing=True ${((Date.now() - resumedAt) / 1000).toFixed(1)} s after the store came back: ${checkpointsCondition(recovered.status ?? {})?.message}\n`,
      );
      expect(checkpointsCondition(recovered.status ?? {})?.reason).toBe('CheckpointsCompleting');
      // One Warning when they stopped and one Normal Event when they resumed, not one per poll.
      const core = s.kc.makeApiClient(CoreV1Api);
      const events = await waitFor(
        'the CheckpointsResumed Event',
        async () => {
          const list = await core.listNamespacedEvent({
            namespace: ns,
            fieldSelector: `involvedObject.name=${job}`,
          });
          return list.items.some((e) => e.reason === 'CheckpointsResumed') ? list.items : undefined;
        },
        { timeoutMs: 30_000 },
      );
      // Said since the outage began (checkpoints may also stall and resume while the job starts on
      // a loaded machine: that pair is not this outage's).
      const said = events.filter(
        (e) =>
          e.reason?.startsWith('Checkpoints') &&
          new Date(e.lastTimestamp ?? e.firstTimestamp ?? 0).getTime() >= pausedAt - 1_000,
      );
      expect(said.find((e) => e.reason === stalled?.reason)?.type).toBe('Warning');
      expect(
        said.filter((e) => e.reason === 'CheckpointsResumed').map((e) => e.type),
        said.map((e) => `${e.reason} ${e.type} x${e.count ?? 1} ${e.message}`).join(' | '),
      ).toEqual(['Normal']);
      for (const e of said) expect(e.count ?? 1).toBe(1);
      const after = await readResource(s.kc, JOBS, ns, job);
      expect(after?.status?.['jobId']).toBe(jobId);
      expect(after?.status?.['jobStatus']).toBe('RUNNING');
      expect(after?.status?.['supervisorStatus']).toBe('Started');
      expect(await submission()).toBe(submittedBefore);
      const cluster_ = await readResource(s.kc, CLUSTERS, ns, cluster);
      expect(cluster_?.status?.['supervisorStatus']).toBe('Started');
      const supervisors = (
        await core.listNamespacedPod({ namespace: ns, labelSelector: 'flinkvisor.io/role=supervisor' })
      ).items;
      expect(supervisors.length).toBeGreaterThan(0);
      for (const p of supervisors) {
        expect(p.status?.containerStatuses?.every((c) => c.restartCount === 0)).toBe(true);
      }
    },
  );

  // One line is enough for retention: the history module is the same on both (ADR 0015).
  const retention = line === '1.20' ? it : undefined;
  retention?.(
    '12 periodic savepoints with savepoint.history.maxCount 3: exactly 3 FlinkSavepoints and 3 savepoint directories are left, the others disposed through the JobManager',
    async () => {
      await waitForTasksRunning(s, ns, cluster, jobId);
      const listSavepoints = async () =>
        (
          (await customObjects(s.kc).listNamespacedCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            namespace: ns,
            plural: FLINK_SAVEPOINT.plural,
            labelSelector: `${LABELS.job}=${job}`,
          })) as {
            items: {
              metadata: { name: string };
              spec: Record<string, unknown>;
              status?: Record<string, unknown>;
            }[];
          }
        ).items;
      // The manual and stop savepoints of the earlier tests count too (includeManual).
      await patchResource(s.kc, JOBS, ns, job, {
        spec: { savepoint: { savepointInterval: 1, history: { maxCount: 3, includeManual: true } } },
      });
      const periodic = new Set<string>();
      const startedAt = Date.now();
      await waitFor(
        '12 periodic savepoints recorded',
        async () => {
          for (const o of await listSavepoints())
            if (o.spec['kind'] === 'periodic' && o.status?.['state'] === 'Completed')
              periodic.add(o.metadata.name);
          return periodic.size >= 12 ? true : undefined;
        },
        { timeoutMs: 240_000, intervalMs: 250 },
      );
      process.stderr.write(
        `[s3 retention] 12 periodic savepoints completed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`,
      );
      await patchResource(s.kc, JOBS, ns, job, { spec: { savepoint: { savepointInterval: 0 } } });
      const left = await waitFor(
        '3 FlinkSavepoints left, none pending or disposing',
        async () => {
          const items = await listSavepoints();
          const settled = items.every((o) => o.status?.['state'] === 'Completed' && !o.status['disposal']);
          return settled && items.length === 3 ? items : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const status = (await readResource(s.kc, JOBS, ns, job))?.status ?? {};
      const paths = left.map((o) => String(o.status?.['path'])).sort();
      expect(paths).toContain(String(status['savepointPath']));
      // The bucket, through the S3 API: exactly the directories of the three records.
      const bucketPrefix = `s3://${s.env.objectStore.bucket}/`;
      const root = `${base}/savepoints/${ns}/${cluster}/${job}/`;
      const events = await s.kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${job}` });
      const savepointEvents = events.items
        .filter((e) => /Savepoint/.test(e.reason ?? ''))
        .map((e) => `${e.reason} x${e.count ?? 1}: ${e.message}`);
      const keys = await bucketKeys(root);
      const directories = new Set(keys.map((k) => k.slice(root.length).split('/')[0]));
      expect(
        [...directories].map((d) => `${bucketPrefix}${root}${d}`).sort(),
        `the keys left under ${root}: ${keys.map((k) => k.slice(root.length)).join(', ')}; the job's savepoint Events: ${savepointEvents.join(' | ')}`,
      ).toEqual(paths);
      for (const path of paths)
        expect(await bucketKeys(`${path.slice(bucketPrefix.length)}/`)).toContain(
          `${path.slice(bucketPrefix.length)}/_metadata`,
        );
      expect(events.items.filter((e) => e.reason === 'SavepointDisposed').length).toBeGreaterThanOrEqual(11);
      expect(events.items.filter((e) => e.reason === 'SavepointDisposalFailed')).toEqual([]);
    },
  );

  retention?.(
    'a FlinkSavepoint a user creates is taken as a manual savepoint and becomes its record; retention still leaves 3',
    async () => {
      await waitForTasksRunning(s, ns, cluster, jobId);
      await customObjects(s.kc).createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace: ns,
        plural: FLINK_SAVEPOINT.plural,
        body: {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: FLINK_SAVEPOINT.kind,
          metadata: { name: 'by-hand' },
          spec: { jobName: job },
        },
      });
      const read = async () =>
        (await customObjects(s.kc).getNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          namespace: ns,
          plural: FLINK_SAVEPOINT.plural,
          name: 'by-hand',
        })) as { metadata: { labels?: Record<string, string> }; status?: Record<string, unknown> };
      const done = await waitFor(
        'the requested savepoint completed',
        async () => {
          const o = await read();
          return o.status?.['state'] === 'Completed' ? o : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      expect(done.metadata.labels?.[LABELS.job]).toBe(job);
      const path = String(done.status?.['path']);
      const key = path.slice(`s3://${s.env.objectStore.bucket}/`.length);
      expect(await bucketKeys(`${key}/`)).toContain(`${key}/_metadata`);
      // The job's status is written after its machine recorded the savepoint: it follows.
      await job_('the requested savepoint as the latest', (st) => st['savepointPath'] === path, 30_000);
      await waitFor(
        '3 FlinkSavepoints, the request among them',
        async () => {
          const items = (
            (await customObjects(s.kc).listNamespacedCustomObject({
              group: API_GROUP,
              version: API_VERSION,
              namespace: ns,
              plural: FLINK_SAVEPOINT.plural,
            })) as { items: { metadata: { name: string } }[] }
          ).items;
          return items.length === 3 && items.some((o) => o.metadata.name === 'by-hand') ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    },
  );

  it('the secret key reaches no ConfigMap, status, Event, log line, pod file, kubectl describe, control API answer or visualizer page', async () => {
    const secret = s.env.objectStore.secretAccessKey;
    const core = s.kc.makeApiClient(CoreV1Api);
    const surfaces: Record<string, string> = {
      configMaps: JSON.stringify((await core.listNamespacedConfigMap({ namespace: ns })).items),
      events: JSON.stringify((await core.listNamespacedEvent({ namespace: ns })).items),
      flinkCluster: JSON.stringify(await readResource(s.kc, CLUSTERS, ns, cluster)),
      flinkJob: JSON.stringify(await readResource(s.kc, JOBS, ns, job)),
      pods: JSON.stringify((await core.listNamespacedPod({ namespace: ns })).items),
      describe: await kubectl(s, ['describe', 'fc,fj,pods,configmaps', '-n', ns]),
      ...(await controlApiSurfaces(s, ns, cluster, job)),
      ...(await visualizerSurfaces(s, ns, cluster, job)),
    };
    expect(surfaces['control API GET /clusters/s3c/jobs/speed/status']).toContain('savepointPath');
    expect(surfaces['visualizer GET /debug/machines']).toContain(job);
    // What the pods wrote: Flink's and the supervisor's logs, the rendered Flink configuration.
    const podsDir = join(s.env.nodeAgent.dir, 'pods');
    const podDirs = (await readdir(podsDir)).filter((d) => d.startsWith(`${ns}_`));
    expect(podDirs.length).toBeGreaterThan(2);
    for (const d of podDirs) {
      for (const f of await filesBelow(join(podsDir, d))) {
        surfaces[f] = await readFile(f, 'utf8').catch(() => '');
      }
    }
    surfaces['node-agent.log'] = await readFile(join(s.env.nodeAgent.dir, 'node-agent.log'), 'utf8');
    const leaking = Object.entries(surfaces)
      .filter(([, text]) => text.includes(secret))
      .map(([where]) => where);
    expect(leaking).toEqual([]);
    // The pods do get it, by reference to the Secret only.
    expect(surfaces['describe']).toContain("<set to the key 's3.secret-key' in secret 'state-credentials'>");
  });

  retention?.(
    'deleting the FlinkJob with savepointOnDelete: its savepoint survives as a FlinkSavepoint released from the job, and a new FlinkJob restores it with initialSavepointPath',
    async () => {
      await waitForTasksRunning(s, ns, cluster, jobId);
      await patchResource(s.kc, JOBS, ns, job, { spec: { savepoint: { savepointOnDelete: true } } });
      await job_('savepointOnDelete observed', (st) => st['supervisorStatus'] === 'Started', 30_000);
      await customObjects(s.kc).deleteNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace: ns,
        plural: JOBS,
        name: job,
      });
      await waitFor(
        'the FlinkJob gone',
        async () => ((await readResource(s.kc, JOBS, ns, job)) === undefined ? true : undefined),
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      const savepoints = async () =>
        (
          (await customObjects(s.kc).listNamespacedCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            namespace: ns,
            plural: FLINK_SAVEPOINT.plural,
          })) as {
            items: {
              metadata: { name: string; ownerReferences?: { kind: string }[] };
              spec: Record<string, unknown>;
              status?: Record<string, unknown>;
            }[];
          }
        ).items;
      const kept = (await savepoints()).filter((o) => o.spec['kind'] === 'deletion');
      expect(kept).toHaveLength(1);
      expect(kept[0]?.status?.['state']).toBe('Completed');
      expect((kept[0]?.metadata.ownerReferences ?? []).map((r) => r.kind)).not.toContain('FlinkJob');
      const path = String(kept[0]?.status?.['path']);
      const key = path.slice(`s3://${s.env.objectStore.bucket}/`.length);
      expect(await bucketKeys(`${key}/`)).toContain(`${key}/_metadata`);
      // Kubernetes' garbage collector removes the records the job still owned; the released one stays.
      await waitFor(
        'only the released FlinkSavepoint left',
        async () => {
          const left = await savepoints();
          return left.length === 1 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );

      const fj = flinkJobManifest(ns, cluster, 'restored', s.stateDir, { line, savepointMode: 'Manual' });
      (fj.spec.savepoint as Record<string, unknown>)['initialSavepointPath'] = path;
      await createResource(s.kc, fj);
      const started = await waitForStatus(
        s.kc,
        JOBS,
        ns,
        `${cluster}-restored`,
        'the new job running',
        (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
      );
      expect(started.status?.['restoredFrom']).toEqual({ path, kind: 'savepoint' });
      const restoredId = String(started.status?.['jobId']);
      const restored = await waitFor(
        "Flink's restore of the released savepoint",
        async () => (await checkpoints(restoredId).catch(() => undefined))?.latest.restored ?? undefined,
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      expect(restored.external_path).toBe(path);
    },
  );
});

describe('Flink 1.20: wrong S3 credentials', () => {
  const ns = 'e2e-s3-denied';
  const cluster = 'denied';
  const job = `${cluster}-speed`;

  beforeAll(async () => {
    const store = s.env.objectStore;
    await supervisedNamespace(s.kc, ns);
    await s.kc.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'stale-credentials' },
        stringData: { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: 'not-the-secret-key' },
      },
    });
    const fc = flinkClusterManifest(ns, cluster, {
      taskSlots: 1,
      flinkConfiguration: {
        's3.endpoint.region': store.region,
        // The AWS SDK v1 (Flink 1.20's S3A) takes SignatureDoesNotMatch for clock skew and retries
        // it up to fs.s3a.attempts.maximum times with backoff (minutes by default); the refusal is
        // the same after two attempts.
        's3.attempts.maximum': '2',
      },
    });
    const enable = [{ name: 'ENABLE_BUILT_IN_PLUGINS', value: s3PluginJarName(flinkRelease('1.20')) }];
    const spec = fc.spec as Record<string, unknown>;
    spec['storage'] = {
      scheme: 's3',
      baseDir: `${store.bucket}/denied`,
      s3: {
        endpoint: store.endpoint,
        pathStyleAccess: true,
        credentialsSecret: { name: 'stale-credentials' },
      },
    };
    spec['jobManager'] = { environment: enable };
    (spec['taskManager'] as Record<string, unknown>)['environment'] = enable;
    await createResource(s.kc, fc);
    const fj = flinkJobManifest(ns, cluster, 'speed', s.stateDir, { savepointMode: 'Manual' });
    fj.spec.savepoint.savepointTargetPath = `s3://${store.bucket}/denied/savepoints/${job}`;
    await createResource(s.kc, fj);
    await deploySupervisor(s.kc, ns, cluster);
  });

  it('a savepoint refused by the store: StorageAccessible=False and a Warning naming the Secret; nothing crash-loops', async () => {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'RUNNING',
      (st) => st['jobStatus'] === 'RUNNING',
    );
    await waitForTasksRunning(s, ns, cluster, String(running.status?.['jobId']));
    await requestAction(s.kc, JOBS, ns, job, 'TRIGGER_SAVEPOINT');
    const denied = await waitForStatus(s.kc, JOBS, ns, job, 'StorageAccessible=False', (st) =>
      ((st['conditions'] as { type: string; status: string }[] | undefined) ?? []).some(
        (c) => c.type === 'StorageAccessible' && c.status === 'False',
      ),
    );
    const condition = (
      denied.status?.['conditions'] as { type: string; reason: string; message: string }[]
    ).find((c) => c.type === 'StorageAccessible');
    expect(condition?.reason).toBe('StorageAccessDenied');
    expect(condition?.message).toContain(`Secret ${ns}/stale-credentials`);
    const core = s.kc.makeApiClient(CoreV1Api);
    const events = await waitFor(
      'a StorageAccessDenied Event',
      async () => {
        const list = await core.listNamespacedEvent({
          namespace: ns,
          fieldSelector: `involvedObject.name=${job}`,
        });
        return list.items.some((e) => e.reason === 'StorageAccessDenied') ? list.items : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const event = events.find((e) => e.reason === 'StorageAccessDenied');
    expect(event?.type).toBe('Warning');
    expect(event?.message).toContain('stale-credentials');
    // The job keeps running and the supervisor did not restart.
    expect((await readResource(s.kc, JOBS, ns, job))?.status?.['jobStatus']).toBe('RUNNING');
    const supervisors = (
      await core.listNamespacedPod({ namespace: ns, labelSelector: 'flinkvisor.io/role=supervisor' })
    ).items;
    expect(supervisors.length).toBeGreaterThan(0);
    for (const p of supervisors) {
      expect(p.status?.containerStatuses?.every((c) => c.restartCount === 0)).toBe(true);
    }
  });
});
