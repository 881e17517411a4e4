// The control API's request pipeline, in process: authentication, routing, authorization, body
// checks, the handlers and their status codes — with the Kubernetes ports played by fakes
// (tokens, access reviews, an in-memory store) and Flink by undici's MockAgent. The same server
// runs against a real API server in test/integration/control-api*.test.ts.
import { KubeConfig, type V1ResourceAttributes } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB } from '../../../src/api/names.ts';
import type { Caller } from '../../../src/control-api/authn.ts';
import {
  ControlApiConfigError,
  startControlApi,
  type ControlApi,
  type ControlApiOptions,
} from '../../../src/control-api/control-api-server.ts';
import { systemClock } from '../../../src/kube/clock.ts';
import { JOB_ID, TM_ID } from '../flink/fixtures.ts';
import { mockFlink, ORIGIN, type MockFlink } from '../flink/mock-flink.ts';
import { InMemoryCustomResources as MemoryStore } from '../../support/in-memory-custom-resources.ts';

const NS = 'team-a';
const CLUSTER_SPEC = { runtime: { image: 'flink:1.20' }, supervisor: { image: 'flinkvisor:0.1.0' } };
const JOB_SPEC = {
  clusterName: 'demo',
  bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/opt/flinkvisor/examples/1.20/TopSpeedWindowing.jar' },
  savepoint: { savepointMode: 'Manual' },
};

const TOKENS: Record<string, Caller> = {
  'admin-token': { username: 'alice', groups: ['admins'] },
  'reader-token': { username: 'reader', groups: ['readers'] },
};

let api: ControlApi;
let store: MemoryStore;
let flink: MockFlink;
let reviews: V1ResourceAttributes[];
let logs: Record<string, unknown>[];

async function start(overrides: Partial<ControlApiOptions> = {}): Promise<ControlApi> {
  logs = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return startControlApi({
    kubeConfig: new KubeConfig(),
    namespaces: [NS, 'team-b'],
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    flinkClient: () => flink.client,
    flinkUrl: () => ORIGIN,
    log,
    clock: systemClock,
    tokenReviewer: async (token) => TOKENS[token],
    accessReviewer: async (caller, attributes) => {
      reviews.push(attributes);
      const reads = attributes.verb === 'get' || attributes.verb === 'list';
      return { allowed: caller.username === 'alice' || reads };
    },
    resources: store,
    ...overrides,
  });
}

/** The last action the supervisor took, stamped by a clock 5 minutes ahead of this one (set per test). */
let lastActionAt = 0;

beforeEach(async () => {
  lastActionAt = Date.now() + 5 * 60 * 1000;
  store = new MemoryStore();
  reviews = [];
  flink = mockFlink();
  store.put(FLINK_CLUSTER, NS, {
    metadata: { name: 'demo' },
    spec: { ...CLUSTER_SPEC, taskManagers: 1, minTaskManagers: 0, maxTaskManagers: 4 },
  });
  store.put(FLINK_JOB, NS, {
    metadata: { name: 'demo-speed' },
    spec: { ...JOB_SPEC, jobParallelism: 1, minJobParallelism: 0, maxJobParallelism: 2 },
    status: {
      supervisorStatus: 'Started',
      jobStatus: 'RUNNING',
      jobId: JOB_ID,
      machine: {
        context: {
          lastAction: {
            action: 'STOP',
            withoutSavepoint: false,
            requestedAt: lastActionAt,
            outcome: 'accepted',
            reason: 'ok',
            at: 1,
          },
        },
      },
    },
  });
  store.put(FLINK_JOB, NS, { metadata: { name: 'standalone' }, spec: { ...JOB_SPEC } });
  store.put(FLINK_JOB, NS, {
    metadata: { name: 'other-speed' },
    spec: { ...JOB_SPEC, clusterName: 'other' },
  });
  api = await start();
});

afterEach(async () => {
  await api.close();
  await flink.agent.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: string; message?: string; fields?: { path: string }[] };
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; raw?: string; contentType?: string } = {},
): Promise<Answer> {
  const token = options.token === undefined ? 'admin-token' : options.token;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const res = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {}, headers: res.headers };
}

