// Fleet benchmark (issue 18): the operator in fleet mode (`operator run --embedded-supervisors`)
// supervising N FlinkClusters with J FlinkJobs each, on the real kube-apiserver of the local
// environment. Each cluster is backed by a simulated Flink REST endpoint on its own loopback
// address (bench/simulated-flink.ts: real HTTP, Flink's JSON shapes) instead of JVMs, reached by
// the supervisors at their default address http://jobmanager-<cluster>.<namespace>:8081 through
// the node agent's hosts-file resolver. No kubelet and no controllers run: this script plays the
// kubelet (marks the pods the supervisors create Running and Ready, confirms deletions) and the
// bootstrap Jobs (submits the job to the cluster's simulated Flink, then marks the Job succeeded),
// and pauses while it measures, so the writes counted at rest are the supervisors' and the operator's.
//
// The fleet grows in steps (--clusters 10,50,100): at each step it reports the time until every
// job of the new clusters is Started, then, at rest, the operator's resident memory (median over
// the window), its CPU, and kube-apiserver's own request counters (apiserver_request_total) per
// verb and resource over the window. The baselines, measured in the same run: a bare Node process
// and the operator with no cluster. The marginal cost per cluster is the least-squares slope of
// RSS over the number of clusters.
//
// `--mode operator` measures the operator alone, as the charts run it by default (a supervisor
// Deployment per cluster, no embedded supervisors): the steps apply FlinkDeployments of J jobs
// each, a step is done when the operator has made every FlinkCluster, FlinkJob and supervisor
// Deployment of them (no controllers run, so no supervisor pod starts), and then the operator's
// RSS, CPU and the API-server requests are measured at rest as above.
// Run: npm run bench:fleet [-- --clusters 10,50,100 --jobs 4 --window 60 --settle 20 --mode fleet|operator
//   --operator-memory-limit 512Mi]
import { AppsV1Api, BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crdManifests } from '../src/api/crd-manifests.ts';
import {
  API_GROUP,
  API_VERSION,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  LABELS,
  supervisorDeploymentName,
} from '../src/api/names.ts';
import { startControlPlane } from '../src/devenv/control-plane.ts';
import { DEFAULT_ARTIFACT_SOURCES } from '../src/devenv/flink-distribution.ts';
import { ensureLeanBundles } from '../src/devenv/lean-bundles.ts';
import { freePort } from '../src/devenv/free-port.ts';
import { httpsGet } from '../src/devenv/https-probe.ts';
import { allocateLoopbackAddress, type LoopbackLease } from '../src/devenv/loopback-addresses.ts';
import { ManagedProcess } from '../src/devenv/managed-process.ts';
import { PROJECT_ROOT } from '../src/devenv/node-agent-process.ts';
import { defaultCacheDir, prepareDevenv } from '../src/devenv/prepare.ts';
import { consoleProgress } from '../src/devenv/progress.ts';
import { waitFor } from '../src/devenv/wait-for.ts';
import { installCrds } from '../src/kube/crd-install.ts';
import { KubernetesCustomResourceClient } from '../src/kube/custom-resource-client.ts';
import { loadKubeConfig } from '../src/kube/kubeconfig.ts';
import { jsonPatch, mergePatch } from '../src/kube/patch-options.ts';
import { EVENT_LOOP_SAMPLING_MS } from '../src/observability/metrics.ts';
import { supervisorMemoryEnv } from '../src/operator/supervisor-memory.ts';
import { FLINK_JOB_ID_LABEL } from '../src/supervisor/resource-builders.ts';
import { median } from './supervisor-resident.ts';
import { SimulatedFlink } from './simulated-flink.ts';

const argValue = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const steps = (argValue('--clusters') ?? '10')
  .split(',')
  .map(Number)
  .filter((n) => n > 0)
  .sort((a, b) => a - b);
const jobsPerCluster = Number(argValue('--jobs') ?? 4);
const windowSeconds = Number(argValue('--window') ?? 60);
const settleSeconds = Number(argValue('--settle') ?? 20);
/** Clusters applied at once within a step: each batch is left to start before the next is applied. */
const batchSize = Number(argValue('--batch') ?? 10);
/** fleet: the operator hosts every supervisor; operator: the operator alone, supervisors as Deployments. */
const mode = argValue('--mode') ?? 'fleet';
if (mode !== 'fleet' && mode !== 'operator') throw new Error(`--mode ${mode}: fleet or operator`);
const POLL_SECONDS = 5;
/** The operator's memory limit (the chart's default unless given): it runs with the settings the chart derives from it. */
const OPERATOR_MEMORY_LIMIT = argValue('--operator-memory-limit') ?? '512Mi'; // the product default of spec.supervisor.pollingInterval
const NS = 'fleet';
const SLOTS = Math.max(1, jobsPerCluster);

