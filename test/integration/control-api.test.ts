// The control API against the shared real control plane: its own identity is a ServiceAccount
// holding exactly CONTROL_API_CLUSTER_RULES and CONTROL_API_RULES (so the RBAC constants are
// proven sufficient), its callers are ServiceAccounts with and without RBAC and real tokens
// (TokenRequest), and TLS uses certificates made here with openssl. No Flink runs: the Flink
// proxies are checked for their answers when there is none (the e2e test reads a real one).
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { mkdtemp, readFile } from 'node:fs/promises';
import { OpensslCertificates } from '../../src/devenv/openssl-certificates.ts';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { ANNOTATIONS, API_GROUP, API_VERSION, FLINK_CLUSTER, FLINK_JOB } from '../../src/api/names.ts';
import { exitCodeFor, EXIT } from '../../src/cli/exit-codes.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { startControlApi, type ControlApi } from '../../src/control-api/control-api-server.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { NO_RETRY } from '../../src/flink/retry-policy.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { CONTROL_API_CLUSTER_RULES, CONTROL_API_RULES } from '../../src/install/rbac.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { mergePatch } from '../../src/kube/patch-options.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

let ns: string;
let dir: string;
let certs: {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  strangerCert: Buffer;
  strangerKey: Buffer;
};
let tokens: { operator: string; admin: string; reader: string; nobody: string };
let api: ControlApi;
let mtls: ControlApi;
let unreachableFlink: string;
const cleanups: (() => Promise<unknown>)[] = [];

const CLUSTER_SPEC = {
  runtime: { image: 'flink:1.20' },
  supervisor: { image: 'flinkvisor:0.1.0' },
  taskManagers: 1,
};
const JOB_SPEC = {
  bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/opt/flinkvisor/examples/1.20/TopSpeedWindowing.jar' },
  savepoint: { savepointMode: 'Manual' },
};

// ---- certificates

