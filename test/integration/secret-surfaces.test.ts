// Secrets reach no surface a user or an operator reads. Real parts: the shared kube-apiserver, a real
// `flinkvisor operator run --embedded-supervisors` process (its control API on TLS) and a real
// `flinkvisor supervisor run` process (its state visualizer on), both at debug log level, each on a
// ServiceAccount token of its own; the CLI in this process. Flink is absent (its image does not
// exist): what is exercised is every path of Flinkvisor's own that could copy a secret.
//
// Seeded: S3 keys in the credentials Secret the clusters reference, a token in a Secret the
// JobManagers take as environment, a TLS private key (the control API's, and in a Secret mounted
// into the JobManagers), the processes' and the CLI's bearer tokens, and a bogus bearer token
// sent in a header and in a query string. Each is looked for plainly, URL-encoded, JSON-escaped and
// base64/base64url-encoded at any alignment in: both processes' logs (shutdown included), Events,
// the FlinkDeployment, FlinkClusters and FlinkJobs (status included), the objects the supervisors
// own (pods, Jobs, Services, ConfigMaps, Leases), every GET route of the control API and its answers
// to refused callers and actions, the supervisor's visualizer pages, both processes' /metrics,
// /version and /readyz, and the CLI's output (tables, JSON, errors).
import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { API_GROUP, API_VERSION, FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB } from '../../src/api/names.ts';
import { exitCodeFor } from '../../src/cli/exit-codes.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { API_PREFIX, ROUTES } from '../../src/control-api/routes.ts';
import { freePort } from '../../src/devenv/free-port.ts';
import { startObjectStore, type ObjectStore } from '../../src/devenv/object-store.ts';
import { ManagedProcess } from '../../src/devenv/managed-process.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { KubernetesCustomResourceClient } from '../../src/kube/custom-resource-client.ts';
import { hostUrl } from '../../src/kube/pod-address.ts';
import { serviceAccountToken } from '../support/control-api.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const run = promisify(execFile);
const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const client = new KubernetesCustomResourceClient(admin);
const unique = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

/** The seeded secrets, by what they are. Filled in beforeAll. */
const secrets: Record<string, string> = {
  's3 access key id': unique('FVAKIA'),
  's3 secret access key': unique('fv-s3-secret-'),
  'token in a Secret taken as environment': unique('fv-env-token-'),
  'bogus bearer token': unique('fv-bogus-bearer-'),
};
let tlsKey = '';

let dir = '';
let opNs = '';
let svNs = '';
let operator: ManagedProcess | undefined;
let supervisor: ManagedProcess | undefined;
let apiPort = 0;
let operatorMonitoring = 0;
let supervisorMonitoring = 0;
let supervisorDebug = 0;
let readerToken = '';
let store: ObjectStore | undefined;
const cleanups: (() => Promise<unknown>)[] = [];

/**
 * The spellings under which `secret` could show: as it is, URL-encoded, JSON-escaped, and the part
 * of its base64 and base64url encodings that depends on it alone, at each of the three alignments
 * it may have inside a longer encoded text.
 */
function secretSpellings(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  for (const encoding of ['base64', 'base64url'] as const) {
    for (const pad of ['', 'x', 'xy']) {
      const encoded = Buffer.from(pad + secret)
        .toString(encoding)
        .replace(/=+$/, '');
      // Drop the 4-character group that mixes in the padding before and the one that mixes in
      // whatever follows.
      const stable = encoded.slice(pad ? 4 : 0, encoded.length - 4);
      if (stable.length >= 12) forms.add(stable);
    }
  }
  return [...forms];
}

/** The PEM's body lines too: a log that escapes newlines still carries them one by one. */
function pemSpellings(pem: string): string[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [...secretSpellings(pem.trim()), body.join(''), ...body.filter((l) => l.length >= 16)];
}

