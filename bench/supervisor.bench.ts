// Supervisor measurements (issue 7): STOP latency (annotation → the cancel reaching Flink, from
// the first CANCELLING/CANCELED timestamp Flink recorded) over 20 tries, supervisor resident memory with one cluster and
// two jobs, and Flink REST requests and API-server writes per minute at steady state (from the
// supervisor's own /metrics). Then resident memory against a bare Node process of the same run
// (bench/supervisor-resident.ts): the supervisor from its sources (what the image ran before the
// bundle), the bundle, and the bundle with the Deployment's memory settings (what ships), each
// leading the cluster in turn, sampled over a soak (slope reported).
// Run: npm run bench:supervisor [-- --tries 20 --soak 60 --only lite,shipped]
import { AppsV1Api } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SUPERVISOR_RESOURCES } from '../src/api/flink-cluster.ts';
import { supervisorDeploymentName } from '../src/api/names.ts';
import { freePort } from '../src/devenv/free-port.ts';
import { PROJECT_ROOT } from '../src/devenv/node-agent-process.ts';
import { supervisorMemoryEnv } from '../src/operator/supervisor-memory.ts';
import { measureResident, type ResidentMeasurement, type ResidentVariant } from './supervisor-resident.ts';
import { waitFor } from '../src/devenv/wait-for.ts';
import {
  JOBS,
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  podProcessGroups,
  readResource,
  requestAction,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
} from '../test/support/flinkvisor-e2e.ts';

const arg = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) || fallback : fallback;
const tries = arg('--tries', 20);
const soakSeconds = arg('--soak', 60);
const only = process.argv.includes('--only')
  ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',').filter(Boolean)
  : [];
