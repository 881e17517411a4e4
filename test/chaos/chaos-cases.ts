// The chaos cases (issue 17), shared by `npm run chaos` (main.ts: the whole matrix, a table for
// docs/reliability.md) and CI's rotating sample (test/e2e/chaos-sample.test.ts: one case a day).
// Each case runs on the cluster `startChaosCluster` brings up: two supervisor replicas leading one
// FlinkCluster in turn, one FlinkJob running.
import { CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  JOBS,
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  patchResource,
  podProcessGroups,
  readResource,
  requestAction,
  signalGroups,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { runApiServerFreeze, runApiServerRestart } from './api-server-faults.ts';
import {
  CLUSTER,
  JOB,
  LEASE_MS,
  NS,
  aliveJobs,
  flinkJobs,
  leaseHolder,
  listSavepoints,
  machineState,
  newSavepoints,
  running,
  waitForMachineState,
  type Outcome,
} from './chaos-support.ts';
import { runPartitionDuringStop, runPartitionWhileRunning } from './partition.ts';

/** The chaos cluster: two supervisor replicas, one FlinkJob (TopSpeedWindowing) running. */
export async function startChaosCluster(s: SupervisedEnvironment): Promise<void> {
  await supervisedNamespace(s.kc, NS);
  await createResource(s.kc, flinkClusterManifest(NS, CLUSTER, { taskSlots: 2, supervisorReplicas: 2 }));
  await createResource(s.kc, flinkJobManifest(NS, CLUSTER, 'speed', s.stateDir));
  await deploySupervisor(s.kc, NS, CLUSTER);
  const first = await waitForStatus(s.kc, JOBS, NS, JOB, 'running', running, 300_000);
  await waitForTasksRunning(s, NS, CLUSTER, String(first.status?.['jobId']));
  await waitFor(
    'two supervisors',
    async () => ((await clusterPods(s.kc, NS, CLUSTER, 'supervisor')).length === 2 ? true : undefined),
    { timeoutMs: 120_000 },
  );
}

export interface Scenario {
  readonly name: string;
  /** Drives the job into the step (a request, a spec patch). */
  readonly act: (s: SupervisedEnvironment) => Promise<void>;
  /** The persisted machine state the leader is killed in (a dotted path prefix). */
  readonly killIn: string;
  /** The state the job must converge to, and how many Flink jobs then run. */
  readonly converged: (st: Record<string, unknown>) => boolean;
  readonly convergedAs: string;
  readonly expectedRunning: number;
  /** New savepoint directories the step must leave (null: any, each recorded once). */
  readonly savepoints: number | null;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'periodic savepoint',
    act: async (s) => {
      await patchResource(s.kc, JOBS, NS, JOB, { spec: { savepoint: { savepointInterval: 5 } } });
    },
    killIn: 'Started.Savepointing',
    converged: (st) => running(st) && machineState(st) === 'Started.Running',
    convergedAs: 'Started, running',
    expectedRunning: 1,
    savepoints: null,
  },
  {
    name: 'STOP with a savepoint',
    act: async (s) => requestAction(s.kc, JOBS, NS, JOB, 'STOP'),
    killIn: 'Stopping',
    converged: (st) => st['supervisorStatus'] === 'Stopped',
    convergedAs: 'Stopped',
    expectedRunning: 0,
    savepoints: 1,
  },
  {
    name: 'START',
    act: async (s) => requestAction(s.kc, JOBS, NS, JOB, 'START'),
    killIn: 'Starting',
    converged: running,
    convergedAs: 'Started, running',
    expectedRunning: 1,
    savepoints: 0,
  },
  {
    name: 'spec change (restart from a savepoint)',
    act: async (s) => {
      await patchResource(s.kc, JOBS, NS, JOB, {
        spec: { bootstrap: { arguments: ['--output', `/tmp/chaos-${Date.now()}`] } },
      });
    },
    killIn: 'Stopping',
    converged: (st) => running(st) && st['supervisorStatus'] === 'Started',
    convergedAs: 'Started, running',
    expectedRunning: 1,
    savepoints: 1,
  },
  {
    name: 'spec change, killed while resubmitting',
    act: async (s) => {
      await patchResource(s.kc, JOBS, NS, JOB, {
        spec: { bootstrap: { arguments: ['--output', `/tmp/chaos-${Date.now()}`] } },
      });
    },
    killIn: 'Starting',
    converged: (st) => running(st) && st['supervisorStatus'] === 'Started',
    convergedAs: 'Started, running',
    expectedRunning: 1,
    savepoints: 1,
  },
  {
    name: 'scale (parallelism 1 → 2)',
    act: async (s) => {
      await patchResource(s.kc, JOBS, NS, JOB, { spec: { jobParallelism: 2 } });
    },
    killIn: 'Stopping',
    converged: (st) => running(st) && st['jobParallelism'] === 2,
    convergedAs: 'Started, running, parallelism 2',
    expectedRunning: 1,
    savepoints: 1,
  },
];