function leaksIn(surfaces: Record<string, string>): string[] {
  const all: [string, string[]][] = [
    ...Object.entries(secrets).map(([what, value]): [string, string[]] => [what, secretSpellings(value)]),
    ['TLS private key', pemSpellings(tlsKey)],
  ];
  const found: string[] = [];
  for (const [where, text] of Object.entries(surfaces)) {
    for (const [what, spellings] of all) {
      const spelling = spellings.find((s) => text.includes(s));
      if (spelling !== undefined) found.push(`${what} in ${where} (as ${JSON.stringify(spelling)})`);
    }
  }
  return found;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA and a server certificate for 127.0.0.1; returns the server key (the seeded TLS key). */
async function makeCertificates(): Promise<string> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=ca',
  ]);
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=server']);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    'server.crt',
    '-extfile',
    'server.ext',
  ]);
  return readFile(join(dir, 'server.key'), 'utf8');
}

/** A cluster-admin ServiceAccount in `namespace`, and a kubeconfig file with its token. */
async function processIdentity(namespace: string, name: string): Promise<{ token: string; file: string }> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const binding = `${namespace}-${name}`;
  await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: binding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  cleanups.push(() =>
    admin.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: binding }),
  );
  const answer = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = answer.status?.token ?? '';
  const cluster = admin.getCurrentCluster();
  if (!token || !cluster) throw new Error(`no token for ${name}`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token }],
    contexts: [{ name, cluster: cluster.name, user: name, namespace }],
    currentContext: name,
  });
  const file = join(dir, `${name}.kubeconfig`);
  await writeFile(file, kc.exportConfig());
  return { token, file };
}

/** The Secrets the clusters reference, in `namespace`. */
async function seedSecrets(namespace: string): Promise<void> {
  const create = (name: string, stringData: Record<string, string>, type?: string) =>
    core.createNamespacedSecret({
      namespace,
      body: { metadata: { name }, stringData, ...(type ? { type } : {}) },
    });
  await create('state-credentials', {
    's3.access-key': secrets['s3 access key id'] ?? '',
    's3.secret-key': secrets['s3 secret access key'] ?? '',
  });
  await create('job-token', { API_TOKEN: secrets['token in a Secret taken as environment'] ?? '' });
  const crt = await readFile(join(dir, 'server.crt'), 'utf8');
  await create('flink-tls', { 'tls.crt': crt, 'tls.key': tlsKey }, 'kubernetes.io/tls');
}

/** A cluster spec that references all three Secrets, with images that do not exist. */
function clusterSpec(): Record<string, unknown> {
  const secretsOfPod = {
    environmentFrom: [{ secretRef: { name: 'job-token' } }],
    volumes: [{ name: 'tls', secret: { secretName: 'flink-tls' } }],
    volumeMounts: [{ name: 'tls', mountPath: '/opt/tls', readOnly: true }],
  };
  return {
    taskManagers: 1,
    runtime: { image: 'flink-absent:0.0.0' },
    supervisor: { image: 'flinkvisor-absent:0.0.0', pollingInterval: 1, taskTimeout: 10 },
    storage: {
      scheme: 's3',
      baseDir: 'state-bucket/flink',
      s3: {
        endpoint: 'http://127.0.0.1:9',
        pathStyleAccess: true,
        credentialsSecret: {
          name: 'state-credentials',
          accessKeyIdKey: 's3.access-key',
          secretAccessKeyKey: 's3.secret-key',
        },
      },
    },
    jobManager: secretsOfPod,
    taskManager: secretsOfPod,
  };
}

const JOB_SPEC = {
  bootstrap: { image: 'flinkvisor-absent:0.0.0', jarPath: '/opt/job.jar' },
  savepoint: { savepointMode: 'Manual' },
};