async function makeCertificates(): Promise<typeof certs> {
  const certificates = new OpensslCertificates(dir);
  for (const ca of ['ca', 'stranger-ca']) await certificates.ca(ca);
  const sign = (name: string, ca: string, ext: string) => certificates.sign(name, `/CN=${name}`, ca, ext);
  await sign('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await sign('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  await sign('stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => readFile(join(dir, name));
  return {
    ca: await file('ca.crt'),
    serverCert: await file('server.crt'),
    serverKey: await file('server.key'),
    clientCert: await file('client.crt'),
    clientKey: await file('client.key'),
    strangerCert: await file('stranger.crt'),
    strangerKey: await file('stranger.key'),
  };
}

// ---- identities

async function serviceAccountToken(name: string): Promise<string> {
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token for ${name}`);
  return token;
}

async function grant(name: string, rules: V1PolicyRule[], cluster = false): Promise<void> {
  const roleName = `${ns}-${name}`;
  const subjects = [{ kind: 'ServiceAccount', name, namespace: ns }];
  if (cluster) {
    await applyObjects(admin, [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: roleName },
        rules,
      } as never,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: roleName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects,
      } as never,
    ]);
    cleanups.push(() => rbac.deleteClusterRole({ name: roleName }).catch(() => undefined));
    cleanups.push(() => rbac.deleteClusterRoleBinding({ name: roleName }).catch(() => undefined));
    return;
  }
  await applyObjects(admin, [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: ns },
      rules,
    } as never,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    } as never,
  ]);
}

/** The admin kubeconfig's cluster with another user's token. */
function kubeConfigWithToken(token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('no cluster in the admin kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'operator', cluster: cluster.name, user: 'operator', namespace: ns }],
    currentContext: 'operator',
  });
  return kc;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- requests

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: string; message?: string; fields?: { path: string }[] };
}

async function call(
  server: ControlApi,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { token?: string | null; body?: unknown; client?: { cert: Buffer; key: Buffer } } = {},
): Promise<Answer> {
  const token = options.token === undefined ? tokens.admin : options.token;
  const dispatcher = new Agent({ connect: { ca: certs.ca, ...(options.client ?? {}) } });
  try {
    const response = await request(`${server.url}/api/v1${path}`, {
      method,
      dispatcher,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  } finally {
    await dispatcher.close();
  }
}

async function read(plural: string, name: string) {
  return (await admin
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace: ns, plural, name })) as {
    metadata: { annotations?: Record<string, string>; resourceVersion: string; uid: string };
    spec: Record<string, unknown>;
  };
}

/** What the supervisor does once it took an action: the annotations go. */
async function takeAction(plural: string, name: string): Promise<void> {
  await admin.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural,
      name,
      body: {
        metadata: {
          annotations: {
            [ANNOTATIONS.requestedAction]: null,
            [ANNOTATIONS.withoutSavepoint]: null,
            [ANNOTATIONS.actionTimestamp]: null,
          },
        },
      },
    },
    mergePatch(),
  );
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'capi');
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-capi-'));
  certs = await makeCertificates();
  tokens = {
    operator: await serviceAccountToken('flinkvisor-operator'),
    admin: await serviceAccountToken('flink-admin'),
    reader: await serviceAccountToken('flink-reader'),
    nobody: await serviceAccountToken('nobody'),
  };
  await grant('flinkvisor-operator', CONTROL_API_CLUSTER_RULES, true);
  await grant('flinkvisor-operator', CONTROL_API_RULES);
  await grant('flink-admin', [
    { apiGroups: [API_GROUP], resources: ['flinkdeployments', 'flinkclusters', 'flinkjobs'], verbs: ['*'] },
    { apiGroups: [API_GROUP], resources: ['flinkclusters/scale', 'flinkjobs/scale'], verbs: ['update'] },
  ]);
  await grant('flink-reader', [
    { apiGroups: [API_GROUP], resources: ['flinkclusters', 'flinkjobs'], verbs: ['get', 'list'] },
  ]);
  unreachableFlink = `http://127.0.0.1:${await closedPort()}`;
  const common = {
    kubeConfig: kubeConfigWithToken(tokens.operator),
    namespaces: [ns],
    host: '127.0.0.1',
    port: 0,
    flinkClient: (baseUrl: string) =>
      new FlinkRestClient({
        baseUrl,
        dispatcher: createFlinkDispatcher(baseUrl, { connectTimeoutMs: 1000 }),
        retry: NO_RETRY,
      }),
    flinkUrl: () => unreachableFlink,
    log: pino({ level: 'silent' }),
    clock: systemClock,
  };
  api = await startControlApi({
    ...common,
    tls: { cert: certs.serverCert, key: certs.serverKey, requireClientCertificate: false },
  });
  mtls = await startControlApi({
    ...common,
    tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca, requireClientCertificate: true },
  });
});

afterAll(async () => {
  await api?.close();
  await mtls?.close();
  for (const c of cleanups) await c();
  if (ns) await deleteTestNamespace(admin, ns);
});