describe('authentication and authorization', () => {
  it('answers 401 with WWW-Authenticate without a token, with an unknown token, and for unknown routes too', async () => {
    for (const [token, path] of [
      [null, '/clusters'],
      ['nope', '/clusters'],
      [null, '/no/such/route'],
    ] as const) {
      const answer = await call('GET', path, { token });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('Unauthorized');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(reviews).toEqual([]);
  });

  it('answers 403 naming the permission when RBAC refuses, and never writes', async () => {
    const answer = await call('PUT', '/clusters/demo/stop', { token: 'reader-token', body: {} });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toBe(
      'user "reader" may not patch flinkclusters.flinkvisor.io "demo" in namespace "team-a"',
    );
    expect(store.writes).toEqual([]);
  });

  it('asks the access review for the job the path resolves to, with its namespace', async () => {
    await call('GET', '/clusters/demo/jobs/speed/status?namespace=team-a', { token: 'reader-token' });
    await call('PUT', '/clusters/demo/jobs/standalone/scale', {
      token: 'reader-token',
      body: { parallelism: 2 },
    });
    await call('GET', '/clusters/demo/jobs', { token: 'reader-token' });
    expect(reviews).toEqual([
      { group: 'flinkvisor.io', namespace: NS, verb: 'get', resource: 'flinkjobs', name: 'demo-speed' },
      {
        group: 'flinkvisor.io',
        namespace: NS,
        verb: 'update',
        resource: 'flinkjobs',
        subresource: 'scale',
        name: 'standalone',
      },
      { group: 'flinkvisor.io', namespace: NS, verb: 'list', resource: 'flinkjobs' },
    ]);
  });

  it('answers 403 (not 404) for a missing job when the caller may not touch its name', async () => {
    const answer = await call('DELETE', '/clusters/demo/jobs/ghost', { token: 'reader-token' });
    expect(answer.status).toBe(403);
    expect(reviews.at(-1)).toMatchObject({ verb: 'delete', name: 'demo-ghost' });
  });

  it('serves the OpenAPI document to any authenticated caller', async () => {
    const answer = await call('GET', '/openapi.json', { token: 'reader-token' });
    expect(answer.status).toBe(200);
    expect(answer.body['openapi']).toBe('3.1.0');
    expect(reviews).toEqual([]);
  });
});

describe('routing and request checks', () => {
  it('answers 404 for an unknown route and 405 with Allow for a known path with another method', async () => {
    expect((await call('GET', '/nothing')).status).toBe(404);
    const answer = await call('POST', '/clusters/demo/status');
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
  });

  it('answers 404 for a namespace it does not serve and 400 for a bad name', async () => {
    const other = await call('GET', '/clusters?namespace=kube-system');
    expect(other.status).toBe(404);
    expect(other.body.error).toBe('NamespaceNotServed');
    const bad = await call('GET', '/clusters/Demo_1/status');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('InvalidName');
  });

  it('refuses bodies that are not JSON (415), malformed (400), too large (413) or with unknown fields (400)', async () => {
    expect(
      (await call('PUT', '/clusters/demo/stop', { raw: 'withoutSavepoint=true', contentType: 'text/plain' }))
        .status,
    ).toBe(415);
    const malformed = await call('PUT', '/clusters/demo/stop', { raw: '{"withoutSavepoint":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('InvalidJson');
    const large = await call('POST', '/clusters/big', {
      raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(large.status).toBe(413);
    const typo = await call('PUT', '/clusters/demo/stop', { body: { withoutSavepoints: true } });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toBe('InvalidBody');
    expect(store.writes).toEqual([]);
  });
});

describe('resources', () => {
  it('lists clusters and the jobs of a cluster (bound by spec.clusterName, not by name)', async () => {
    const clusters = await call('GET', '/clusters');
    expect(clusters.status).toBe(200);
    expect(clusters.body).toEqual([expect.objectContaining({ name: 'demo', requestedTaskManagers: 1 })]);
    const jobs = await call('GET', '/clusters/demo/jobs');
    expect(
      (jobs.body as unknown as { name: string; resource: string }[]).map((j) => [j.name, j.resource]),
    ).toEqual([
      ['speed', 'demo-speed'],
      ['standalone', 'standalone'],
    ]);
    expect((await call('GET', '/clusters/ghost/jobs')).status).toBe(404);
  });

  it('answers a status without the machine snapshot, with the last action taken', async () => {
    const answer = await call('GET', '/clusters/demo/jobs/speed/status');
    expect(answer.status).toBe(200);
    expect(answer.body['machine']).toBeUndefined();
    expect(answer.body['supervisorStatus']).toBe('Started');
    expect(answer.body['lastAction']).toMatchObject({
      action: 'STOP',
      outcome: 'accepted',
      requestedAt: lastActionAt,
    });
    expect((await call('GET', '/clusters/nothing/status')).status).toBe(404);
  });

  it('creates a job under its cluster: 201, spec.clusterName set, <cluster>-<job> named; 409 the second time', async () => {
    const body = { ...JOB_SPEC, clusterName: undefined };
    const created = await call('POST', '/clusters/demo/jobs/count', { body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'FlinkJob',
      namespace: NS,
      name: 'demo-count',
      cluster: 'demo',
      job: 'count',
    });
    expect((await store.get(FLINK_JOB, NS, 'demo-count'))?.spec?.['clusterName']).toBe('demo');
    const again = await call('POST', '/clusters/demo/jobs/count', { body });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('AlreadyExists');
    const elsewhere = await call('POST', '/clusters/demo/jobs/moved', {
      body: { ...JOB_SPEC, clusterName: 'other' },
    });
    expect(elsewhere.status).toBe(400);
    expect((await call('POST', '/clusters/ghost/jobs/x', { body })).status).toBe(404);
  });

  it('validates a created spec with the resource rules, naming the fields (400)', async () => {
    const answer = await call('POST', '/clusters/broken', {
      body: { ...CLUSTER_SPEC, minTaskManagers: 5, maxTaskManagers: 2, taskManager: { taskSlots: 0 } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('Invalid');
    expect(answer.body.fields?.map((f) => f.path).sort()).toEqual([
      'spec.minTaskManagers',
      'spec.taskManager.taskSlots',
    ]);
    const tooLong = await call('POST', `/deployments/${'d'.repeat(46)}`, { body: { cluster: CLUSTER_SPEC } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.fields?.map((f) => f.path)).toContain('metadata.name');
  });

  it('updates with a merge patch validated against the merged spec, retrying when the object changed meanwhile', async () => {
    let raced = false;
    store.beforePatch = (kind, name) => {
      if (!raced && kind === FLINK_CLUSTER && name === 'demo') {
        raced = true;
        store.put(FLINK_CLUSTER, NS, {
          ...store.objects.get(`flinkclusters/${NS}/demo`)!,
          status: { supervisorStatus: 'Started' },
        });
      }
    };
    const ok = await call('PUT', '/clusters/demo', {
      body: { maxTaskManagers: 8, flinkConfiguration: { 'a.b': 'c' } },
    });
    expect(ok.status).toBe(200);
    expect(raced).toBe(true);
    const stored = await store.get(FLINK_CLUSTER, NS, 'demo');
    expect(stored?.spec).toMatchObject({
      maxTaskManagers: 8,
      flinkConfiguration: { 'a.b': 'c' },
      runtime: { image: 'flink:1.20' },
    });
    const bad = await call('PUT', '/clusters/demo', { body: { minTaskManagers: 9 } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields?.map((f) => f.path)).toEqual(['spec.minTaskManagers']);
    const immutable = await call('PUT', '/clusters/demo/jobs/speed', { body: { clusterName: 'other' } });
    expect(immutable.status).toBe(400);
    expect(immutable.body.message).toContain('immutable');
  });

  it('deletes with 202; a missing resource is 404', async () => {
    const answer = await call('DELETE', '/clusters/demo/jobs/standalone');
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ kind: 'FlinkJob', name: 'standalone', deleting: true });
    expect(await store.get(FLINK_JOB, NS, 'standalone')).toBeUndefined();
    expect((await call('DELETE', '/deployments/none')).status).toBe(404);
  });

  it('creates, lists and reads a deployment', async () => {
    const spec = {
      cluster: CLUSTER_SPEC,
      jobs: [{ name: 'a', spec: { bootstrap: JOB_SPEC.bootstrap, savepoint: { savepointMode: 'Manual' } } }],
    };
    expect((await call('POST', '/deployments/pipe', { body: spec })).status).toBe(201);
    const list = await call('GET', '/deployments');
    expect(list.body).toEqual([expect.objectContaining({ name: 'pipe', jobs: ['a'] })]);
    expect(store.objects.has(`${FLINK_DEPLOYMENT.plural}/${NS}/pipe`)).toBe(true);
  });
});

describe('actions', () => {
  it('records START with its options and a timestamp newer than the last action the supervisor took', async () => {
    const answer = await call('PUT', '/clusters/demo/jobs/speed/start', { body: { withoutSavepoint: true } });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      kind: 'FlinkJob',
      name: 'demo-speed',
      action: 'START',
      withoutSavepoint: true,
    });
    // The stored lastAction is in the future of this clock: the new request must still look newer.
    expect(answer.body['actionTimestamp']).toBe(lastActionAt + 1);
    const annotations = (await store.get(FLINK_JOB, NS, 'demo-speed'))?.metadata.annotations;
    expect(annotations).toEqual({
      [ANNOTATIONS.requestedAction]: 'START',
      [ANNOTATIONS.withoutSavepoint]: 'true',
      [ANNOTATIONS.actionTimestamp]: String(lastActionAt + 1),
    });
  });

  it('refuses a second action while the first is pending (409 ActionPending), whatever it is', async () => {
    expect((await call('PUT', '/clusters/demo/stop')).status).toBe(202);
    const second = await call('PUT', '/clusters/demo/start', { body: { withoutSavepoint: false } });
    expect(second.status).toBe(409);
    expect(second.body.error).toBe('ActionPending');
    expect(second.body.message).toContain('pending action STOP');
    const annotations = (await store.get(FLINK_CLUSTER, NS, 'demo'))?.metadata.annotations;
    expect(annotations?.[ANNOTATIONS.requestedAction]).toBe('STOP');
  });

  it('takes a new action once the supervisor recorded the previous one, even before it cleared the annotations', async () => {
    expect((await call('PUT', '/clusters/demo/stop')).status).toBe(202);
    const stopAt = Number(
      (await store.get(FLINK_CLUSTER, NS, 'demo'))?.metadata.annotations?.[ANNOTATIONS.actionTimestamp],
    );
    // The supervisor recorded the STOP in status; its annotation is not cleared yet.
    const current = store.objects.get(`flinkclusters/${NS}/demo`)!;
    store.put(FLINK_CLUSTER, NS, {
      ...current,
      status: {
        ...current.status,
        machine: {
          ...(current.status?.['machine'] as object),
          context: {
            ...((current.status?.['machine'] as { context?: object } | undefined)?.context ?? {}),
            pendingAction: { action: 'STOP', withoutSavepoint: false, requestedAt: stopAt, at: stopAt },
          },
        },
      },
    });
    const start = await call('PUT', '/clusters/demo/start', { body: {} });
    expect(start.status).toBe(202);
    expect(start.body['actionTimestamp']).toBeGreaterThan(stopAt);
    const annotations = (await store.get(FLINK_CLUSTER, NS, 'demo'))?.metadata.annotations;
    expect(annotations?.[ANNOTATIONS.requestedAction]).toBe('START');
  });

  it('writes the action preconditioned on what it checked: a concurrent request makes it check again', async () => {
    store.beforePatch = (kind, name) => {
      if (
        kind === FLINK_CLUSTER &&
        name === 'demo' &&
        store.writes.filter((w) => w.op === 'patch').length === 0
      ) {
        const current = store.objects.get(`flinkclusters/${NS}/demo`)!;
        store.put(FLINK_CLUSTER, NS, {
          ...current,
          metadata: { ...current.metadata, annotations: { [ANNOTATIONS.requestedAction]: 'START' } },
        });
      }
    };
    const answer = await call('PUT', '/clusters/demo/stop');
    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('pending action START');
  });

  it('maps the savepoint routes to TRIGGER_SAVEPOINT and FORGET_SAVEPOINT, and refuses a resource being deleted', async () => {
    expect((await call('PUT', '/clusters/demo/jobs/standalone/savepoint')).body['action']).toBe(
      'TRIGGER_SAVEPOINT',
    );
    const job = store.objects.get(`flinkjobs/${NS}/demo-speed`)!;
    store.put(FLINK_JOB, NS, { ...job, metadata: { ...job.metadata, deletionTimestamp: new Date() } });
    const deleting = await call('DELETE', '/clusters/demo/jobs/speed/savepoint');
    expect(deleting.status).toBe(409);
    expect(deleting.body.error).toBe('BeingDeleted');
  });

  it('scales through the scale subresource and answers the generation to wait for', async () => {
    const cluster = await call('PUT', '/clusters/demo/scale', { body: { taskManagers: 3 } });
    expect(cluster.status).toBe(200);
    expect(cluster.body).toMatchObject({ taskManagers: 3, effectiveTaskManagers: 3, generation: 2 });
    const job = await call('PUT', '/clusters/demo/jobs/speed/scale', { body: { parallelism: 5 } });
    expect(job.body).toMatchObject({ name: 'demo-speed', parallelism: 5, effectiveParallelism: 2 });
    expect(store.writes.filter((w) => w.op === 'scale').map((w) => [w.name, w.body])).toEqual([
      ['demo', 3],
      ['demo-speed', 5],
    ]);
    expect((await call('PUT', '/clusters/demo/scale', { body: { taskManagers: -1 } })).status).toBe(400);
    expect((await call('PUT', '/clusters/demo/scale', { body: {} })).status).toBe(400);
  });
});

describe('Flink proxies', () => {
  it('answers job details and job metrics from the JobManager of the cluster', async () => {
    flink.pool.intercept({ path: `/jobs/${JOB_ID}`, method: 'GET' }).reply(200, {
      jid: JOB_ID,
      name: 'TopSpeedWindowing',
      state: 'RUNNING',
      'start-time': 1,
      'end-time': -1,
      duration: 5,
      vertices: [{ id: 'v', name: 'Source', parallelism: 1, status: 'RUNNING' }],
    });
    flink.pool
      .intercept({ path: (p) => p.startsWith(`/jobs/${JOB_ID}/metrics?get=`), method: 'GET' })
      .reply(200, [
        { id: 'numberOfCompletedCheckpoints', value: '3' },
        { id: 'lastCheckpointExternalPath', value: 'file:/cp/chk-3' },
      ]);
    const details = await call('GET', '/clusters/demo/jobs/speed/details');
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({ jid: JOB_ID, state: 'RUNNING' });
    const metrics = await call('GET', '/clusters/demo/jobs/speed/metrics');
    expect(metrics.body).toMatchObject({
      numberOfCompletedCheckpoints: 3,
      lastCheckpointExternalPath: 'file:/cp/chk-3',
      uptime: null,
    });
  });

  it('answers JobManager metrics with the garbage collectors Flink offers', async () => {
    flink.pool
      .intercept({ path: '/jobmanager/metrics', method: 'GET' })
      .reply(200, [
        { id: 'Status.JVM.GarbageCollector.G1_Young_Generation.Count' },
        { id: 'taskSlotsTotal' },
      ]);
    flink.pool
      .intercept({
        path: (p) => p.startsWith('/jobmanager/metrics?get=') && p.includes('G1_Young_Generation'),
        method: 'GET',
      })
      .reply(200, [
        { id: 'Status.JVM.GarbageCollector.G1_Young_Generation.Count', value: '7' },
        { id: 'taskSlotsTotal', value: '2' },
      ]);
    const answer = await call('GET', '/clusters/demo/jobmanager/metrics');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      taskSlotsTotal: 2,
      jvmGarbageCollectors: { G1_Young_Generation: { count: 7, time: null } },
    });
  });

  it('passes TaskManager ids with colons through, and maps Flink failures: unknown TM 404, unreachable 503', async () => {
    flink.pool.intercept({ path: `/taskmanagers/${encodeURIComponent(TM_ID)}`, method: 'GET' }).reply(500, {
      errors: [
        'org.apache.flink.runtime.resourcemanager.exceptions.UnknownTaskExecutorException: No TaskExecutor registered',
      ],
    });
    const unknown = await call('GET', `/clusters/demo/taskmanagers/${encodeURIComponent(TM_ID)}/details`);
    expect(unknown.status).toBe(404);
    flink.pool
      .intercept({ path: '/taskmanagers', method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
      .times(4);
    const down = await call('GET', '/clusters/demo/taskmanagers');
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('FlinkUnavailable');
  });

  it('answers 404 without asking Flink for a missing cluster, a Stopped cluster, or a job that does not run', async () => {
    expect((await call('GET', '/clusters/ghost/jobmanager/metrics')).body.error).toBe('NotFound');
    expect((await call('GET', '/clusters/demo/jobs/standalone/details')).body.error).toBe('JobNotRunning');
    const cluster = store.objects.get(`flinkclusters/${NS}/demo`)!;
    store.put(FLINK_CLUSTER, NS, { ...cluster, status: { supervisorStatus: 'Stopped' } });
    const stopped = await call('GET', '/clusters/demo/taskmanagers');
    expect(stopped.status).toBe(404);
    expect(stopped.body.error).toBe('ClusterNotRunning');
  });
});

describe('configuration', () => {
  it('refuses to start without TLS unless plain HTTP is asked for, and warns when it is', async () => {
    await expect(start({ insecureHttp: false })).rejects.toThrow(ControlApiConfigError);
    await expect(
      start({ insecureHttp: false, tls: { cert: 'x', key: 'y', requireClientCertificate: true } }),
    ).rejects.toThrow(/clientCa/);
    expect(logs.some((l) => l['level'] === 40 && String(l['msg']).includes('plain HTTP'))).toBe(false);
    const plain = await start();
    await plain.close();
    expect(logs.some((l) => l['level'] === 40 && String(l['msg']).includes('plain HTTP'))).toBe(true);
  });

  it('logs requests with the user and never the token', async () => {
    await call('GET', '/clusters');
    await call('GET', '/clusters', { token: 'reader-token' });
    const text = JSON.stringify(logs);
    expect(text).toContain('"user":"alice"');
    expect(text).not.toContain('admin-token');
    expect(text).not.toContain('reader-token');
  });
});