/** Kills the leading supervisor; resolves with the time until another replica holds the lease. */
async function killLeader(
  s: SupervisedEnvironment,
  signal: NodeJS.Signals,
): Promise<{
  leader: string;
  pod: string;
  groups: number[];
  takeoverMs: number;
}> {
  const leader = await leaseHolder(s);
  const pod = leader.split('_')[0] ?? '';
  const groups = await podProcessGroups(s, NS, pod);
  const killedAt = Date.now();
  signalGroups(groups, signal);
  await waitFor(
    'another supervisor leading',
    async () => {
      const holder = await leaseHolder(s).catch(() => '');
      return holder && holder !== leader ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
  return { leader, pod, groups, takeoverMs: Date.now() - killedAt };
}

export async function runScenario(s: SupervisedEnvironment, scenario: Scenario): Promise<Outcome> {
  const before = await listSavepoints(s);
  const startedAt = Date.now();
  await scenario.act(s);
  const killedIn = await waitForMachineState(s, scenario.killIn);
  const kill = await killLeader(s, 'SIGKILL');
  if (scenario.name === 'periodic savepoint') {
    // One periodic savepoint under fire is the step; stop taking more before converging.
    await patchResource(s.kc, JOBS, NS, JOB, { spec: { savepoint: { savepointInterval: 0 } } });
  }
  const done = await waitForStatus(s.kc, JOBS, NS, JOB, scenario.convergedAs, scenario.converged, 300_000);
  const convergeMs = Date.now() - startedAt;
  // Let anything still in flight land before counting.
  await new Promise((r) => setTimeout(r, 5000));
  const alive = await aliveJobs(s);
  // Every savepoint Flink wrote is recorded by exactly one FlinkSavepoint: none lost, none doubled.
  const { created, recordedOnce: recorded } = await newSavepoints(s, before);
  const savepointsOk =
    recorded === created && (scenario.savepoints === null ? created >= 1 : created === scenario.savepoints);
  const ok =
    alive === scenario.expectedRunning &&
    savepointsOk &&
    kill.takeoverMs <= LEASE_MS + 2 * 2_000 * 2.2 + 2_000;
  if (scenario.name === 'START' || scenario.expectedRunning === 1) {
    const id = String(done.status?.['jobId'] ?? '');
    if (id) await waitForTasksRunning(s, NS, CLUSTER, id).catch(() => undefined);
  }
  return {
    scenario: scenario.name,
    killedIn,
    converged: scenario.convergedAs,
    flinkJobsRunning: alive,
    expectedRunning: scenario.expectedRunning,
    savepoints: `${created} new${scenario.savepoints === null ? '' : ` (expected ${scenario.savepoints})`}, ${recorded} recorded once`,
    takeoverMs: kill.takeoverMs,
    convergeMs,
    ok,
    note: '',
  };
}

/** The zombie: the leader frozen past its lease, a successor takes over, the zombie thawed. */
async function runZombie(s: SupervisedEnvironment): Promise<Outcome> {
  const startedAt = Date.now();
  const jobsBefore = await flinkJobs(s);
  const resourceVersionOf = async () =>
    (await readResource(s.kc, JOBS, NS, JOB))?.metadata['resourceVersion'];
  const frozen = await killLeader(s, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, 5000));
  const core = s.kc.makeApiClient(CoreV1Api);
  const restartsOf = async () =>
    (await core.readNamespacedPod({ name: frozen.pod, namespace: NS })).status?.containerStatuses?.[0]
      ?.restartCount ?? 0;
  const restartsBefore = await restartsOf();
  const rvBefore = await resourceVersionOf();
  const thawedAt = Date.now();
  signalGroups(frozen.groups, 'SIGCONT');
  // A thawed zombie finds its renew deadline long past: it stops leading and its process exits.
  const exited = await waitFor(
    'the thawed zombie to exit',
    async () => ((await restartsOf()) > restartsBefore ? Date.now() - thawedAt : undefined),
    { timeoutMs: 60_000, intervalMs: 100 },
  ).catch(() => null);
  await new Promise((r) => setTimeout(r, 3000));
  const jobsAfter = await flinkJobs(s);
  const alive = jobsAfter.filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.status)).length;
  const rvAfter = await resourceVersionOf();
  const ok = exited !== null && alive === 1 && jobsAfter.length === jobsBefore.length;
  return {
    scenario: 'zombie: leader frozen (SIGSTOP) past its lease, then thawed',
    killedIn: 'Started.Running',
    converged: 'Started, running',
    flinkJobsRunning: alive,
    expectedRunning: 1,
    savepoints: '0 new',
    takeoverMs: frozen.takeoverMs,
    convergeMs: Date.now() - startedAt,
    ok,
    note:
      exited === null
        ? 'the thawed zombie did not exit within 60 s'
        : `the thawed zombie exited after ${exited} ms; FlinkJob ${rvAfter === rvBefore ? 'not written' : 'written'} meanwhile (the new leader may write it)`,
  };
}

