// A bad upgrade on real parts (issue 16): the new spec makes the job fail at start in Flink (its
// input file does not exist). With upgrade.rollback on, the supervisor resubmits the last stable spec
// from the savepoint the upgrade took, within healthCheckWindow plus one restart; with rollback off
// the job stays failed and says so. Real kube-apiserver, real Flink 1.20, the supervisor's pod run by
// the node agent.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/api/status.ts';
import {
  JOBS,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  patchResource,
  readResource,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-rollback';
const cluster = 'ur';
const WINDOW_S = 30;
/** Arguments that make TopSpeedWindowing fail at start: its file source finds no input. */
const BAD_ARGUMENTS = ['--input', 'file:///nonexistent/flinkvisor-e2e/cars.csv'];

function gated(name: string, rollback: boolean) {
  const fj = flinkJobManifest(ns, cluster, name, s.stateDir, { savepointMode: 'Automatic' });
  return { ...fj, spec: { ...fj.spec, upgrade: { healthCheckWindow: WINDOW_S, maxRestarts: 0, rollback } } };
}

const condition = (st: Record<string, unknown>, type: string) =>
  ((st['conditions'] ?? []) as Condition[]).find((c) => c.type === type);

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(s.kc, flinkClusterManifest(ns, cluster, { taskSlots: 2 }));
  await createResource(s.kc, gated('on', true));
  await createResource(s.kc, gated('off', false));
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe(`an upgrade whose job fails at start (Flink ${e2eFlink().version})`, () => {
  it('rollback on: back on the last stable spec and its state; rollback off: left failed, said plainly', async () => {
    const jobIds: Record<string, string> = {};
    for (const name of ['on', 'off']) {
      const st = await waitForStatus(
        s.kc,
        JOBS,
        ns,
        `${cluster}-${name}`,
        'running',
        (x) => x['jobStatus'] === 'RUNNING',
      );
      jobIds[name] = String(st.status?.['jobId']);
      await waitForTasksRunning(s, ns, cluster, jobIds[name] ?? '');
      expect(st.status?.['lastStableSpec']).toMatchObject({ parallelism: 1 });
    }
    const upgradedAt = Date.now();
    for (const name of ['on', 'off'])
      await patchResource(s.kc, JOBS, ns, `${cluster}-${name}`, {
        spec: { bootstrap: { arguments: BAD_ARGUMENTS } },
      });

    const rolledBack = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      `${cluster}-on`,
      'rolled back and running',
      (st) =>
        (st['upgrade'] as { phase?: string } | undefined)?.phase === 'RolledBack' &&
        st['supervisorStatus'] === 'Started' &&
        st['jobStatus'] === 'RUNNING',
      300_000,
    );
    const rollbackMs = Date.now() - upgradedAt;
    process.stderr.write(
      `[rollback] spec change -> rolled back and RUNNING: ${(rollbackMs / 1000).toFixed(1)} s\n`,
    );
    const on = rolledBack.status ?? {};
    const upgrade = on['upgrade'] as { snapshot?: { path: string; kind: string }; reason?: string };
    // The state restored is the savepoint the upgrade took before it deployed the bad spec.
    expect(upgrade.snapshot?.kind).toBe('savepoint');
    expect(on['restoredFrom']).toEqual(upgrade.snapshot);
    expect(String(upgrade.snapshot?.path)).toContain(`/savepoints/${ns}/${cluster}-on`);
    expect(condition(on, 'UpgradeHealthy')).toMatchObject({ status: 'False', reason: 'RolledBack' });
    expect((on['lastStableSpec'] as { specDigest: string }).specDigest).toBe(
      (on['machine'] as { context: { specDigest: string } }).context.specDigest,
    );
    const rolledBackId = String(on['jobId']);
    await waitForTasksRunning(s, ns, cluster, rolledBackId);

    const failed = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      `${cluster}-off`,
      'the failed upgrade reported',
      (st) => (st['upgrade'] as { phase?: string } | undefined)?.phase === 'Failed',
      300_000,
    );
    expect(condition(failed.status ?? {}, 'UpgradeHealthy')).toMatchObject({
      status: 'False',
      reason: 'Failed',
    });
    expect(condition(failed.status ?? {}, 'UpgradeHealthy')?.message).toContain('rollback is off');

    // Nothing more happens: the FlinkJobs still ask for the bad spec, and it is not retried.
    const submissionOf = (st: Record<string, unknown>) =>
      (st['machine'] as { context: { submission: number } }).context.submission;
    const offSubmission = submissionOf(failed.status ?? {});
    await new Promise((r) => setTimeout(r, 15_000));
    const after = (await readResource(s.kc, JOBS, ns, `${cluster}-on`))?.status ?? {};
    expect(after['jobId']).toBe(rolledBackId);
    expect(after['jobStatus']).toBe('RUNNING');
    const off = (await readResource(s.kc, JOBS, ns, `${cluster}-off`))?.status ?? {};
    expect((off['upgrade'] as { phase: string }).phase).toBe('Failed');
    expect(submissionOf(off)).toBe(offSubmission);
    // Flink's own word on the failure, in status and an Event, not only in the JobManager's log.
    const lastFailure = off['lastFailure'] as { jobId: string; exception: string; time: string } | undefined;
    expect(lastFailure?.exception).toMatch(/Exception|Error/);
    expect(Date.parse(lastFailure?.time ?? '')).toBeGreaterThan(0);
    const offEvents = (
      await s.kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${cluster}-off` })
    ).items;
    const said = offEvents.filter((e) => e.reason === 'FlinkJobFailed' || e.reason === 'FlinkJobRestarting');
    expect(said.length).toBeGreaterThan(0);
    expect(said.some((e) => e.message?.includes(lastFailure?.exception ?? '-'))).toBe(true);
    const flink = await flinkRest(s, ns, cluster);
    const jobs = (await flinkJson<{ jobs: { id: string; status: string }[] }>(`${flink}/jobs`)).jobs;
    const alive = jobs.filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.status)).map((j) => j.id);
    expect(alive).toContain(rolledBackId);
    expect(alive).not.toContain(jobIds['on']);
    expect(jobs.find((j) => j.id === jobIds['on'])?.status).toBe('FINISHED'); // stopped with its savepoint
    const events = (
      await s.kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${cluster}-on` })
    ).items;
    expect(events.filter((e) => e.reason === 'RollingBack').map((e) => e.type)).toEqual(['Warning']);
    expect(events.filter((e) => e.reason === 'RolledBack')).toHaveLength(1);
  });
});