describe('security', () => {
  it('answers 401 without a token and with a token the API server does not know', async () => {
    const none = await call(api, 'GET', '/clusters', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('Unauthorized');
    expect((await call(api, 'GET', '/clusters', { token: 'made.up.token' })).status).toBe(401);
  });

  it('answers 403 to a valid token whose RBAC allows nothing, naming the permission', async () => {
    const answer = await call(api, 'GET', '/clusters', { token: tokens.nobody });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toBe(
      `user "system:serviceaccount:${ns}:nobody" may not list flinkclusters.flinkvisor.io in namespace "${ns}"`,
    );
  });

  it('lets each caller do exactly what their RBAC allows: the reader reads, the admin writes', async () => {
    const created = await call(api, 'POST', '/clusters/sec', { body: CLUSTER_SPEC });
    expect(created.status).toBe(201);
    expect((await call(api, 'GET', '/clusters/sec/status', { token: tokens.reader })).status).toBe(200);
    const stop = await call(api, 'PUT', '/clusters/sec/stop', { token: tokens.reader, body: {} });
    expect(stop.status).toBe(403);
    expect(stop.body.message).toContain('may not patch flinkclusters.flinkvisor.io "sec"');
    const scale = await call(api, 'PUT', '/clusters/sec/scale', {
      token: tokens.reader,
      body: { taskManagers: 2 },
    });
    expect(scale.status).toBe(403);
    expect(scale.body.message).toContain('update flinkclusters/scale');
    expect((await call(api, 'PUT', '/clusters/sec/scale', { body: { taskManagers: 2 } })).status).toBe(200);
  });

  it('with mTLS required, refuses connections without a client certificate or with one from another CA', async () => {
    await expect(call(mtls, 'GET', '/clusters')).rejects.toThrow();
    await expect(
      call(mtls, 'GET', '/clusters', { client: { cert: certs.strangerCert, key: certs.strangerKey } }),
    ).rejects.toThrow();
    const ok = await call(mtls, 'GET', '/clusters', {
      client: { cert: certs.clientCert, key: certs.clientKey },
    });
    expect(ok.status).toBe(200);
    // Without a token the certificate names the caller (CN "client", no RBAC: 403); with one, the
    // token does (ADR 0022).
    const tokenless = await call(mtls, 'GET', '/clusters', {
      token: null,
      client: { cert: certs.clientCert, key: certs.clientKey },
    });
    expect(tokenless.status).toBe(403);
    expect(tokenless.body.message).toBe(
      `user "client" may not list flinkclusters.flinkvisor.io in namespace "${ns}"`,
    );
  });

  it('answers 404 for a namespace it does not serve', async () => {
    const answer = await call(api, 'GET', '/clusters?namespace=kube-system');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('NamespaceNotServed');
  });
});

describe('resources through the API server', () => {
  it('creates a cluster and a job under it; the job is <cluster>-<job> with spec.clusterName', async () => {
    expect((await call(api, 'POST', '/clusters/alpha', { body: CLUSTER_SPEC })).status).toBe(201);
    const job = await call(api, 'POST', '/clusters/alpha/jobs/speed', { body: JOB_SPEC });
    expect(job.status).toBe(201);
    expect(job.body).toMatchObject({ kind: 'FlinkJob', name: 'alpha-speed', namespace: ns });
    expect((await read(FLINK_JOB.plural, 'alpha-speed')).spec['clusterName']).toBe('alpha');
    const list = await call(api, 'GET', '/clusters/alpha/jobs');
    expect(list.body).toEqual([expect.objectContaining({ name: 'speed', resource: 'alpha-speed' })]);
    expect((await call(api, 'POST', '/clusters/alpha', { body: CLUSTER_SPEC })).body.error).toBe(
      'AlreadyExists',
    );
  });

  it('refuses invalid specs with the fields named: by our rules, and unknown fields by the API server', async () => {
    const ours = await call(api, 'POST', '/clusters/beta', {
      body: { ...CLUSTER_SPEC, minTaskManagers: 3, maxTaskManagers: 1 },
    });
    expect(ours.status).toBe(400);
    expect(ours.body.fields?.map((f) => f.path)).toEqual(['spec.minTaskManagers']);
    const unknown = await call(api, 'POST', '/clusters/alpha/jobs/typo', {
      body: { ...JOB_SPEC, savepoint: { savepointMode: 'Manual', savepointModee: 'Manual' } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields?.map((f) => f.path)).toContain('spec.savepoint.savepointModee');
  });

  it('updates a spec with a merge patch; clusterName stays immutable', async () => {
    const updated = await call(api, 'PUT', '/clusters/alpha/jobs/speed', {
      body: { restart: { restartDelay: 7 } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body['generation']).toBe(2);
    expect((await read(FLINK_JOB.plural, 'alpha-speed')).spec['restart']).toMatchObject({ restartDelay: 7 });
    expect(
      (await call(api, 'PUT', '/clusters/alpha/jobs/speed', { body: { clusterName: 'sec' } })).status,
    ).toBe(400);
  });

  it('records actions as annotations; a second one while the first is pending is 409', async () => {
    const stop = await call(api, 'PUT', '/clusters/alpha/stop', { body: { withoutSavepoint: true } });
    expect(stop.status).toBe(202);
    const annotations = (await read(FLINK_CLUSTER.plural, 'alpha')).metadata.annotations ?? {};
    expect(annotations[ANNOTATIONS.requestedAction]).toBe('STOP');
    expect(annotations[ANNOTATIONS.withoutSavepoint]).toBe('true');
    expect(annotations[ANNOTATIONS.actionTimestamp]).toBe(String(stop.body['actionTimestamp']));
    const again = await call(api, 'PUT', '/clusters/alpha/start', { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('ActionPending');
    await takeAction(FLINK_CLUSTER.plural, 'alpha');
    expect((await call(api, 'PUT', '/clusters/alpha/start', { body: {} })).status).toBe(202);

    for (const [method, action] of [
      ['PUT', 'TRIGGER_SAVEPOINT'],
      ['DELETE', 'FORGET_SAVEPOINT'],
    ] as const) {
      const answer = await call(
        api,
        method,
        '/clusters/alpha/jobs/speed/savepoint',
        method === 'PUT' ? { body: {} } : {},
      );
      expect(answer.status).toBe(202);
      const job = await read(FLINK_JOB.plural, 'alpha-speed');
      expect(job.metadata.annotations?.[ANNOTATIONS.requestedAction]).toBe(action);
      expect(job.metadata.annotations?.[ANNOTATIONS.withoutSavepoint]).toBeUndefined();
      await takeAction(FLINK_JOB.plural, 'alpha-speed');
    }
  });

  it('scales through the scale subresources', async () => {
    const cluster = await call(api, 'PUT', '/clusters/alpha/scale', { body: { taskManagers: 4 } });
    expect(cluster.body).toMatchObject({ taskManagers: 4, effectiveTaskManagers: 4 });
    expect((await read(FLINK_CLUSTER.plural, 'alpha')).spec['taskManagers']).toBe(4);
    const job = await call(api, 'PUT', '/clusters/alpha/jobs/speed/scale', { body: { parallelism: 2 } });
    expect(job.status).toBe(200);
    expect((await read(FLINK_JOB.plural, 'alpha-speed')).spec['jobParallelism']).toBe(2);
  });

  it('pauses and resumes through the annotation (ADR 0019), with the patch permission; a FlinkDeployment child through its deployment', async () => {
    const pausedOf = async (plural: string, name: string) =>
      (await read(plural, name)).metadata.annotations?.[ANNOTATIONS.paused];
    const job = '/clusters/alpha/jobs/speed';
    const paused = await call(api, 'PUT', `${job}/pause`, { body: {} });
    expect(paused).toEqual({
      status: 200,
      body: { kind: 'FlinkJob', namespace: ns, name: 'alpha-speed', paused: true, changed: true },
    });
    expect(await pausedOf(FLINK_JOB.plural, 'alpha-speed')).toBe('true');
    // Said already: nothing is written (the resourceVersion stays).
    const before = (await read(FLINK_JOB.plural, 'alpha-speed')).metadata.resourceVersion;
    expect((await call(api, 'PUT', `${job}/pause`)).body['changed']).toBe(false);
    expect((await read(FLINK_JOB.plural, 'alpha-speed')).metadata.resourceVersion).toBe(before);
    expect((await call(api, 'PUT', `${job}/resume`, { body: {} })).body).toMatchObject({
      paused: false,
      changed: true,
    });
    expect(await pausedOf(FLINK_JOB.plural, 'alpha-speed')).toBeUndefined();

    // The reader may get the cluster, not patch it: the SubjectAccessReview says no.
    const denied = await call(api, 'PUT', '/clusters/alpha/pause', { token: tokens.reader, body: {} });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('may not patch flinkclusters.flinkvisor.io "alpha"');
    expect(await pausedOf(FLINK_CLUSTER.plural, 'alpha')).toBeUndefined();
    expect((await call(api, 'PUT', '/clusters/alpha/pause', { body: { now: true } })).status).toBe(400);
    expect((await call(api, 'PUT', '/clusters/alpha/pause')).status).toBe(200);
    expect(await pausedOf(FLINK_CLUSTER.plural, 'alpha')).toBe('true');
    expect((await call(api, 'PUT', '/clusters/alpha/resume')).status).toBe(200);
    expect(await pausedOf(FLINK_CLUSTER.plural, 'alpha')).toBeUndefined();
    expect((await call(api, 'PUT', '/clusters/ghost/resume')).status).toBe(404);

    // A FlinkDeployment's children follow its pause: they are paused through it.
    const created = await call(api, 'POST', '/deployments/shop', {
      body: { cluster: CLUSTER_SPEC, jobs: [{ name: 'orders', spec: JOB_SPEC }] },
    });
    expect(created.status).toBe(201);
    expect((await call(api, 'PUT', '/deployments/shop/pause')).body).toMatchObject({
      paused: true,
      changed: true,
    });
    expect(await pausedOf('flinkdeployments', 'shop')).toBe('true');
    const deployment = await read('flinkdeployments', 'shop');
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural: FLINK_JOB.plural,
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: 'FlinkJob',
        metadata: {
          name: 'shop-orders',
          ownerReferences: [
            {
              apiVersion: `${API_GROUP}/${API_VERSION}`,
              kind: 'FlinkDeployment',
              name: 'shop',
              uid: deployment.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: { ...JOB_SPEC, clusterName: 'shop' },
      },
    });
    const child = await call(api, 'PUT', '/clusters/shop/jobs/orders/resume');
    expect(child.status).toBe(409);
    expect(child.body.error).toBe('OwnedByDeployment');
    expect(child.body.message).toContain('belongs to FlinkDeployment shop');
    expect((await call(api, 'PUT', '/deployments/shop/resume')).body).toMatchObject({ paused: false });
    expect((await call(api, 'DELETE', '/deployments/shop')).status).toBe(202);
  });

  it('answers the Flink proxies with 404 for a missing cluster and 503 when its JobManager cannot be reached', async () => {
    expect((await call(api, 'GET', '/clusters/nothing/taskmanagers')).status).toBe(404);
    const down = await call(api, 'GET', '/clusters/alpha/jobmanager/metrics');
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('FlinkUnavailable');
    expect((await call(api, 'GET', '/clusters/alpha/jobs/speed/details')).body.error).toBe('JobNotRunning');
  });

  it('serves the CLI over TLS with the CA file and a token (exit codes included)', async () => {
    const caFile = join(dir, 'ca.crt');
    const cli = async (args: string[], token = tokens.admin) => {
      const chunks: string[] = [];
      const stdout = new Writable({
        write: (c: Buffer, _e, done) => void (chunks.push(c.toString()), done()),
      });
      const program = buildProgram({ env: {}, stdout, stderr: stdout });
      const connection = [
        '--host',
        '127.0.0.1',
        '--port',
        String(api.port),
        '--ca-file',
        caFile,
        '--token',
        token,
        '-n',
        ns,
      ];
      const code = await program.parseAsync(['node', 'flinkvisor', ...args, ...connection]).then(
        () => 0,
        (err: unknown) => exitCodeFor(err),
      );
      return { code, out: chunks.join('') };
    };
    const list = await cli(['clusters', 'list', '-o', 'json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as { name: string }[]).map((c) => c.name)).toEqual(['alpha', 'sec']);
    expect((await cli(['cluster', 'stop', '--cluster-name', 'sec'], tokens.reader)).code).toBe(
      EXIT.forbidden,
    );
    expect((await cli(['job', 'status', '--cluster-name', 'alpha', '--job-name', 'none'])).code).toBe(
      EXIT.notFound,
    );
  });

  it('deletes jobs and clusters (202) and then no longer finds them (404)', async () => {
    expect((await call(api, 'DELETE', '/clusters/alpha/jobs/speed')).status).toBe(202);
    expect((await call(api, 'GET', '/clusters/alpha/jobs/speed/status')).status).toBe(404);
    expect((await call(api, 'DELETE', '/clusters/alpha')).status).toBe(202);
    expect((await call(api, 'DELETE', '/clusters/alpha')).status).toBe(404);
  });
});