const progress = consoleProgress((l) => process.stderr.write(`${l}\n`));
const assets = await prepareDevenv({
  cacheDir: defaultCacheDir(process.env),
  env: process.env,
  sources: DEFAULT_ARTIFACT_SOURCES,
  progress,
});
// The operator runs its lean bundle (bin/flinkvisor.js → dist/operator.mjs), as the image does.
await ensureLeanBundles();
// etcd and kube-apiserver only: no scheduler, no controllers, no kubelet (this script plays them).
const controlPlane = await startControlPlane({ assets, progress, controllers: false });
const kc = loadKubeConfig(controlPlane.kubeconfigPath);
const core = kc.makeApiClient(CoreV1Api);
const batchApi = kc.makeApiClient(BatchV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const resources = new KubernetesCustomResourceClient(kc);
const dir = await mkdtemp(join(tmpdir(), 'flinkvisor-fleet-bench-'));
const hostsFile = join(dir, 'hosts');
const flinks = new Map<string, SimulatedFlink>();
const addresses: LoopbackLease[] = [];
const hostLines: string[] = [];
let operator: ManagedProcess | undefined;

// Interrupted: the control plane and the operator still go (ManagedProcess ends their groups on exit).
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void Promise.allSettled([operator?.stop(5_000), controlPlane.stop()]).then(() => process.exit(130));
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** kube-apiserver's request counters: `verb resource` → count. */
async function apiserverRequests(): Promise<Map<string, number>> {
  const { body } = await httpsGet(`${controlPlane.server}/metrics`, {
    ca: await readFile(controlPlane.caFile),
    token: controlPlane.adminToken,
  });
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const key = `${labels['verb']} ${labels['resource']}${labels['subresource'] ? `/${labels['subresource']}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.split(' ').pop()));
  }
  return out;
}

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION']);

function diff(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

function clusterManifest(name: string) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_CLUSTER.kind,
    metadata: { name, namespace: NS },
    spec: {
      taskManagers: 1,
      runtime: { image: 'flink:1.20' },
      taskManager: { taskSlots: SLOTS },
      supervisor: { image: 'flinkvisor:unused-in-fleet-mode', pollingInterval: POLL_SECONDS },
    },
  };
}

/** The same cluster and jobs, as one FlinkDeployment (`--mode operator`). */
function deploymentManifest(name: string) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_DEPLOYMENT.kind,
    metadata: { name, namespace: NS },
    spec: {
      cluster: clusterManifest(name).spec,
      jobs: Array.from({ length: jobsPerCluster }, (_, j) => {
        const { clusterName: _cluster, ...spec } = jobManifest(name, `j${j + 1}`).spec;
        return { name: `j${j + 1}`, spec };
      }),
    },
  };
}

/** FlinkDeployments whose FlinkCluster, FlinkJobs and supervisor Deployment the operator has made. */
async function expandedDeployments(names: readonly string[]): Promise<number> {
  const clusters = new Set((await resources.list(FLINK_CLUSTER, NS)).items.map((c) => c.metadata?.name));
  const jobs = new Map<string, number>();
  for (const j of (await resources.list(FLINK_JOB, NS)).items) {
    const cluster = String(j.spec?.['clusterName']);
    jobs.set(cluster, (jobs.get(cluster) ?? 0) + 1);
  }
  const supervisors = new Set(
    (await apps.listNamespacedDeployment({ namespace: NS })).items.map((d) => d.metadata?.name),
  );
  return names.filter(
    (n) => clusters.has(n) && jobs.get(n) === jobsPerCluster && supervisors.has(supervisorDeploymentName(n)),
  ).length;
}

function jobManifest(cluster: string, job: string) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_JOB.kind,
    metadata: { name: `${cluster}-${job}`, namespace: NS },
    spec: {
      clusterName: cluster,
      jobParallelism: 1,
      bootstrap: {
        image: 'flinkvisor:bench',
        jarPath: '/opt/flink/examples/streaming/TopSpeedWindowing.jar',
      },
      savepoint: { savepointMode: 'Manual', savepointTargetPath: `file:///tmp/savepoints/${cluster}-${job}` },
    },
  };
}