function flinkvisor(name: string, args: string[], logFile: string): ManagedProcess {
  return ManagedProcess.start({
    name,
    command: process.execPath,
    args: [join(PROJECT_ROOT, 'src/cli/main.ts'), ...args],
    env: { ...process.env, LOG_LEVEL: 'debug', POD_NAMESPACE: opNs },
    cwd: PROJECT_ROOT,
    logFile,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-secrets-'));
  tlsKey = await makeCertificates();
  await installCrds(admin, crdManifests());
  opNs = await createTestNamespace(admin, 'secrets-op');
  svNs = await createTestNamespace(admin, 'secrets-sv');
  for (const ns of [opNs, svNs]) await seedSecrets(ns);
  const operatorIdentity = await processIdentity(opNs, 'fv-operator');
  const supervisorIdentity = await processIdentity(svNs, 'fv-supervisor');
  secrets["the operator's ServiceAccount token"] = operatorIdentity.token;
  secrets["the supervisor's ServiceAccount token"] = supervisorIdentity.token;
  readerToken = await serviceAccountToken(admin, opNs, 'state-reader', [
    {
      apiGroups: [API_GROUP],
      resources: ['flinkdeployments', 'flinkclusters', 'flinkjobs', 'flinksavepoints'],
      verbs: ['get', 'list', 'watch'],
    },
  ]);
  secrets["the CLI caller's token"] = readerToken;

  [apiPort, operatorMonitoring, supervisorMonitoring, supervisorDebug] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  operator = flinkvisor(
    'operator',
    [
      'operator',
      'run',
      '--embedded-supervisors',
      `--namespaces=${opNs}`,
      `--kubeconfig=${operatorIdentity.file}`,
      '--identity=secrets-operator-0',
      '--bind-address=127.0.0.1',
      `--monitoring-port=${operatorMonitoring}`,
      `--api-port=${apiPort}`,
      `--api-tls-cert=${join(dir, 'server.crt')}`,
      `--api-tls-key=${join(dir, 'server.key')}`,
    ],
    join(dir, 'operator.log'),
  );
  supervisor = flinkvisor(
    'supervisor',
    [
      'supervisor',
      'run',
      `--namespace=${svNs}`,
      '--cluster-name=solo',
      `--kubeconfig=${supervisorIdentity.file}`,
      '--identity=secrets-supervisor-0',
      '--bind-address=127.0.0.1',
      `--port=${supervisorMonitoring}`,
      '--debug-address=127.0.0.1',
      `--debug-port=${supervisorDebug}`,
      '--polling-interval=1',
    ],
    join(dir, 'supervisor.log'),
  );

  await client.create(FLINK_DEPLOYMENT, opNs, {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_DEPLOYMENT.kind,
    metadata: { name: 'leaky' },
    spec: { cluster: clusterSpec(), jobs: [{ name: 'cars', spec: JOB_SPEC }] },
  });
  await client.create(FLINK_CLUSTER, svNs, {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_CLUSTER.kind,
    metadata: { name: 'solo' },
    spec: clusterSpec(),
  });
  await client.create(FLINK_JOB, svNs, {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_JOB.kind,
    metadata: { name: 'solo-cars' },
    spec: { ...JOB_SPEC, clusterName: 'solo' },
  });
});

afterAll(async () => {
  await store?.stop();
  await operator?.stop();
  await supervisor?.stop();
  for (const ns of [opNs, svNs]) if (ns) await deleteTestNamespace(admin, ns);
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
});

/** `GET`/`POST` on the control API over TLS; the answer's text whatever its status. */
async function callApi(
  method: 'GET' | 'PUT',
  path: string,
  token: string | undefined,
): Promise<{ status: number; text: string }> {
  const dispatcher = new Agent({ connect: { ca: await readFile(join(dir, 'ca.crt')) } });
  try {
    const response = await request(hostUrl('https', '127.0.0.1', apiPort, path), {
      method,
      dispatcher,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: response.statusCode, text: await response.body.text() };
  } finally {
    await dispatcher.close();
  }
}

/** Every GET route for the deployment, its cluster and job; refused callers; a refused action. */
async function controlApiSurfaces(): Promise<Record<string, string>> {
  const values: Record<string, string> = {
    deployment: 'leaky',
    cluster: 'leaky',
    job: 'cars',
    savepoint: 'none',
    taskmanager: 'tm-0',
  };
  const out: Record<string, string> = {};
  const statuses: Record<string, number> = {};
  for (const route of ROUTES.filter((r) => r.method === 'GET')) {
    const path = `${API_PREFIX}${route.path.replace(/\{(\w+)\}/g, (_, p: string) => values[p] ?? p)}?namespace=${opNs}`;
    const answer = await callApi('GET', path, readerToken);
    statuses[route.path] = answer.status;
    out[`control API GET ${route.path} (${answer.status})`] = answer.text;
  }
  // What a reader sees must be real answers, not a wall of errors.
  for (const path of ['/deployments', '/clusters/{cluster}/status', '/clusters/{cluster}/jobs/{job}/status'])
    expect(statuses[path], `${path}: ${JSON.stringify(statuses)}`).toBe(200);
  const bogus = secrets['bogus bearer token'] ?? '';
  const unauthenticated = await callApi('GET', `${API_PREFIX}/clusters?namespace=${opNs}`, bogus);
  expect(unauthenticated.status).toBe(401);
  out['control API answer to a bogus bearer token'] = unauthenticated.text;
  const inQuery = await callApi(
    'GET',
    `${API_PREFIX}/clusters?namespace=${opNs}&token=${bogus}&access_token=${bogus}`,
    undefined,
  );
  expect(inQuery.status).toBe(401);
  out['control API answer to a token in the query string'] = inQuery.text;
  const refused = await callApi(
    'PUT',
    `${API_PREFIX}/clusters/leaky/jobs/cars/stop?namespace=${opNs}`,
    readerToken,
  );
  expect(refused.status).toBe(403);
  out['control API answer to a refused action'] = refused.text;
  return out;
}

/** The CLI, run as a user would, over TLS with the reader's token (and once with a bogus one). */
async function cliSurfaces(): Promise<Record<string, string>> {
  const cli = async (args: string[], token: string) => {
    const chunks: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, done) => void (chunks.push(c.toString()), done()) });
    const program = buildProgram({ env: {}, stdout: stream, stderr: stream });
    program.exitOverride();
    const connection = ['--host', '127.0.0.1', '--port', String(apiPort), '--ca-file', join(dir, 'ca.crt')];
    const code = await program
      .parseAsync(['node', 'flinkvisor', ...args, ...connection, '--token', token, '-n', opNs])
      .then(
        () => 0,
        (err: unknown) => {
          chunks.push(err instanceof Error ? err.message : String(err));
          return exitCodeFor(err);
        },
      );
    return { code, out: chunks.join('') };
  };
  const out: Record<string, string> = {};
  for (const args of [
    ['deployments', 'list'],
    ['deployment', 'status', '--deployment-name', 'leaky'],
    ['clusters', 'list'],
    ['cluster', 'status', '--cluster-name', 'leaky'],
    ['jobs', 'list', '--cluster-name', 'leaky'],
    ['job', 'status', '--cluster-name', 'leaky', '--job-name', 'cars'],
  ]) {
    for (const format of [[], ['-o', 'json'], ['-o', 'yaml']]) {
      const answer = await cli([...args, ...format], readerToken);
      expect(answer.code, `${args.join(' ')}: ${answer.out}`).toBe(0);
      out[`CLI ${[...args, ...format].join(' ')}`] = answer.out;
    }
  }
  expect(out['CLI clusters list']).toContain('leaky');
  const bogus = await cli(
    ['cluster', 'status', '--cluster-name', 'leaky'],
    secrets['bogus bearer token'] ?? '',
  );
  expect(bogus.code).not.toBe(0);
  out['CLI with a bogus token'] = bogus.out;
  const refused = await cli(['job', 'stop', '--cluster-name', 'leaky', '--job-name', 'cars'], readerToken);
  expect(refused.code).not.toBe(0);
  out['CLI refused action'] = refused.out;
  return out;
}

