// Flink configuration on a real cluster, one cluster per Flink line on the real S3 server:
// - the precedence (docs/flink-configuration.md): a ConfigMap carrying FLINK_PROPERTIES, referenced
//   through spec.jobManager.environmentFrom as in the Flink Kubernetes toolbox's demo, reaches the
//   JobManager; spec.flinkConfiguration beats it on a key both set; a key Flinkvisor owns
//   (rest.port) beats both. What counts is what the running JobManager reports over REST.
// - spec.metrics.prometheus: Flink's Prometheus reporter answers on the JobManager and the
//   TaskManager with real Flink metrics, and the pods carry the scrape annotations and port.
// - spec.stateBackend rocksdb: checkpoints are incremental (a checkpoint uploads less than its full
//   state, files shared between checkpoints under shared/ in the bucket), and a TaskManager killed
//   with -9 comes back and Flink restores the same job from its latest incremental checkpoint.
import { BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3PluginJarName } from '../../src/devenv/flink-distribution.ts';
import { flinkRelease } from '../../src/devenv/versions.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { PROMETHEUS_PORT_RANGE } from '../../src/node-agent/flink-entrypoint.ts';
import {
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  JOBS,
  podProcessGroups,
  readResource,
  signalGroups,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-flink-config';
const cluster = 'layers';
const job = `${cluster}-speed`;
const base = 'config-e2e';
let line = '';

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  const store = s.env.objectStore;
  await supervisedNamespace(s.kc, ns);
  const core = s.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: { name: 'flink-properties' },
      data: { FLINK_PROPERTIES: 'web.refresh-interval: 12345\nweb.timeout: 7777\nrest.port: 9999\n' },
    },
  });
  await core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: 'state-credentials' },
      stringData: { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey },
    },
  });
  const manifest = flinkClusterManifest(ns, cluster, {
    taskManagers: 1,
    taskSlots: 1,
    rescalePolicy: 'None',
    flinkConfiguration: {
      'web.timeout': '8888',
      'execution.checkpointing.interval': '1s',
      // The restored checkpoint is still in the statistics' history when the test reads it.
      'web.checkpoints.history': '100',
      // Nor has Flink discarded its directory yet (with 1 retained, the next checkpoint would).
      'execution.checkpointing.num-retained': '100',
      's3.endpoint.region': store.region,
      // Every state file goes to the store, however small, so the shared SST files are objects
      // in the bucket rather than bytes inlined into _metadata.
      'execution.checkpointing.data-inline-threshold': '0b',
      // A killed TaskManager is noticed in seconds, not after the 50 s default.
      'heartbeat.interval': '2000',
      'heartbeat.timeout': '10000',
    },
  });
  line = manifest.spec.runtime.image.split(':')[1] ?? '';
  const enable = [{ name: 'ENABLE_BUILT_IN_PLUGINS', value: s3PluginJarName(flinkRelease(line)) }];
  const spec = manifest.spec as Record<string, unknown>;
  spec['jobManager'] = {
    environmentFrom: [{ configMapRef: { name: 'flink-properties' } }],
    environment: enable,
  };
  (spec['taskManager'] as Record<string, unknown>)['environment'] = enable;
  spec['storage'] = {
    scheme: 's3',
    baseDir: `${store.bucket}/${base}`,
    s3: { endpoint: store.endpoint, pathStyleAccess: true, credentialsSecret: { name: 'state-credentials' } },
  };
  spec['stateBackend'] = { type: 'rocksdb' };
  spec['metrics'] = { prometheus: {} };
  await createResource(s.kc, manifest);
  await createResource(s.kc, flinkJobManifest(ns, cluster, 'speed', s.stateDir, { savepointMode: 'Manual' }));
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe('Flink configuration from a ConfigMap, the spec and Flinkvisor', () => {
  it('applies the ConfigMap’s keys, lets spec.flinkConfiguration beat it, and keeps rest.port', async () => {
    // flinkRest addresses port 8081: that the JobManager answers there is already rest.port's test.
    const entries = await waitFor(
      'the JobManager configuration over REST',
      async () => {
        const baseUrl = await flinkRest(s, ns, cluster).catch(() => undefined);
        if (!baseUrl) return undefined;
        return flinkJson<{ key: string; value: string }[]>(`${baseUrl}/jobmanager/config`).catch(
          () => undefined,
        );
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const config = Object.fromEntries(entries.map((e) => [e.key, e.value]));
    expect(config['web.refresh-interval']).toBe('12345');
    expect(config['web.timeout']).toBe('8888');
    expect(config['rest.port']).toBe('8081');
    // Derived from spec.stateBackend, below everything a user writes.
    expect(config['state.backend.type']).toBe('rocksdb');
    expect(config['execution.checkpointing.incremental']).toBe('true');
  });
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Prometheus' text format, the lines that are samples. */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const l of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(l);
    if (!m?.[1] || l.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (k) labels[k] = v ?? '';
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * The reporter endpoints on the pod's address: Flink's reporter binds every interface and the
 * local pods share one network, so each took the first free port of the range the node agent
 * gave it (in a cluster: the annotated port of its own pod).
 */
async function scrapeRange(ip: string, first: number): Promise<{ port: number; samples: Sample[] }[]> {
  const found: { port: number; samples: Sample[] }[] = [];
  for (let port = first; port < first + PROMETHEUS_PORT_RANGE; port++) {
    const res = await fetch(`http://${ip}:${port}/metrics`, { signal: AbortSignal.timeout(5_000) }).catch(
      () => undefined,
    );
    if (res?.ok) found.push({ port, samples: samples(await res.text()) });
  }
  return found;
}

const metricsPort = (pod: V1Pod) =>
  pod.spec?.containers[0]?.ports?.find((p) => p.name === 'metrics')?.containerPort;

/** Flink's Prometheus label values: every character but letters, digits, `:` and `_` becomes `_`. */
const promLabel = (value: string) => value.replace(/[^a-zA-Z0-9:_]/g, '_');

describe("Flink's Prometheus reporter (spec.metrics.prometheus)", () => {
  it('serves real JobManager and TaskManager metrics; the pods carry the scrape annotations and port', async () => {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'RUNNING',
      (st) => st['jobStatus'] === 'RUNNING',
    );
    await waitForTasksRunning(s, ns, cluster, String(running.status?.['jobId']));
    const [jm] = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    const [tm] = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    for (const pod of [jm, tm]) {
      expect(pod?.metadata?.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9249',
        'prometheus.io/path': '/metrics',
      });
      expect(pod && metricsPort(pod)).toBe(9249);
    }
    const tmIp = tm?.status?.podIP ?? '';
    const flink = await flinkRest(s, ns, cluster);
    const { taskmanagers } = await flinkJson<{ taskmanagers: { id: string }[] }>(`${flink}/taskmanagers`);
    expect(taskmanagers).toHaveLength(1);
    const tmId = promLabel(taskmanagers[0]?.id ?? '');
    const endpoints = await waitFor(
      'a JobManager and a TaskManager endpoint',
      async () => {
        const all = await scrapeRange(tmIp, 9249);
        const jobManager = all.find((e) =>
          e.samples.some((x) => x.name === 'flink_jobmanager_numRegisteredTaskManagers' && x.value === 1),
        );
        const taskManager = all.find((e) =>
          e.samples.some(
            (x) => x.name === 'flink_taskmanager_Status_JVM_Memory_Heap_Used' && x.labels['tm_id'] === tmId,
          ),
        );
        return jobManager && taskManager ? { jobManager, taskManager } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    process.stderr.write(
      `Prometheus reporter: JobManager on ${endpoints.jobManager.port}, TaskManager on ${endpoints.taskManager.port}\n`,
    );
    expect(endpoints.jobManager.port).not.toBe(endpoints.taskManager.port);
    const heap = endpoints.taskManager.samples.find(
      (x) => x.name === 'flink_taskmanager_Status_JVM_Memory_Heap_Used',
    );
    expect(heap?.value).toBeGreaterThan(0);
    expect(heap?.labels['host']).toBe(promLabel(tmIp));
    // The running job's metrics, by its id, from the TaskManager that runs it.
    expect(
      endpoints.taskManager.samples.some(
        (x) =>
          x.name.startsWith('flink_taskmanager_job_task_') &&
          x.labels['job_id'] === running.status?.['jobId'],
      ),
    ).toBe(true);
    expect(
      endpoints.jobManager.samples.find((x) => x.name === 'flink_jobmanager_Status_JVM_Memory_Heap_Used')
        ?.value,
    ).toBeGreaterThan(0);
  });
});

interface CheckpointSummary {
  id: number;
  status: string;
  external_path?: string;
  checkpointed_size: number;
  state_size: number;
  is_savepoint: boolean;
}

interface CheckpointStats {
  counts: { completed: number; restored: number };
  latest: {
    completed: CheckpointSummary | null;
    restored: { id: number; external_path?: string; is_savepoint: boolean } | null;
  };
  history: CheckpointSummary[];
}

/** Keys under a prefix of the state bucket, through the S3 API. */
async function bucketKeys(prefix: string): Promise<string[]> {
  const store = s.env.objectStore;
  return (await store.client.listObjects(store.bucket, prefix)).map((o) => o.key);
}

describe('RocksDB with incremental checkpoints (spec.stateBackend)', () => {
  let jobId = '';
  const checkpoints = async () =>
    flinkJson<CheckpointStats>(`${await flinkRest(s, ns, cluster)}/jobs/${jobId}/checkpoints`);

  it('checkpoints upload less than their full state; the shared files are in the bucket', async () => {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'RUNNING',
      (st) => st['jobStatus'] === 'RUNNING',
    );
    jobId = String(running.status?.['jobId']);
    const incremental = await waitFor(
      'a completed checkpoint smaller than its state',
      async () => {
        const c = await checkpoints().catch(() => undefined);
        const latest = c?.latest.completed;
        return latest && latest.checkpointed_size > 0 && latest.checkpointed_size < latest.state_size
          ? latest
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    process.stderr.write(
      `incremental checkpoint ${incremental.id}: ${incremental.checkpointed_size} of ${incremental.state_size} bytes uploaded\n`,
    );
    const dir = `${base}/checkpoints/${ns}/${cluster}/${jobId}`;
    expect(String(incremental.external_path)).toMatch(
      new RegExp(`^s3p?a?://${s.env.objectStore.bucket}/${dir}/chk-`),
    );
    const keys = await bucketKeys(`${dir}/`);
    expect(keys.filter((k) => k.startsWith(`${dir}/shared/`)).length).toBeGreaterThan(0);
    expect(keys).toContain(`${dir}/chk-${incremental.id}/_metadata`);
  });

  it('a TaskManager killed with -9: Flink restores the same job from its latest incremental checkpoint', async () => {
    await waitForTasksRunning(s, ns, cluster, jobId);
    const submission = async () =>
      (await s.kc.makeApiClient(BatchV1Api).readNamespacedJob({ name: `bootstrap-${job}`, namespace: ns }))
        .metadata?.annotations?.['flinkvisor.io/submission'];
    const submittedBefore = await submission();
    const [tm] = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    const groups = await podProcessGroups(s, ns, tm?.metadata?.name ?? '');
    const incremental = (c: CheckpointSummary | null | undefined) =>
      c !== null && c !== undefined && c.checkpointed_size > 0 && c.checkpointed_size < c.state_size;
    // Frozen (SIGSTOP) right after an incremental checkpoint, the TaskManager acknowledges no
    // further one, so the checkpoint Flink restores from is that one (or one already acknowledged).
    const frozen = await waitFor(
      'the TaskManager frozen after an incremental checkpoint',
      async () => {
        if (!incremental((await checkpoints()).latest.completed)) return undefined;
        signalGroups(groups, 'SIGSTOP');
        const latest = (await checkpoints()).latest.completed;
        if (incremental(latest)) return latest;
        signalGroups(groups, 'SIGCONT');
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const killedAt = Date.now();
    signalGroups(groups, 'SIGKILL');
    const restored = await waitFor(
      'the job restored from a checkpoint',
      async () => {
        const c = await checkpoints().catch(() => undefined);
        return c?.latest.restored ? c : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    await waitForTasksRunning(s, ns, cluster, jobId);
    process.stderr.write(
      `TaskManager kill -9 to tasks running again: ${Date.now() - killedAt} ms; restored checkpoint ${restored.latest.restored?.id} (frozen after ${frozen?.id})\n`,
    );
    const from = restored.latest.restored;
    expect(from?.is_savepoint).toBe(false);
    expect(from?.id).toBeGreaterThanOrEqual(frozen?.id ?? Infinity);
    // The checkpoint it restored from was an incremental one, and its metadata is in the bucket.
    const summary = restored.history.find((c) => c.id === from?.id);
    expect(incremental(summary)).toBe(true);
    const path = String(from?.external_path)
      .replace(/^s3p?a?:\/\/[^/]+\//, '')
      .replace(/\/(_metadata)?$/, '');
    expect(await bucketKeys(`${path}/`), `restored from ${from?.external_path}`).toContain(
      `${path}/_metadata`,
    );
    // The same job, never resubmitted; the supervisor follows it.
    const after = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'RUNNING again',
      (st) => st['jobStatus'] === 'RUNNING',
    );
    expect(after.status?.['jobId']).toBe(jobId);
    expect(await submission()).toBe(submittedBefore);
    expect((await readResource(s.kc, JOBS, ns, job))?.status?.['supervisorStatus']).toBe('Started');
  });
});