/**
 * The kubelet and the bootstrap Jobs, played: one pass over the pods and batch Jobs the supervisors
 * created. Returns how many objects it changed.
 */
async function playKubelet(): Promise<number> {
  let changed = 0;
  const selector = `${LABELS.managedBy}=flinkvisor`;
  const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: selector });
  for (const pod of pods.items) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp) {
      await core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 0 }).catch(() => undefined);
      changed++;
      continue;
    }
    if (pod.status?.phase === 'Running') continue;
    const cluster = pod.metadata?.labels?.[LABELS.cluster] ?? '';
    const now = new Date().toISOString();
    await core
      .patchNamespacedPodStatus(
        {
          name,
          namespace: NS,
          body: {
            status: {
              phase: 'Running',
              podIP: flinks.get(cluster)?.address ?? '127.0.0.1',
              startTime: now,
              conditions: [
                { type: 'Ready', status: 'True', lastTransitionTime: now },
                { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
              ],
              containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
                name: c.name,
                image: c.image ?? '',
                imageID: '',
                ready: true,
                restartCount: 0,
                started: true,
                state: { running: { startedAt: now } },
              })),
            },
          },
        },
        mergePatch(),
      )
      .catch((err: unknown) => process.stderr.write(`pod status ${name}: ${String(err).slice(0, 300)}\n`));
    changed++;
  }
  const batch = await batchApi.listNamespacedJob({ namespace: NS, labelSelector: selector });
  for (const job of batch.items) {
    const name = job.metadata?.name ?? '';
    if (job.metadata?.deletionTimestamp) {
      // The garbage collector's part of a foreground deletion: no pods, so the Job may go.
      if ((job.metadata.finalizers ?? []).length > 0) {
        await batchApi
          .patchNamespacedJob(
            { name, namespace: NS, body: [{ op: 'replace', path: '/metadata/finalizers', value: [] }] },
            jsonPatch(),
          )
          .catch(() => undefined);
        changed++;
      }
      continue;
    }
    if ((job.status?.succeeded ?? 0) > 0) continue;
    const jobId = job.metadata?.labels?.[FLINK_JOB_ID_LABEL];
    const cluster = job.metadata?.labels?.[LABELS.cluster] ?? '';
    if (jobId) flinks.get(cluster)?.submit(jobId, name);
    const now = new Date().toISOString();
    await batchApi
      .patchNamespacedJobStatus(
        { name, namespace: NS, body: { status: { succeeded: 1, startTime: now } } },
        mergePatch(),
      )
      .catch((err: unknown) => process.stderr.write(`job status ${name}: ${String(err).slice(0, 300)}\n`));
    changed++;
  }
  return changed;
}

let kubeletPaused = false;
let kubeletStopped = false;
const kubeletLoop = (async () => {
  while (!kubeletStopped) {
    if (!kubeletPaused)
      await playKubelet().catch((err: unknown) => process.stderr.write(`kubelet: ${String(err)}\n`));
    await sleep(500);
  }
})();

async function startedJobs(clusters: readonly string[]): Promise<number> {
  const wanted = new Set(clusters);
  return (await resources.list(FLINK_JOB, NS)).items.filter(
    (j) =>
      wanted.has(String(j.spec?.['clusterName'])) &&
      j.status?.['supervisorStatus'] === 'Started' &&
      j.status?.['jobStatus'] === 'RUNNING',
  ).length;
}

interface AtRest {
  readonly clusters: number;
  readonly rssMiB: number;
  readonly cpuPercent: number;
  readonly requests: Map<string, number>;
  readonly startSeconds?: number;
  /** The operator's event-loop lag, max and p99 (its own /metrics, Node's monitorEventLoopDelay). */
  readonly lagMs: { max: number; p99: number };
  readonly heap: { used: number; total: number; external: number };
}

let metricsUrl = '';
/** A sample of the operator's own /metrics (Node's default metrics, prefixed), or NaN when absent. */
async function operatorMetrics(): Promise<(name: string) => number> {
  const text = await (await fetch(metricsUrl)).text();
  return (name) =>
    Number(
      text
        .split('\n')
        .find(
          (l) => l.startsWith(`flinkvisor_operator_${name} `) || l.startsWith(`flinkvisor_operator_${name}{`),
        )
        ?.split(' ')
        .at(-1) ?? NaN,
    );
}

