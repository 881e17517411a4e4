// The API server unreachable in the middle of a STOP, two ways: kube-apiserver frozen (SIGSTOP)
// for longer than the lease, or its process killed and started again (same flags, ports,
// certificates, etcd data). Either way no replica can renew or take the lease meanwhile; the
// leader stops leading at its renew deadline and exits; once the API answers again one of them
// leads and finishes the stop from status: Stopped, no Flink job running, one savepoint recorded by
// exactly one FlinkSavepoint.
import { JOBS, requestAction, waitForStatus, type SupervisedEnvironment } from '../support/flinkvisor-e2e.ts';
import {
  JOB,
  NS,
  aliveJobsOnceAnswering,
  ensureRunning,
  eventsSince,
  leaseHolder,
  listSavepoints,
  waitForMachineState,
  newSavepoints,
  stopped,
  type Outcome,
} from './chaos-support.ts';

interface ApiServerFault {
  /** The machine state (a dotted prefix) the fault comes in. */
  readonly in: string;
  /** How often the state is looked for (a short state needs a fast look). */
  readonly pollMs: number;
  /** Does the harm, until the API server answers again; resolves with the scenario's name. */
  readonly inflict: (s: SupervisedEnvironment) => Promise<string>;
}

async function stopUnderApiServerFault(s: SupervisedEnvironment, fault: ApiServerFault): Promise<Outcome> {
  const startedAt = Date.now();
  await ensureRunning(s);
  const afterStart = await listSavepoints(s);
  const leaderBefore = await leaseHolder(s);
  await requestAction(s.kc, JOBS, NS, JOB, 'STOP');
  const killedIn = await waitForMachineState(s, fault.in, 120_000, fault.pollMs);
  const faultAt = Date.now();
  const scenario = await fault.inflict(s);
  await waitForStatus(s.kc, JOBS, NS, JOB, 'Stopped', stopped, 300_000);
  const convergeMs = Date.now() - startedAt;
  await new Promise((r) => setTimeout(r, 5000));
  const alive = await aliveJobsOnceAnswering(s);
  const { created, recordedOnce } = await newSavepoints(s, afterStart);
  const leaderAfter = await leaseHolder(s);
  return {
    scenario,
    killedIn,
    converged: 'Stopped',
    flinkJobsRunning: alive,
    expectedRunning: 0,
    savepoints: `${created} new (expected 1), ${recordedOnce} recorded once`,
    takeoverMs: null,
    convergeMs,
    ok: alive === 0 && created === 1 && recordedOnce === 1,
    note: `${leaderAfter === leaderBefore ? 'same leader after' : 'another replica led after'}; events: ${await eventsSince(s, faultAt)}`,
  };
}

function apiServer(s: SupervisedEnvironment) {
  const p = s.env.controlPlane.processes.find((q) => q.name === 'kube-apiserver');
  if (p?.pid === undefined) throw new Error('no kube-apiserver process');
  return p.pid;
}

/** kube-apiserver frozen (SIGSTOP) 25 s, past the lease, then thawed. */
export const runApiServerFreeze = (s: SupervisedEnvironment) =>
  stopUnderApiServerFault(s, {
    in: 'Stopping',
    pollMs: 500,
    inflict: async () => {
      const pid = apiServer(s);
      const frozenAt = Date.now();
      process.kill(pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 25_000));
      process.kill(pid, 'SIGCONT');
      return `API server frozen ${((Date.now() - frozenAt) / 1000).toFixed(0)} s during a STOP`;
    },
  });

/**
 * kube-apiserver killed (SIGKILL) while the stop-with-savepoint is in flight and started again,
 * at once or after `downMs`: watches break, requests in flight fail, nothing can be written (nor
 * the lease renewed) until it is back.
 */
export const runApiServerRestart = (s: SupervisedEnvironment, downMs = 0) =>
  stopUnderApiServerFault(s, {
    in: 'Stopping.SavepointStop',
    pollMs: 100,
    inflict: async () => {
      const killedAt = Date.now();
      await s.env.controlPlane.restartProcess('kube-apiserver', { downMs });
      const down = ((Date.now() - killedAt) / 1000).toFixed(1);
      return downMs
        ? `API server killed during a STOP, started again after ${downMs / 1000} s (down ${down} s)`
        : `API server restarted (down ${down} s) during a STOP`;
    },
  });