async function httpSurfaces(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const get = async (what: string, url: string) => {
    const response = await fetch(url);
    out[`${what} (${response.status})`] = await response.text();
    return response.status;
  };
  for (const path of ['/metrics', '/version', '/readyz', '/healthz']) {
    await get(`operator GET ${path}`, hostUrl('http', '127.0.0.1', operatorMonitoring, path));
    await get(`supervisor GET ${path}`, hostUrl('http', '127.0.0.1', supervisorMonitoring, path));
  }
  for (const path of [
    '/debug/',
    '/debug/machines',
    '/debug/machines/cluster/solo',
    '/debug/machines/job/solo-cars',
  ]) {
    expect(await get(`visualizer GET ${path}`, hostUrl('http', '127.0.0.1', supervisorDebug, path))).toBe(
      200,
    );
  }
  return out;
}

async function kubernetesSurfaces(ns: string): Promise<Record<string, string>> {
  const custom = admin.makeApiClient(CustomObjectsApi);
  const out: Record<string, string> = {};
  for (const kind of [FLINK_DEPLOYMENT, FLINK_CLUSTER, FLINK_JOB]) {
    out[`${ns} ${kind.plural}`] = JSON.stringify(
      await custom.listNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace: ns,
        plural: kind.plural,
      }),
    );
  }
  out[`${ns} events`] = JSON.stringify((await core.listNamespacedEvent({ namespace: ns })).items);
  out[`${ns} pods`] = JSON.stringify((await core.listNamespacedPod({ namespace: ns })).items);
  out[`${ns} services`] = JSON.stringify((await core.listNamespacedService({ namespace: ns })).items);
  out[`${ns} configmaps`] = JSON.stringify((await core.listNamespacedConfigMap({ namespace: ns })).items);
  const jobs = await admin.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: ns });
  out[`${ns} jobs`] = JSON.stringify(jobs.items);
  const leases = await admin.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: ns });
  out[`${ns} leases`] = JSON.stringify(leases.items);
  return out;
}