const POLL_SECONDS = 2;
const s = await startSupervisedEnvironment();
try {
  const ns = await supervisedNamespace(s.kc, 'bench');
  await createResource(s.kc, flinkClusterManifest(ns, 'b', { taskSlots: 2, pollingInterval: POLL_SECONDS }));
  for (const j of ['one', 'two'])
    await createResource(s.kc, flinkJobManifest(ns, 'b', j, s.stateDir, { savepointMode: 'Manual' }));
  await deploySupervisor(s.kc, ns, 'b');
  for (const j of ['b-one', 'b-two'])
    await waitForStatus(s.kc, JOBS, ns, j, 'running', (st) => st['jobStatus'] === 'RUNNING');
  const [sup] = await clusterPods(s.kc, ns, 'b', 'supervisor');
  const supIp = sup?.status?.podIP ?? '';
  const metric = async (name: string) => {
    const text = await (await fetch(`http://${supIp}:8080/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  // Steady state: both jobs running, nothing requested.
  await new Promise((r) => setTimeout(r, 10_000));
  const rest0 = await metric('flinkvisor_supervisor_flink_requests_total');
  const writes0 = await metric('flinkvisor_supervisor_api_writes_total');
  await new Promise((r) => setTimeout(r, 60_000));
  const restPerMinute = (await metric('flinkvisor_supervisor_flink_requests_total')) - rest0;
  const writesPerMinute = (await metric('flinkvisor_supervisor_api_writes_total')) - writes0;
  const [group] = await podProcessGroups(s, ns, sup?.metadata?.name ?? '');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${group}/status`, 'utf8'))?.[1] ?? 0);

  // STOP latency: the cancel's arrival in Flink is the job's CANCELLING timestamp.
  const latencies: number[] = [];
  for (let i = 0; i < tries; i++) {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      'b-one',
      'running',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
    );
    const jobId = String(running.status?.['jobId']);
    await waitForTasksRunning(s, ns, 'b', jobId);
    const annotatedAt = Date.now();
    await requestAction(s.kc, JOBS, ns, 'b-one', 'STOP');
    await waitForStatus(s.kc, JOBS, ns, 'b-one', 'Stopped', (st) => st['supervisorStatus'] === 'Stopped');
    const flink = await flinkRest(s, ns, 'b');
    // The first terminal-bound state Flink recorded (it leaves unset states at 0).
    const details = await waitFor(
      `job ${jobId} terminal in Flink`,
      async () => {
        const d = await flinkJson<{ state: string; timestamps: Record<string, number> }>(
          `${flink}/jobs/${jobId}`,
        );
        return ['CANCELED', 'FINISHED', 'FAILED'].includes(d.state) ? d : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const reached = ['CANCELLING', 'CANCELED', 'FINISHED']
      .map((k) => details.timestamps[k] ?? 0)
      .filter((t) => t > 0);
    if (reached.length === 0 || Math.min(...reached) < annotatedAt)
      throw new Error(`job ${jobId} was not stopped by this STOP: ${JSON.stringify(details)}`);
    latencies.push(Math.min(...reached) - annotatedAt);
    await requestAction(s.kc, JOBS, ns, 'b-one', 'START');
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const jobsStatus = await readResource(s.kc, JOBS, ns, 'b-two');

  // Resident memory, same run: the pod's supervisor makes way, each variant leads in turn.
  for (const j of ['b-one', 'b-two'])
    await waitForStatus(s.kc, JOBS, ns, j, 'running', (st) => st['jobStatus'] === 'RUNNING');
  await s.kc
    .makeApiClient(AppsV1Api)
    .deleteNamespacedDeployment({ name: supervisorDeploymentName('b'), namespace: ns });
  await waitFor(
    'the supervisor pod gone',
    async () => ((await clusterPods(s.kc, ns, 'b', 'supervisor')).length === 0 ? true : undefined),
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  const flinkUrl = await flinkRest(s, ns, 'b');
  const supervisor = async (
    name: string,
    entry: string,
    env: Record<string, string> = {},
    nodeFlags: readonly string[] = [],
  ) => {
    const port = await freePort();
    const debugPort = await freePort();
    const args = [...nodeFlags, entry, 'supervisor', 'run', `--namespace=${ns}`, '--cluster-name=b'];
    args.push(`--kubeconfig=${s.env.controlPlane.kubeconfigPath}`, `--flink-url=${flinkUrl}`);
    args.push(`--port=${port}`, '--bind-address=127.0.0.1', `--identity=bench-${name.replace(/\W+/g, '-')}`);
    args.push(`--debug-port=${debugPort}`, '--debug-address=127.0.0.1');
    return { name, args, env, metricsPort: port } satisfies ResidentVariant;
  };
  const shipped = Object.fromEntries(
    supervisorMemoryEnv(DEFAULT_SUPERVISOR_RESOURCES.limits.memory).map((e) => [e.name, e.value ?? '']),
  );
  const every: ResidentVariant[] = [
    { name: 'bare node', args: ['-e', 'setInterval(() => {}, 1000)'] },
    await supervisor('sources (src/cli/main.ts)', 'src/cli/main.ts'),
    await supervisor('bundle (dist/supervisor.mjs)', 'bin/flinkvisor.js'),
    await supervisor('bundle + memory settings (shipped)', 'bin/flinkvisor.js', shipped),
    // V8's lite mode (no optimizing compiler, feedback allocated lazily) is refused in NODE_OPTIONS:
    // it can only be a flag of the node command itself.
    await supervisor('shipped + node --lite-mode', 'bin/flinkvisor.js', shipped, ['--lite-mode']),
  ];
  // `--only lite,shipped`: the bare process and the variants whose names contain one of these.
  const variants = every.filter(
    (v, i) => i === 0 || only.length === 0 || only.some((word) => v.name.includes(word)),
  );
  const resident: ResidentMeasurement[] = [];
  for (const v of variants)
    resident.push(
      await measureResident(v, {
        cwd: PROJECT_ROOT,
        logDir: s.env.dir,
        settleMs: 20_000,
        soakMs: soakSeconds * 1000,
        sampleMs: 5_000,
      }),
    );
  const bare = resident[0]?.medianMiB ?? NaN;
  const polls = soakSeconds / POLL_SECONDS;
  console.log(
    [
      `supervisor, one cluster and two jobs (polling interval ${POLL_SECONDS} s, Flink 1.20):`,
      `  STOP annotation → cancel in Flink   p50 ${pct(50)} ms   p99 ${pct(99)} ms   (n=${latencies.length}; ${(pct(50) / (POLL_SECONDS * 1000)).toFixed(2)}x the polling interval)`,
      `  supervisor resident memory           ${(rssKb / 1024).toFixed(1)} MiB`,
      `  Flink REST requests per minute       ${restPerMinute}  (${(restPerMinute / (60 / POLL_SECONDS)).toFixed(2)} per poll)`,
      `  API-server writes per minute         ${writesPerMinute}`,
      `  second job still ${String(jobsStatus?.status?.['jobStatus'])}`,
      `resident memory, each leading the cluster in turn (settle 20 s, soak ${soakSeconds} s, RSS every 5 s; Node ${process.version}):`,
      ...resident.map(
        (r) =>
          `  ${r.name.padEnd(36)} ${r.medianMiB.toFixed(1).padStart(6)} MiB  ${(r.medianMiB / bare).toFixed(2)}x bare` +
          `   slope ${r.slopeMiBPerHour.toFixed(1)} MiB/h` +
          (r.flinkRequests === undefined
            ? ''
            : `   Flink REST ${(r.flinkRequests / polls / 2).toFixed(2)} per job per poll` +
              `   passes ${r.passes ?? '?'} (${polls} polls)`),
      ),
      // Each supervisor's Flink calls by endpoint and outcome: a failing call counts as one too.
      ...resident.flatMap((r) =>
        r.flinkRequestsBy === undefined
          ? []
          : [
              `  Flink REST of ${r.name}: ` +
                Object.entries(r.flinkRequestsBy)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([key, n]) => `${key} ${n}`)
                  .join(', '),
            ],
      ),
      `  samples (MiB): ${resident.map((r) => `${r.name}: ${r.samplesMiB.map((m) => m.toFixed(1)).join(' ')}`).join('; ')}`,
      `  logs: ${join(s.env.dir, 'resident-*.log')}`,
    ].join('\n'),
  );
} finally {
  await s.stop();
}
