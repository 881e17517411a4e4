// Supervisor failover (issue 7): kill -9 the leading supervisor while a stop-with-savepoint is in
// flight. A replica takes over within the lease time, the savepoint completes once, the job ends
// Stopped where it should, and nothing is submitted twice. The TaskManager is frozen (SIGSTOP) while
// the leader dies, so the savepoint is surely still in flight; it is thawed after the takeover.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
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
  signalGroups,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-failover';
const cluster = 'fo';
const job = `${cluster}-speed`;
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(
    s.kc,
    flinkClusterManifest(ns, cluster, {
      taskSlots: 2,
      taskTimeout: 180,
      supervisorReplicas: 2,
      // The frozen TaskManager must not fail the savepoint (RPC ask timeout) or be declared lost
      // (heartbeat timeout) while the supervisors fail over.
      flinkConfiguration: { 'pekko.ask.timeout': '120 s', 'heartbeat.timeout': '180000' },
    }),
  );
  await createResource(s.kc, flinkJobManifest(ns, cluster, 'speed', s.stateDir));
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

const lease = () =>
  s.kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: `flinkvisor-supervisor-${cluster}`, namespace: ns });

describe(`a leading supervisor killed while a savepoint is in flight (Flink ${flinkUnderTest.version})`, () => {
  it('is replaced within the lease time; the savepoint completes once; nothing is submitted twice', async () => {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'running',
      (st) => st['jobStatus'] === 'RUNNING',
    );
    const jobId = String(running.status?.['jobId']);
    await waitForTasksRunning(s, ns, cluster, jobId);
    const supervisors = await clusterPods(s.kc, ns, cluster, 'supervisor');
    expect(supervisors).toHaveLength(2);
    const savepointDir = `${s.stateDir}/savepoints/${ns}/${job}`;
    const before = await readdir(savepointDir).catch(() => [] as string[]);

    const [tm] = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    const tmGroups = await podProcessGroups(s, ns, tm?.metadata?.name ?? '');
    signalGroups(tmGroups, 'SIGSTOP');
    try {
      await requestAction(s.kc, JOBS, ns, job, 'STOP');
      // The intent is in status (write-ahead) before the request reaches Flink.
      const recorded = await waitForStatus(s.kc, JOBS, ns, job, 'the stop trigger recorded', (st) => {
        const stop = (st['machine'] as { context?: { stop?: { triggerId?: string | null } } } | undefined)
          ?.context?.stop;
        return Boolean(stop?.triggerId);
      });
      const triggerId = (recorded.status?.['machine'] as { context: { stop: { triggerId: string } } }).context
        .stop.triggerId;
      await new Promise((r) => setTimeout(r, 2000)); // the trigger reaches Flink
      const leader = (await lease()).spec?.holderIdentity ?? '';
      const leaderPod = leader.split('_')[0] ?? '';
      const killedAt = Date.now();
      signalGroups(await podProcessGroups(s, ns, leaderPod), 'SIGKILL');
      const next = await waitFor(
        'a new leader',
        async () => {
          const holder = (await lease()).spec?.holderIdentity;
          return holder && holder !== leader ? holder : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const takeoverMs = Date.now() - killedAt;
      process.stderr.write(`supervisor takeover after kill -9: ${takeoverMs} ms (new leader ${next})\n`);
      expect(takeoverMs).toBeLessThan(15_000 + 2 * 2_000 * 2.2 + 5_000); // lease + two jittered retry periods + slack
      expect((await readResource(s.kc, JOBS, ns, job))?.status?.['supervisorStatus']).toBe('Stopping');
      // The new leader resumed the same stop: same trigger id, still in status.
      const resumed = (await readResource(s.kc, JOBS, ns, job))?.status?.['machine'] as {
        context: { stop: { triggerId: string } | null };
      };
      expect(resumed.context.stop?.triggerId).toBe(triggerId);
    } finally {
      signalGroups(tmGroups, 'SIGCONT');
    }
    const stopped = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'Stopped with a savepoint',
      (st) => st['supervisorStatus'] === 'Stopped' && String(st['savepointPath'] ?? '') !== '',
      240_000,
    );
    const after = await readdir(savepointDir);
    const created = after.filter((d) => !before.includes(d));
    expect(created).toHaveLength(1); // exactly one savepoint
    expect(String(stopped.status?.['savepointPath'])).toContain(created[0] ?? 'none');
    const flink = await flinkRest(s, ns, cluster);
    const jobs = await flinkJson<{ jobs: { id: string; status: string }[] }>(`${flink}/jobs`);
    expect(jobs.jobs).toEqual([{ id: jobId, status: 'FINISHED' }]); // stopped with the savepoint, never resubmitted
  });
});
