// The supervisor cut off from Flink's REST API for longer than the cluster's taskTimeout (both
// replicas, every Flink address; rest-partition.ts says how), while the job runs and during a STOP.
// What the supervisor does meanwhile is its business (restart an unreachable cluster, time a stop
// out and fall back to cancel); what must hold once the cut heals: it converges (Started and
// running, or Stopped), never more than one Flink job runs, at any moment, and every savepoint
// Flink wrote is recorded by exactly one FlinkSavepoint. The row's note tells what it did.
import { FLINK_PORTS } from '../../src/supervisor/resource-builders.ts';
import {
  CLUSTERS,
  JOBS,
  clusterPods,
  podProcessGroups,
  readResource,
  requestAction,
  waitForStatus,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import {
  CLUSTER,
  JOB,
  NS,
  aliveJobs,
  aliveJobsOnceAnswering,
  ensureRunning,
  eventsSince,
  listSavepoints,
  machineState,
  waitForMachineState,
  newSavepoints,
  running,
  stopped,
  type Outcome,
} from './chaos-support.ts';
import { partitionFromPort, processesOfGroups } from './rest-partition.ts';

/** Every process of every supervisor replica (a restarted one included). */
async function supervisorProcesses(s: SupervisedEnvironment): Promise<number[]> {
  const pods = await clusterPods(s.kc, NS, CLUSTER, 'supervisor');
  const groups = await Promise.all(pods.map((p) => podProcessGroups(s, NS, p.metadata?.name ?? '')));
  return processesOfGroups(groups.flat());
}

/** What the supervisor showed while cut off: its machines' states in turn, conditions gone false. */
class CutTrace {
  readonly #states: string[] = [];
  readonly #conditions = new Set<string>();
  maxAlive = 0;

  async look(s: SupervisedEnvironment): Promise<void> {
    const [job, cluster] = await Promise.all([
      readResource(s.kc, JOBS, NS, JOB),
      readResource(s.kc, CLUSTERS, NS, CLUSTER),
    ]);
    for (const [kind, r] of [
      ['fj', job],
      ['fc', cluster],
    ] as const) {
      const st = r?.status ?? {};
      const state = `${kind} ${machineState(st).split('.').slice(0, 2).join('.')}`;
      if (!this.#states.includes(state)) this.#states.push(state);
      for (const c of (st['conditions'] ?? []) as { type: string; status: string; reason?: string }[]) {
        if (c.status === 'False' && c.type !== 'Paused')
          this.#conditions.add(`${kind} ${c.type}=False(${c.reason})`);
      }
    }
    // Seen from outside the cut: a second Flink job at any moment is the failure this looks for.
    this.maxAlive = Math.max(this.maxAlive, await aliveJobs(s).catch(() => 0));
  }

  toString(): string {
    return `states: ${this.#states.join(' → ')}; false conditions: ${[...this.#conditions].join(', ') || 'none'}`;
  }
}

async function partitioned(s: SupervisedEnvironment, during: 'running' | 'stop'): Promise<Outcome> {
  const startedAt = Date.now();
  await ensureRunning(s);
  const before = await listSavepoints(s);
  const cluster = await readResource(s.kc, CLUSTERS, NS, CLUSTER);
  const taskTimeout = Number((cluster?.spec['supervisor'] as { taskTimeout?: number })?.taskTimeout ?? 300);
  const holdMs = (taskTimeout + 30) * 1000;
  let cutIn = machineState((await readResource(s.kc, JOBS, NS, JOB))?.status ?? {});
  if (during === 'stop') {
    await requestAction(s.kc, JOBS, NS, JOB, 'STOP');
    cutIn = await waitForMachineState(s, 'Stopping.SavepointStop', 240_000, 100);
  }
  const cutAt = Date.now();
  const cut = await partitionFromPort(FLINK_PORTS.ui, () => supervisorProcesses(s), 500);
  const trace = new CutTrace();
  try {
    while (Date.now() - cutAt < holdMs) {
      await trace.look(s).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await cut.heal();
  }
  const healedAt = Date.now();
  process.stderr.write(`[chaos] partition healed after ${healedAt - cutAt} ms; ${trace}\n`);
  const converged =
    during === 'stop'
      ? stopped
      : (st: Record<string, unknown>) => running(st) && machineState(st) === 'Started.Running';
  await waitForStatus(
    s.kc,
    JOBS,
    NS,
    JOB,
    during === 'stop' ? 'Stopped' : 'Started, running',
    converged,
    600_000,
  );
  const convergedAt = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  await trace.look(s).catch(() => undefined);
  const alive = await aliveJobsOnceAnswering(s);
  const expected = during === 'stop' ? 0 : 1;
  const { created, recordedOnce } = await newSavepoints(s, before);
  return {
    scenario: `supervisor cut off from Flink's REST API ${((healedAt - cutAt) / 1000).toFixed(0)} s (taskTimeout ${taskTimeout} s)${during === 'stop' ? ' during a STOP' : ''}`,
    killedIn: cutIn,
    converged: during === 'stop' ? 'Stopped' : 'Started, running',
    flinkJobsRunning: alive,
    expectedRunning: expected,
    savepoints: `${created} new${during === 'stop' ? ' (expected at most 1)' : ''}, ${recordedOnce} recorded once`,
    takeoverMs: null,
    convergeMs: convergedAt - startedAt,
    ok:
      alive === expected &&
      trace.maxAlive <= 1 &&
      recordedOnce === created &&
      (during === 'running' || created <= 1),
    note: `${cut.cut.size} supervisor processes cut; at most ${trace.maxAlive} Flink job running at once; converged ${((convergedAt - healedAt) / 1000).toFixed(0)} s after the cut healed; ${trace}; events: ${await eventsSince(s, cutAt)}`,
  };
}

export const runPartitionWhileRunning = (s: SupervisedEnvironment) => partitioned(s, 'running');
export const runPartitionDuringStop = (s: SupervisedEnvironment) => partitioned(s, 'stop');