/** The cases beyond a killed leader, each chosen by its key (`--only KEY`). */
export interface Fault {
  readonly key: string;
  readonly name: string;
  /** The state it comes in, and the Flink jobs running once converged (for a row if it throws). */
  readonly state: string;
  readonly expectedRunning: number;
  readonly run: (s: SupervisedEnvironment) => Promise<Outcome>;
}

export const FAULTS: readonly Fault[] = [
  { key: 'zombie', name: 'zombie', state: 'Started.Running', expectedRunning: 1, run: runZombie },
  {
    key: 'apiserver',
    name: 'API server frozen during a STOP',
    state: 'Stopping',
    expectedRunning: 0,
    run: runApiServerFreeze,
  },
  {
    key: 'apiserver-restart',
    name: 'API server restarted during a STOP',
    state: 'Stopping.SavepointStop',
    expectedRunning: 0,
    run: (s) => runApiServerRestart(s),
  },
  {
    key: 'partition',
    name: "supervisor cut off from Flink's REST API",
    state: 'Started.Running',
    expectedRunning: 1,
    run: runPartitionWhileRunning,
  },
  {
    key: 'partition-stop',
    name: "supervisor cut off from Flink's REST API during a STOP",
    state: 'Stopping.SavepointStop',
    expectedRunning: 0,
    run: runPartitionDuringStop,
  },
  {
    // Down past the lease and the renew deadline: the leader must give up, and a leader come back.
    // Last: the node agent does not recover from this (it renews its Lease but never reports Ready
    // again once kube-controller-manager marked the Node NotReady, so pods lose their readiness and
    // new ones are not scheduled); a case after it would test a broken environment.
    key: 'apiserver-down',
    name: 'API server killed during a STOP, back after 20 s',
    state: 'Stopping.SavepointStop',
    expectedRunning: 0,
    run: (s) => runApiServerRestart(s, 20_000),
  },
];