/** The lag over the sampling interval (Node's histogram records whole intervals: src/observability/metrics.ts). */
async function eventLoopLagMs(): Promise<{ max: number; p99: number }> {
  const value = await operatorMetrics();
  return {
    max: value('nodejs_eventloop_lag_max_seconds') * 1000 - EVENT_LOOP_SAMPLING_MS,
    p99: value('nodejs_eventloop_lag_p99_seconds') * 1000 - EVENT_LOOP_SAMPLING_MS,
  };
}

/** Where the operator's memory is: V8's heap in use and reserved, and memory outside it (buffers, strings held by C++), MiB. */
async function heapMiB(): Promise<{ used: number; total: number; external: number }> {
  const value = await operatorMetrics();
  const mib = (n: number) => n / 2 ** 20;
  return {
    used: mib(value('nodejs_heap_size_used_bytes')),
    total: mib(value('nodejs_heap_size_total_bytes')),
    external: mib(value('nodejs_external_memory_bytes')),
  };
}

async function measureAtRest(pid: number, clusters: number, startSeconds?: number): Promise<AtRest> {
  process.stderr.write(
    `[fleet] ${clusters} clusters: settle ${settleSeconds} s, then measure ${windowSeconds} s at rest\n`,
  );
  kubeletPaused = true;
  await sleep(settleSeconds * 1000);
  const before = await apiserverRequests();
  const cpu0 = await cpuSeconds(pid);
  const samples: number[] = [];
  const end = Date.now() + windowSeconds * 1000;
  while (Date.now() < end) {
    samples.push(await rssMiB(pid));
    await sleep(Math.min(5000, Math.max(0, end - Date.now())));
  }
  const cpu1 = await cpuSeconds(pid);
  const requests = diff(before, await apiserverRequests());
  const lagMs = await eventLoopLagMs();
  const heap = await heapMiB();
  kubeletPaused = false;
  return {
    lagMs,
    heap,
    clusters,
    rssMiB: median(samples),
    cpuPercent: ((cpu1 - cpu0) / windowSeconds) * 100,
    requests,
    ...(startSeconds === undefined ? {} : { startSeconds }),
  };
}

async function bareNodeMiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(3000);
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    samples.push(await rssMiB(child.pid ?? 0));
    await sleep(1000);
  }
  child.kill();
  return median(samples);
}

function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

async function ensureServiceAccount(name: string): Promise<void> {
  await core
    .createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name } } })
    .catch(() => undefined);
}

