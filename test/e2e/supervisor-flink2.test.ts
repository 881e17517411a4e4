// The supervisor's key cases on Flink 2.3 (issue 7): start, savepoint on request, stop with a
// savepoint, start again from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JOBS,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  flinkRest,
  readResource,
  requestAction,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-flink2';
const cluster = 'two';
const job = `${cluster}-speed`;
const running = (st: Record<string, unknown>) =>
  st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING';

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(s.kc, flinkClusterManifest(ns, cluster, { flinkImage: 'flink:2.3', taskSlots: 2 }));
  await createResource(s.kc, flinkJobManifest(ns, cluster, 'speed', s.stateDir, { line: '2.3' }));
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe('a job on Flink 2.3', () => {
  it('starts, takes a savepoint on request, stops with a savepoint and starts again from it', async () => {
    const started = await waitForStatus(s.kc, JOBS, ns, job, 'running', running);
    const flink = await flinkRest(s, ns, cluster);
    expect((await flinkJson<{ 'flink-version': string }>(`${flink}/config`))['flink-version']).toBe('2.3.0');
    await waitForTasksRunning(s, ns, cluster, String(started.status?.['jobId']));
    await requestAction(s.kc, JOBS, ns, job, 'TRIGGER_SAVEPOINT');
    const saved = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'a savepoint',
      (st) => String(st['savepointPath'] ?? '') !== '',
    );
    const first = String(saved.status?.['savepointPath']);
    await requestAction(s.kc, JOBS, ns, job, 'STOP');
    const stopped = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'Stopped with a new savepoint',
      (st) => st['supervisorStatus'] === 'Stopped' && st['savepointPath'] !== first,
    );
    const path = String(stopped.status?.['savepointPath']);
    expect(path).toContain('savepoint-');
    await requestAction(s.kc, JOBS, ns, job, 'START');
    const again = await waitForStatus(s.kc, JOBS, ns, job, 'running again', running);
    expect(again.status?.['jobId']).not.toBe(started.status?.['jobId']);
    expect((await readResource(s.kc, JOBS, ns, job))?.status?.['savepointPath']).toBe(path);
  });
});
