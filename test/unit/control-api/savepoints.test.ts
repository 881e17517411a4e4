// The savepoint routes of the control API (ADR 0015): list, show and dispose a job's
// FlinkSavepoints, through the whole request pipeline with an in-memory store.
import { KubeConfig, type V1ResourceAttributes } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLINK_JOB, FLINK_SAVEPOINT, LABELS } from '../../../src/api/names.ts';
import { startControlApi, type ControlApi } from '../../../src/control-api/control-api-server.ts';
import { systemClock } from '../../../src/kube/clock.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';
import { mockFlink, ORIGIN, type MockFlink } from '../flink/mock-flink.ts';

const NS = 'team-a';
const JOB_SPEC = {
  clusterName: 'demo',
  bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/opt/job.jar' },
  savepoint: { savepointMode: 'Manual' },
};

let api: ControlApi;
let store: InMemoryCustomResources;
let flink: MockFlink;
let reviews: V1ResourceAttributes[];

function savepoint(name: string, job: string, status: Record<string, unknown>, dispose = false) {
  store.put(FLINK_SAVEPOINT, NS, {
    metadata: {
      name,
      labels: { [LABELS.cluster]: 'demo', [LABELS.job]: job },
      ownerReferences: [{ apiVersion: 'flinkvisor.io/v1', kind: 'FlinkJob', name: job, uid: 'u' }],
    },
    spec: { jobName: job, kind: 'periodic', formatType: 'canonical', dispose },
    status,
  });
}

beforeEach(async () => {
  store = new InMemoryCustomResources();
  reviews = [];
  flink = mockFlink();
  store.put(FLINK_JOB, NS, { metadata: { name: 'demo-speed' }, spec: JOB_SPEC });
  store.put(FLINK_JOB, NS, { metadata: { name: 'demo-other' }, spec: JOB_SPEC });
  savepoint('demo-speed-sp-1', 'demo-speed', {
    state: 'Completed',
    path: 's3://b/sp/savepoint-1',
    completionTimestamp: '2026-12-06T10:00:00Z',
  });
  savepoint('demo-speed-sp-2', 'demo-speed', {
    state: 'Completed',
    path: 's3://b/sp/savepoint-2',
    completionTimestamp: '2026-12-06T11:00:00Z',
  });
  savepoint('demo-other-sp-1', 'demo-other', { state: 'Pending' });
  api = await startControlApi({
    kubeConfig: new KubeConfig(),
    namespaces: [NS],
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    flinkClient: () => flink.client,
    flinkUrl: () => ORIGIN,
    log: pino({ level: 'silent' }),
    clock: systemClock,
    tokenReviewer: async (token) =>
      token === 'admin' ? { username: 'alice', groups: [] } : { username: 'reader', groups: [] },
    accessReviewer: async (caller, attributes) => {
      reviews.push(attributes);
      return { allowed: caller.username === 'alice' || attributes.verb === 'get' };
    },
    resources: store,
  });
});

afterEach(async () => {
  await api.close();
  await flink.agent.close();
});

async function call(method: string, path: string, token = 'admin') {
  const res = await fetch(`${api.url}/api/v1${path}?namespace=${NS}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('savepoint routes', () => {
  it("lists the job's FlinkSavepoints newest first, and only that job's", async () => {
    const answer = await call('GET', '/clusters/demo/jobs/speed/savepoints', 'reader');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([
      expect.objectContaining({ name: 'demo-speed-sp-2', path: 's3://b/sp/savepoint-2', state: 'Completed' }),
      expect.objectContaining({ name: 'demo-speed-sp-1', kind: 'periodic', released: false }),
    ]);
    expect(reviews.at(-1)).toMatchObject({ verb: 'get', resource: 'flinkjobs', name: 'demo-speed' });
  });

  it("shows one, and answers 404 for another job's savepoint or an unknown one", async () => {
    const shown = await call('GET', '/clusters/demo/jobs/speed/savepoints/demo-speed-sp-1');
    expect(shown).toMatchObject({ status: 200, body: { name: 'demo-speed-sp-1', job: 'demo-speed' } });
    expect((await call('GET', '/clusters/demo/jobs/speed/savepoints/demo-other-sp-1')).status).toBe(404);
    expect((await call('GET', '/clusters/demo/jobs/speed/savepoints/nope')).status).toBe(404);
    expect((await call('GET', '/clusters/demo/jobs/nope/savepoints')).status).toBe(404);
  });

  it('dispose sets spec.dispose (once) and leaves the disposal to the supervisor', async () => {
    const answer = await call('DELETE', '/clusters/demo/jobs/speed/savepoints/demo-speed-sp-1');
    expect(answer).toEqual({
      status: 202,
      body: { kind: 'FlinkSavepoint', namespace: NS, name: 'demo-speed-sp-1' },
    });
    const stored = await store.get(FLINK_SAVEPOINT, NS, 'demo-speed-sp-1');
    expect(stored?.spec?.['dispose']).toBe(true);
    expect(stored?.status?.['path']).toBe('s3://b/sp/savepoint-1');
    const writes = store.writes.length;
    expect((await call('DELETE', '/clusters/demo/jobs/speed/savepoints/demo-speed-sp-1')).status).toBe(202);
    expect(store.writes.length).toBe(writes);
  });

  it('dispose needs the right to patch the job', async () => {
    const answer = await call('DELETE', '/clusters/demo/jobs/speed/savepoints/demo-speed-sp-1', 'reader');
    expect(answer.status).toBe(403);
    expect((await store.get(FLINK_SAVEPOINT, NS, 'demo-speed-sp-1'))?.spec?.['dispose']).toBe(false);
  });
});