try {
  await installCrds(kc, crdManifests());
  await core.createNamespace({ body: { metadata: { name: NS } } });
  // No controller-manager: the ServiceAccounts the pods name are created here.
  for (const sa of ['default', 'flinkvisor-supervisor']) await ensureServiceAccount(sa);
  await writeFile(hostsFile, '');
  const bare = await bareNodeMiB();

  const metricsPort = await freePort();
  operator = ManagedProcess.start({
    name: 'operator',
    command: process.execPath,
    args: [
      // The fleet's supervisors reach their simulated Flinks by name through the hosts file; the
      // operator alone reaches no Flink (and a .ts preload would load Node's type stripper too).
      ...(mode === 'fleet' ? ['--import', join(PROJECT_ROOT, 'src/node-agent/dns-preload.ts')] : []),
      join(PROJECT_ROOT, 'bin/flinkvisor.js'),
      'operator',
      'run',
      ...(mode === 'fleet' ? ['--embedded-supervisors'] : []),
      `--namespaces=${NS}`,
      `--kubeconfig=${controlPlane.kubeconfigPath}`,
      '--identity=fleet-bench-operator',
      '--bind-address=127.0.0.1',
      `--monitoring-port=${metricsPort}`,
      '--api-port=0',
    ],
    env: {
      ...process.env,
      // The memory settings the chart gives the operator container for its default limit (the fleet
      // outgrows that limit: docs/performance.md says to raise it, so the fleet runs unbounded).
      ...(mode === 'operator'
        ? Object.fromEntries(supervisorMemoryEnv(OPERATOR_MEMORY_LIMIT).map((e) => [e.name, e.value ?? '']))
        : {}),
      LOG_LEVEL: 'warn',
      POD_NAMESPACE: NS,
      FLINKVISOR_HOSTS_FILE: hostsFile,
    },
    cwd: PROJECT_ROOT,
    logFile: join(dir, 'operator.log'),
  });
  const pid = operator.pid ?? 0;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  await waitFor(
    'the operator ready',
    async () =>
      (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok ? true : undefined,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const results: AtRest[] = [await measureAtRest(pid, 0)];
  process.stderr.write(
    `[fleet] no cluster: RSS ${results[0]?.rssMiB.toFixed(1)} MiB, requests ${JSON.stringify(Object.fromEntries(results[0]?.requests ?? []))}\n`,
  );

  const names: string[] = [];
  for (const target of steps) {
    const added: string[] = [];
    for (let i = names.length; i < target; i++) {
      const name = `c${String(i + 1).padStart(3, '0')}`;
      added.push(name);
      // The operator alone reads no Flink: only the fleet's supervisors need one each.
      if (mode === 'operator') continue;
      const lease = await allocateLoopbackAddress({ ports: [8081] });
      addresses.push(lease);
      flinks.set(name, await SimulatedFlink.start(lease.address, 8081, SLOTS));
      hostLines.push(`${lease.address} jobmanager-${name}.${NS} jobmanager-${name}.${NS}.svc`);
    }
    await writeFile(hostsFile, `${hostLines.join('\n')}\n`);
    const applyAt = Date.now();
    for (let b = 0; b < added.length; b += batchSize) {
      const batch = added.slice(b, b + batchSize);
      for (const name of batch) {
        if (mode === 'operator') {
          await resources.create(FLINK_DEPLOYMENT, NS, deploymentManifest(name));
          continue;
        }
        await resources.create(FLINK_CLUSTER, NS, clusterManifest(name));
        for (let j = 1; j <= jobsPerCluster; j++)
          await resources.create(FLINK_JOB, NS, jobManifest(name, `j${j}`));
      }
      await waitFor(
        mode === 'fleet'
          ? `the ${batch.length * jobsPerCluster} jobs of ${batch[0]}..${batch.at(-1)} Started`
          : `the FlinkDeployments ${batch[0]}..${batch.at(-1)} expanded`,
        async () => {
          if (!operator?.running)
            throw new Error(`the operator exited: ${JSON.stringify(operator?.exitStatus)}`);
          if (mode === 'operator')
            return (await expandedDeployments(batch)) === batch.length ? true : undefined;
          return (await startedJobs(batch)) === batch.length * jobsPerCluster ? true : undefined;
        },
        { timeoutMs: 10 * 60_000, intervalMs: 500 },
      );
      process.stderr.write(
        `[fleet] ${names.length + b + batch.length} clusters started (${((Date.now() - applyAt) / 1000).toFixed(1)} s into the step)\n`,
      );
    }
    names.push(...added);
    const startSeconds = (Date.now() - applyAt) / 1000;
    const measured = await measureAtRest(pid, names.length, startSeconds);
    results.push(measured);
    // Printed as it comes: a run that ends early keeps what it measured.
    process.stderr.write(
      `[fleet] ${measured.clusters} clusters: Started in ${startSeconds.toFixed(1)} s, RSS ${measured.rssMiB.toFixed(1)} MiB, CPU ${measured.cpuPercent.toFixed(1)} %, lag max ${measured.lagMs.max.toFixed(0)} ms, requests ${JSON.stringify(Object.fromEntries(measured.requests))}\n`,
    );
    if (!operator.running)
      throw new Error(`the operator exited during the window: ${JSON.stringify(operator.exitStatus)}`);
  }

  const baseline = results[0];
  const baseRss = baseline?.rssMiB ?? NaN;
  const supervised = results.filter((r) => r.clusters > 0);
  // The marginal cost: the slope over the steps with clusters (the first supervisor also loads the
  // supervisor's code once, a fixed cost reported apart).
  const perCluster =
    supervised.length >= 2
      ? slope(supervised.map((r) => ({ x: r.clusters, y: r.rssMiB })))
      : slope(results.map((r) => ({ x: r.clusters, y: r.rssMiB })));
  const fixed =
    supervised.length >= 1
      ? (supervised[0]?.rssMiB ?? NaN) - perCluster * (supervised[0]?.clusters ?? 0) - baseRss
      : NaN;
  const perMinute = (n: number) => (n * 60) / windowSeconds;
  /** Writes over the no-cluster baseline: kube-apiserver's own (its endpoints, its identity Lease) and the operator's Lease are in both. */
  const writesOf = (r: AtRest, leases: boolean) => {
    let n = 0;
    for (const [key, count] of r.requests) {
      const [verb = '', resource = ''] = key.split(' ');
      if (!WRITE_VERBS.has(verb) || resource.startsWith('leases') !== leases) continue;
      n += count - (baseline?.requests.get(key) ?? 0);
    }
    return perMinute(n);
  };
  const readsOf = (r: AtRest) => {
    let n = 0;
    for (const [key, count] of r.requests) {
      const [verb = ''] = key.split(' ');
      if (WRITE_VERBS.has(verb) || verb === 'WATCH') continue;
      n += count - (baseline?.requests.get(key) ?? 0);
    }
    return perMinute(n);
  };
  const lines = [
    mode === 'fleet'
      ? `fleet mode (operator run --embedded-supervisors), ${jobsPerCluster} jobs per cluster, polling interval ${POLL_SECONDS} s,`
      : `the operator alone (operator run; a supervisor Deployment per cluster, none running), FlinkDeployments of ${jobsPerCluster} jobs, memory limit ${OPERATOR_MEMORY_LIMIT} (NODE_OPTIONS ${supervisorMemoryEnv(OPERATOR_MEMORY_LIMIT)[0]?.value ?? ''}),`,
    `simulated Flink REST per cluster, settle ${settleSeconds} s, window ${windowSeconds} s; Node ${process.version}`,
    `  bare Node process                   ${bare.toFixed(1)} MiB`,
    `  apiserver requests below: per minute at rest, over the run's no-cluster baseline (kube-apiserver's own and the operator's Lease)`,
    `  clusters  jobs    step done   operator RSS  vs no cluster  vs bare  CPU at rest  writes/min (Leases aside)  Lease writes/min  reads/min  event-loop lag max/p99 (over the sampling interval)  V8 heap used/total, external`,
  ];
  for (const r of results)
    lines.push(
      `  ${String(r.clusters).padStart(8)}  ${String(r.clusters * jobsPerCluster).padStart(4)}  ${(r.startSeconds === undefined ? '-' : `${r.startSeconds.toFixed(1)} s`).padStart(11)}   ${r.rssMiB.toFixed(1).padStart(7)} MiB  ${`+${(r.rssMiB - baseRss).toFixed(1)}`.padStart(9)} MiB  ${(r.rssMiB / bare).toFixed(2).padStart(6)}x  ${r.cpuPercent.toFixed(1).padStart(8)} %   ${writesOf(r, false).toFixed(1).padStart(24)}  ${writesOf(r, true).toFixed(1).padStart(16)}  ${readsOf(r).toFixed(1).padStart(9)}  ${r.lagMs.max.toFixed(0)}/${r.lagMs.p99.toFixed(0)} ms  ${r.heap.used.toFixed(1)}/${r.heap.total.toFixed(1)}, ${r.heap.external.toFixed(1)} MiB`,
    );
  lines.push(
    `  marginal memory per supervised cluster (least-squares slope of RSS over ${supervised.map((r) => r.clusters).join(', ')} clusters): ${perCluster.toFixed(2)} MiB`,
    `  fixed cost of hosting supervisors at all (the supervisor's code, loaded once; intercept over the no-cluster operator): ${fixed.toFixed(1)} MiB`,
  );
  const last = results.at(-1);
  if (last) {
    lines.push(
      `  requests per minute at rest with ${last.clusters} clusters, by verb and resource (kube-apiserver's apiserver_request_total):`,
    );
    for (const [key, n] of [...last.requests].sort((a, b) => b[1] - a[1]))
      lines.push(`    ${key.padEnd(40)} ${perMinute(n).toFixed(1)}`);
  }
  const unanswered = [...flinks.values()].flatMap((f) =>
    [...f.requests].filter(([r]) => r.includes('unanswered')),
  );
  if (unanswered.length)
    lines.push(`  Flink routes the simulator does not answer: ${JSON.stringify(unanswered.slice(0, 5))}`);
  const flinkRequests = [...flinks.values()].reduce((acc, f) => {
    for (const [r, n] of f.requests) acc.set(r, (acc.get(r) ?? 0) + n);
    return acc;
  }, new Map<string, number>());
  lines.push(
    `  Flink REST requests over the whole run, by route: ${JSON.stringify(Object.fromEntries(flinkRequests))}`,
  );
  lines.push(`  operator log: ${join(dir, 'operator.log')}`);
  console.log(lines.join('\n'));
} finally {
  kubeletStopped = true;
  await kubeletLoop;
  await operator?.stop(30_000);
  for (const f of flinks.values()) await f.close();
  for (const a of addresses) await a.release();
  await controlPlane.stop();
}
