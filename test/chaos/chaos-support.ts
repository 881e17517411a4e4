// What every chaos scenario shares: the names of the cluster and job under fire, the outcome row,
// and the readings that judge it (machine state, Flink jobs, savepoints on disk and their records).
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { readdir } from 'node:fs/promises';
import { API_GROUP, API_VERSION, FLINK_SAVEPOINT } from '../../src/api/names.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  JOBS,
  customObjects,
  flinkJson,
  flinkRest,
  readResource,
  requestAction,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';

export const NS = 'chaos';
export const CLUSTER = 'ch';
export const JOB = `${CLUSTER}-speed`;
/** The supervisor's lease (ADR 0014): a takeover must come within it plus two retry periods. */
export const LEASE_MS = 15_000;

export interface Outcome {
  readonly scenario: string;
  readonly killedIn: string;
  readonly converged: string;
  readonly flinkJobsRunning: number;
  readonly expectedRunning: number;
  readonly savepoints: string;
  readonly takeoverMs: number | null;
  readonly convergeMs: number;
  readonly ok: boolean;
  readonly note: string;
}

/** The row of a scenario that threw: it did not converge, and the note says why. */
export function failedOutcome(
  scenario: string,
  killedIn: string,
  expectedRunning: number,
  err: unknown,
): Outcome {
  return {
    scenario,
    killedIn,
    converged: 'did not converge',
    flinkJobsRunning: -1,
    expectedRunning,
    savepoints: '?',
    takeoverMs: null,
    convergeMs: 0,
    ok: false,
    note: String(err).slice(0, 300),
  };
}

const dotted = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? ['', ''];
    const rest = dotted(inner);
    return rest ? `${key}.${rest}` : key;
  }
  return '';
};

export const machineState = (st: Record<string, unknown>) =>
  dotted((st['machine'] as { value?: unknown })?.value);
export const running = (st: Record<string, unknown>) =>
  st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING';
export const stopped = (st: Record<string, unknown>) => st['supervisorStatus'] === 'Stopped';

/** Waits until the job's persisted machine state starts with `prefix`; resolves with that state. */
export async function waitForMachineState(
  s: SupervisedEnvironment,
  prefix: string,
  timeoutMs = 120_000,
  intervalMs?: number,
): Promise<string> {
  let state = '';
  await waitForStatus(
    s.kc,
    JOBS,
    NS,
    JOB,
    `in ${prefix}`,
    (st) => (state = machineState(st)).startsWith(prefix),
    timeoutMs,
    intervalMs,
  );
  return state;
}

export async function leaseHolder(s: SupervisedEnvironment): Promise<string> {
  const lease = await s.kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: `flinkvisor-supervisor-${CLUSTER}`, namespace: NS });
  return lease.spec?.holderIdentity ?? '';
}

export async function flinkJobs(s: SupervisedEnvironment): Promise<{ id: string; status: string }[]> {
  const url = await flinkRest(s, NS, CLUSTER);
  return (await flinkJson<{ jobs: { id: string; status: string }[] }>(`${url}/jobs`)).jobs;
}

/** Flink jobs not ended: one while the job runs, none once it is stopped. */
export const aliveJobs = async (s: SupervisedEnvironment) =>
  (await flinkJobs(s)).filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.status)).length;

/** aliveJobs once Flink answers: a cluster the supervisor restarted (or is restarting) takes a while. */
export const aliveJobsOnceAnswering = (s: SupervisedEnvironment) =>
  waitFor('Flink REST answering', () => aliveJobs(s).catch(() => undefined), {
    timeoutMs: 180_000,
    intervalMs: 1000,
  });

const savepointDir = (s: SupervisedEnvironment) => `${s.stateDir}/savepoints/${NS}/${JOB}`;
export const listSavepoints = async (s: SupervisedEnvironment) =>
  new Set(await readdir(savepointDir(s)).catch(() => [] as string[]));

/** The paths of the job's completed FlinkSavepoints. */
export async function savepointRecords(s: SupervisedEnvironment): Promise<string[]> {
  const list = (await customObjects(s.kc).listNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace: NS,
    plural: FLINK_SAVEPOINT.plural,
  })) as { items: { status?: { state?: string; path?: string } }[] };
  return list.items.flatMap((o) => (o.status?.state === 'Completed' && o.status.path ? [o.status.path] : []));
}

/** Savepoint directories Flink wrote since `before`, and how many of them exactly one FlinkSavepoint records. */
export async function newSavepoints(
  s: SupervisedEnvironment,
  before: ReadonlySet<string>,
): Promise<{ created: number; recordedOnce: number }> {
  const created = [...(await listSavepoints(s))].filter((d) => !before.has(d));
  const records = await savepointRecords(s);
  const recordedOnce = created.filter((d) => records.filter((p) => p.endsWith(`/${d}`)).length === 1).length;
  return { created: created.length, recordedOnce };
}

/** START the job unless it runs, and wait until all its tasks do (Flink refuses savepoints before). */
export async function ensureRunning(s: SupervisedEnvironment): Promise<string> {
  if (!running((await readResource(s.kc, JOBS, NS, JOB))?.status ?? {})) {
    await requestAction(s.kc, JOBS, NS, JOB, 'START');
    await waitForStatus(s.kc, JOBS, NS, JOB, 'running', running, 300_000);
  }
  const id = String((await readResource(s.kc, JOBS, NS, JOB))?.status?.['jobId'] ?? '');
  await waitForTasksRunning(s, NS, CLUSTER, id);
  return id;
}

/** The reasons of the Events about the job and its cluster since `since`, in order, repeats counted. */
export async function eventsSince(s: SupervisedEnvironment, since: number): Promise<string> {
  const list = await s.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NS });
  const seen = new Map<string, number>();
  const items = list.items
    .map((e) => ({
      at: new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? 0).getTime(),
      what: `${e.involvedObject.name === CLUSTER ? 'fc' : 'fj'} ${e.type === 'Warning' ? '⚠' : ''}${e.reason}`,
      name: e.involvedObject.name,
    }))
    .filter((e) => e.at >= since - 1000 && (e.name === JOB || e.name === CLUSTER))
    .sort((a, b) => a.at - b.at);
  for (const e of items) seen.set(e.what, (seen.get(e.what) ?? 0) + 1);
  return [...seen].map(([what, n]) => (n > 1 ? `${what} ×${n}` : what)).join(', ');
}