describe('secrets reach no surface', () => {
  it('finds a seeded secret in every spelling it looks for (the check itself works)', async () => {
    const secret = await core.readNamespacedSecret({ name: 'state-credentials', namespace: opNs });
    const found = leaksIn({ 'the Secret itself': JSON.stringify(secret) });
    expect(found.map((f) => f.slice(0, f.indexOf(' in ')))).toEqual([
      's3 access key id',
      's3 secret access key',
    ]);
    const tls = await core.readNamespacedSecret({ name: 'flink-tls', namespace: opNs });
    expect(leaksIn({ tls: JSON.stringify(tls) })).toHaveLength(1);
    const url = `https://x.example/?q=${encodeURIComponent(`a b/${secrets['bogus bearer token']}`)}`;
    expect(leaksIn({ url })).toHaveLength(1);
    expect(leaksIn({ escaped: JSON.stringify({ key: tlsKey }) })).toHaveLength(1);
  });

  it('in logs, Events, resources and their status, owned objects, the control API, the visualizer, metrics and the CLI', async () => {
    // Both supervisors at work: status written on every resource, the JobManagers' pods created.
    // The pods as seen then are a surface too: on a loaded machine a supervisor may already be
    // replacing a JobManager that never became ready (no node runs it here) when the last list is read.
    const podsSeen: Record<string, string> = {};
    await waitFor(
      'status on the FlinkDeployment, both FlinkClusters and both FlinkJobs, and both JobManager pods',
      async () => {
        const resources = await Promise.all([
          client.get(FLINK_DEPLOYMENT, opNs, 'leaky'),
          client.get(FLINK_CLUSTER, opNs, 'leaky'),
          client.get(FLINK_JOB, opNs, 'leaky-cars'),
          client.get(FLINK_CLUSTER, svNs, 'solo'),
          client.get(FLINK_JOB, svNs, 'solo-cars'),
        ]);
        if (!resources.every((r) => r?.status && Object.keys(r.status).length > 0)) return undefined;
        const pods = await Promise.all(
          [opNs, svNs].map(async (namespace) => (await core.listNamespacedPod({ namespace })).items),
        );
        if (!pods.every((items) => items.some((p) => p.metadata?.name?.startsWith('jobmanager-'))))
          return undefined;
        [opNs, svNs].forEach((ns, i) => (podsSeen[`${ns} pods at work`] = JSON.stringify(pods[i])));
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const surfaces: Record<string, string> = {
      ...(await controlApiSurfaces()),
      ...(await cliSurfaces()),
      ...(await httpSurfaces()),
      ...podsSeen,
    };
    // Shut both processes down so that their last lines are read too.
    await operator?.stop();
    await supervisor?.stop();
    for (const ns of [opNs, svNs]) Object.assign(surfaces, await kubernetesSurfaces(ns));
    surfaces['operator log'] = await readFile(join(dir, 'operator.log'), 'utf8');
    surfaces['supervisor log'] = await readFile(join(dir, 'supervisor.log'), 'utf8');

    // The surfaces say something: the references are there, the values are not.
    expect(surfaces['operator log']).toContain('control API listening');
    expect(surfaces['supervisor log']).toContain('jobmanager pod created');
    expect(surfaces[`${opNs} pods at work`]).toContain('state-credentials');
    expect(surfaces[`${svNs} pods at work`]).toContain('flink-tls');
    expect(Object.keys(surfaces).length).toBeGreaterThanOrEqual(70);
    expect(leaksIn(surfaces)).toEqual([]);
  });

  it('in the output of storage clean, the process that holds S3 keys, against a real S3 server', async () => {
    store = await startObjectStore({ binary: (await devenvAssets()).versitygw, dir: join(dir, 'objects') });
    secrets["the object store's access key id"] = store.accessKeyId;
    secrets["the object store's secret key"] = store.secretAccessKey;
    await store.client.putObject(store.bucket, 'flink/savepoints/sp-1/_metadata', Buffer.from('x'));
    await store.client.putObject(store.bucket, 'flink/checkpoints/old/chk-1/_metadata', Buffer.from('x'));
    /** A flinkvisor command in a pod's shoes: the keys come from the environment, as from the Secret. */
    const command = async (args: string[], keys: { id: string; secret: string }) => {
      const env = {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        LOG_LEVEL: 'debug',
        AWS_ACCESS_KEY_ID: keys.id,
        AWS_SECRET_ACCESS_KEY: keys.secret,
      };
      const main = join(PROJECT_ROOT, 'src/cli/main.ts');
      try {
        const out = await run(process.execPath, [main, ...args], { env, cwd: PROJECT_ROOT, timeout: 60_000 });
        return { code: 0, out: out.stdout + out.stderr };
      } catch (err) {
        const failed = err as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
      }
    };
    const right = { id: store.accessKeyId, secret: store.secretAccessKey };
    const wrong = { id: secrets['s3 access key id'] ?? '', secret: secrets['s3 secret access key'] ?? '' };
    const wrongSecret = { id: store.accessKeyId, secret: secrets['s3 secret access key'] ?? '' };
    const clean = (keys: typeof right) =>
      command(
        [
          'storage',
          'clean',
          `--uri=s3://${store?.bucket}/flink/checkpoints/old`,
          `--keep=s3://${store?.bucket}/flink/savepoints/sp-1`,
          `--endpoint=${store?.endpoint}`,
          `--region=${store?.region}`,
        ],
        keys,
      );
    const surfaces: Record<string, string> = {};
    const runs = {
      'storage clean, right keys': await clean(right),
      'storage clean, unknown keys': await clean(wrong),
      'storage clean, wrong secret key': await clean(wrongSecret),
    };
    for (const [what, { code, out }] of Object.entries(runs)) surfaces[`${what} (exit ${code})`] = out;
    // What happened is what was meant to: the clean ran with the right keys and was refused
    // without them.
    expect(runs['storage clean, right keys'].code, runs['storage clean, right keys'].out).toBe(0);
    expect(runs['storage clean, right keys'].out).toContain('directory removed');
    expect(runs['storage clean, unknown keys'].code).not.toBe(0);
    expect(runs['storage clean, unknown keys'].out).toMatch(
      /XAdminUserNotFound|InvalidAccessKeyId|AccessDenied|40[34]/,
    );
    expect(runs['storage clean, wrong secret key'].out).toMatch(/SignatureDoesNotMatch|AccessDenied|403/);
    expect(await store.client.listObjects(store.bucket, 'flink/')).toHaveLength(1);
    expect(leaksIn(surfaces)).toEqual([]);
  });
});
