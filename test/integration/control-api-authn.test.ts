// How callers authenticate to the control API (ADR 0022), against the shared real control plane:
// tokens bound to the `flinkvisor` audience (TokenRequest), tokens for the API server itself, and
// client certificates made here with openssl (CN: user, O: groups). Each way must lead to the same
// SubjectAccessReview: a read-only identity reads (200) and may not STOP (403); no credential is
// 401. The CLI is run in-process with kubeconfigs whose users are ServiceAccounts, with and without
// the right to ask for their own audience-bound token.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { API_GROUP, API_VERSION, FLINK_CLUSTER } from '../../src/api/names.ts';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.ts';
import { freePort } from '../../src/devenv/free-port.ts';
import { OpensslCertificates } from '../../src/devenv/openssl-certificates.ts';
import { ManagedProcess } from '../../src/devenv/managed-process.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { startControlApi, type ControlApi } from '../../src/control-api/control-api-server.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { NO_RETRY } from '../../src/flink/retry-policy.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { CONTROL_API_CLUSTER_RULES, CONTROL_API_RULES } from '../../src/install/rbac.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);

const READ: V1PolicyRule = {
  apiGroups: [API_GROUP],
  resources: ['flinkclusters', 'flinkjobs'],
  verbs: ['get', 'list'],
};
const CLUSTER = 'demo';

let ns: string;
let dir: string;
let pem: Record<'ca' | 'server' | 'serverKey' | 'reader' | 'readerKey' | 'stranger' | 'strangerKey', Buffer>;
/** Servers: `compat` accepts API server tokens too (the default), `strict` audience-bound only. */
let compat: ControlApi;
let strict: ControlApi;
const cleanups: (() => Promise<unknown>)[] = [];

// ---- certificates (made at test time; no key is ever committed)

async function makeCertificates(): Promise<typeof pem> {
  const certificates = new OpensslCertificates(dir);
  for (const ca of ['ca', 'stranger-ca']) await certificates.ca(ca);
  const sign = (name: string, subject: string, ca: string, ext: string) =>
    certificates.sign(name, subject, ca, ext);
  await sign('server', '/CN=server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  // The reader's rights come from its group (O) only: a certificate's groups must reach the review.
  await sign(
    'reader',
    '/O=flink-cert-readers/O=other-team/CN=cert-reader',
    'ca',
    'extendedKeyUsage=clientAuth\n',
  );
  // The same names from a CA the server does not trust.
  await sign(
    'stranger',
    '/O=flink-cert-readers/CN=cert-reader',
    'stranger-ca',
    'extendedKeyUsage=clientAuth\n',
  );
  const file = (name: string) => readFile(join(dir, name));
  return {
    ca: await file('ca.crt'),
    server: await file('server.crt'),
    serverKey: await file('server.key'),
    reader: await file('reader.crt'),
    readerKey: await file('reader.key'),
    stranger: await file('stranger.crt'),
    strangerKey: await file('stranger.key'),
  };
}

// ---- identities

type Subject = { kind: 'ServiceAccount' | 'Group'; name: string };

async function bind(
  name: string,
  rules: V1PolicyRule[],
  subject: Subject,
  cluster = false,
  namespace = ns,
): Promise<void> {
  const roleKind = cluster ? 'ClusterRole' : 'Role';
  const bindingKind = cluster ? 'ClusterRoleBinding' : 'RoleBinding';
  const metadata = cluster ? { name: `${ns}-${name}` } : { name, namespace };
  await applyObjects(admin, [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: roleKind, metadata, rules } as never,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: bindingKind,
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: metadata.name },
      subjects: [
        subject.kind === 'Group'
          ? { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: subject.name }
          : { kind: 'ServiceAccount', name: subject.name, namespace: ns },
      ],
    } as never,
  ]);
  if (cluster) {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    cleanups.push(() => rbac.deleteClusterRole({ name: metadata.name }).catch(() => undefined));
    cleanups.push(() => rbac.deleteClusterRoleBinding({ name: metadata.name }).catch(() => undefined));
  }
}

/** A token for a ServiceAccount by TokenRequest: for the API server (no audience) or the given ones. */
async function tokenFor(name: string, audiences: string[] = []): Promise<string> {
  const answer = await core.createNamespacedServiceAccountToken({
    name,
    namespace: ns,
    body: { spec: { audiences, expirationSeconds: 3600 } },
  });
  const token = answer.status?.token;
  if (!token) throw new Error(`no token for ${name}`);
  return token;
}

/** The admin kubeconfig's cluster with another user's token. */
function kubeConfigWithToken(token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('no cluster in the admin kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'user', token }],
    contexts: [{ name: 'user', cluster: cluster.name, user: 'user', namespace: ns }],
    currentContext: 'user',
  });
  return kc;
}

// ---- requests

interface Answer {
  status: number;
  body: { error?: string; message?: string };
}

async function call(
  server: ControlApi,
  method: 'GET' | 'PUT',
  path: string,
  credential: { token?: string; cert?: Buffer; key?: Buffer } = {},
): Promise<Answer> {
  const dispatcher = new Agent({
    connect: { ca: pem.ca, ...(credential.cert ? { cert: credential.cert, key: credential.key } : {}) },
  });
  try {
    const response = await request(`${server.url}/api/v1${path}?namespace=${ns}`, {
      method,
      dispatcher,
      headers: {
        ...(credential.token ? { authorization: `Bearer ${credential.token}` } : {}),
        ...(method === 'PUT' ? { 'content-type': 'application/json' } : {}),
      },
      ...(method === 'PUT' ? { body: '{}' } : {}),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text ? (JSON.parse(text) as Answer['body']) : {} };
  } finally {
    await dispatcher.close();
  }
}

const status = `/clusters/${CLUSTER}/status`;
const stop = `/clusters/${CLUSTER}/stop`;

/**
 * `flinkvisor <args>` in-process against `server`, as a user runs it: the exit code, stdout,
 * stderr and the error the command failed with (main.ts prints it).
 */
async function cli(server: ControlApi, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (chunks: string[]) =>
    new Writable({ write: (c: Buffer, _e, done) => void (chunks.push(c.toString()), done()) });
  const program = buildProgram({ env: {}, stdout: sink(out), stderr: sink(err) });
  const connection = [
    '--host',
    '127.0.0.1',
    '--port',
    String(server.port),
    '--ca-file',
    join(dir, 'ca.crt'),
    '-n',
    ns,
  ];
  let failure = '';
  const code = await program.parseAsync(['node', 'flinkvisor', ...args, ...connection]).then(
    () => 0,
    (e: unknown) => ((failure = e instanceof Error ? e.message : String(e)), exitCodeFor(e)),
  );
  return { code, out: out.join(''), err: err.join(''), failure };
}

/** A kubeconfig file whose user is the ServiceAccount `name` with a token for the API server. */
async function kubeconfigFileOf(name: string): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(path, kubeConfigWithToken(await tokenFor(name)).exportConfig(), { mode: 0o600 });
  return path;
}

beforeAll(async () => {
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'capi-authn');
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-authn-'));
  pem = await makeCertificates();
  for (const name of ['flinkvisor-operator', 'flink-reader', 'flink-self', 'flink-other']) {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  }
  await bind(
    'flinkvisor-operator',
    CONTROL_API_CLUSTER_RULES,
    { kind: 'ServiceAccount', name: 'flinkvisor-operator' },
    true,
  );
  await bind('flinkvisor-operator', CONTROL_API_RULES, {
    kind: 'ServiceAccount',
    name: 'flinkvisor-operator',
  });
  await bind('flink-reader', [READ], { kind: 'ServiceAccount', name: 'flink-reader' });
  await bind('flink-cert-readers', [READ], { kind: 'Group', name: 'flink-cert-readers' });
  // flink-self reads too, and may ask for its own tokens (what the CLI's TokenRequest needs).
  await bind(
    'flink-self',
    [
      READ,
      {
        apiGroups: [''],
        resources: ['serviceaccounts/token'],
        verbs: ['create'],
        resourceNames: ['flink-self'],
      },
    ],
    { kind: 'ServiceAccount', name: 'flink-self' },
  );
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace: ns,
    plural: FLINK_CLUSTER.plural,
    body: {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: FLINK_CLUSTER.kind,
      metadata: { name: CLUSTER },
      spec: { runtime: { image: 'flink:1.20' }, supervisor: { image: 'flinkvisor:0.1.0' }, taskManagers: 1 },
    },
  });
  const common = {
    kubeConfig: kubeConfigWithToken(await tokenFor('flinkvisor-operator')),
    namespaces: [ns],
    host: '127.0.0.1',
    port: 0,
    flinkClient: (baseUrl: string) =>
      new FlinkRestClient({ baseUrl, dispatcher: createFlinkDispatcher(baseUrl), retry: NO_RETRY }),
    log: pino({ level: 'silent' }),
    clock: systemClock,
    tls: { cert: pem.server, key: pem.serverKey, clientCa: pem.ca, requireClientCertificate: false },
  };
  compat = await startControlApi(common);
  strict = await startControlApi({ ...common, acceptApiServerTokens: false });
});

afterAll(async () => {
  await compat?.close();
  await strict?.close();
  for (const c of cleanups) await c();
  if (ns) await deleteTestNamespace(admin, ns);
});

describe('no credential', () => {
  it('is 401 on both servers, naming both ways in', async () => {
    for (const server of [compat, strict]) {
      const answer = await call(server, 'GET', status);
      expect(answer.status).toBe(401);
      expect(answer.body.message).toBe('a bearer token or a client certificate is required');
    }
  });
});

describe('an audience-bound token', () => {
  it('lets a read-only ServiceAccount read (200) and not STOP (403), also when audience-only', async () => {
    const token = await tokenFor('flink-reader', ['flinkvisor']);
    for (const server of [compat, strict]) {
      expect((await call(server, 'GET', status, { token })).status).toBe(200);
      const denied = await call(server, 'PUT', stop, { token });
      expect(denied.status).toBe(403);
      expect(denied.body.message).toBe(
        `user "system:serviceaccount:${ns}:flink-reader" may not patch flinkclusters.flinkvisor.io "${CLUSTER}" in namespace "${ns}"`,
      );
    }
  });

  it('is worthless against the API server itself', async () => {
    const token = await tokenFor('flink-reader', ['flinkvisor']);
    const custom = kubeConfigWithToken(token).makeApiClient(CustomObjectsApi);
    const read = custom.listNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural: FLINK_CLUSTER.plural,
    });
    await expect(read).rejects.toMatchObject({ code: 401 });
  });

  it('for another audience is 401 on both servers', async () => {
    const token = await tokenFor('flink-reader', ['someone-else']);
    for (const server of [compat, strict]) {
      const answer = await call(server, 'GET', status, { token });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('Unauthorized');
    }
  });
});

describe('a token for the API server', () => {
  it('is accepted by default (200, and 403 for STOP) and refused (401) when audience-only', async () => {
    const token = await tokenFor('flink-reader');
    expect((await call(compat, 'GET', status, { token })).status).toBe(200);
    expect((await call(compat, 'PUT', stop, { token })).status).toBe(403);
    expect((await call(strict, 'GET', status, { token })).status).toBe(401);
  });
});

describe('a client certificate', () => {
  it('names the caller by CN and its groups by O: reads (200), may not STOP (403)', async () => {
    const cert = { cert: pem.reader, key: pem.readerKey };
    for (const server of [compat, strict]) {
      expect((await call(server, 'GET', status, cert)).status).toBe(200);
      const denied = await call(server, 'PUT', stop, cert);
      expect(denied.status).toBe(403);
      expect(denied.body.message).toBe(
        `user "cert-reader" may not patch flinkclusters.flinkvisor.io "${CLUSTER}" in namespace "${ns}"`,
      );
    }
  });

  it('from a CA the server does not trust is 401, even with the same names', async () => {
    const answer = await call(strict, 'GET', status, { cert: pem.stranger, key: pem.strangerKey });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toMatch(
      /^the client certificate was not accepted \(not signed by the trusted client CA/,
    );
  });

  it('gives way to a bearer token: the token names the caller', async () => {
    const token = await tokenFor('flink-self', ['flinkvisor']);
    const answer = await call(strict, 'PUT', stop, { token, cert: pem.reader, key: pem.readerKey });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toContain(`user "system:serviceaccount:${ns}:flink-self"`);
  });
});

describe('the CLI', () => {
  it('asks for an audience-bound token for a ServiceAccount user: reads against an audience-only server, may not STOP', async () => {
    const kubeconfig = await kubeconfigFileOf('flink-self');
    const list = await cli(strict, ['clusters', 'list', '-o', 'json', '--kubeconfig', kubeconfig]);
    expect(list).toMatchObject({ code: 0, err: '' });
    expect((JSON.parse(list.out) as { name: string }[]).map((c) => c.name)).toEqual([CLUSTER]);
    const stopped = await cli(strict, [
      'cluster',
      'stop',
      '--cluster-name',
      CLUSTER,
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(stopped.code).toBe(EXIT.forbidden);
    expect(stopped.failure).toContain(`user "system:serviceaccount:${ns}:flink-self" may not patch`);
  });

  it('warns once and sends the kubeconfig token when the TokenRequest is refused', async () => {
    const kubeconfig = await kubeconfigFileOf('flink-reader');
    const list = await cli(compat, ['clusters', 'list', '-o', 'json', '--kubeconfig', kubeconfig]);
    expect(list.code).toBe(0);
    const warnings = list.err.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: no token for audience "flinkvisor" \\(TokenRequest for ServiceAccount ${ns}/flink-reader refused: HTTP 403: .*\\); sending the kubeconfig's token instead$`,
        ),
      ),
    ]);
    // The audience-only server refuses the kubeconfig's token.
    const refused = await cli(strict, ['clusters', 'list', '--kubeconfig', kubeconfig]);
    expect(refused.code).toBe(EXIT.unauthorized);
  });

  it('authenticates with a client certificate and no token', async () => {
    const files = ['--cert-file', join(dir, 'reader.crt'), '--key-file', join(dir, 'reader.key')];
    // A kubeconfig is named but not read: without --token, the certificate is the credential.
    const kubeconfig = await kubeconfigFileOf('flink-other');
    const list = await cli(strict, ['clusters', 'list', '-o', 'json', ...files, '--kubeconfig', kubeconfig]);
    expect(list).toMatchObject({ code: 0, err: '' });
    const stopped = await cli(strict, ['cluster', 'stop', '--cluster-name', CLUSTER, ...files]);
    expect(stopped.code).toBe(EXIT.forbidden);
    expect(stopped.failure).toContain('user "cert-reader" may not patch');
  });
});

describe('the operator process', () => {
  // `flinkvisor operator run` as the chart starts it, with another audience and audience-only: the
  // flags reach the server. It watches a namespace of its own, without clusters to reconcile.
  let watched: string;
  let operator: ManagedProcess | undefined;
  let url: string;

  beforeAll(async () => {
    watched = await createTestNamespace(admin, 'capi-authn-op');
    await bind('flink-reader', [READ], { kind: 'ServiceAccount', name: 'flink-reader' }, false, watched);
    await bind('flink-cert-readers', [READ], { kind: 'Group', name: 'flink-cert-readers' }, false, watched);
    const port = await freePort();
    url = `https://127.0.0.1:${port}/api/v1/clusters?namespace=${watched}`;
    operator = ManagedProcess.start({
      name: 'operator',
      command: process.execPath,
      args: [
        join(PROJECT_ROOT, 'src/cli/main.ts'),
        'operator',
        'run',
        `--namespaces=${watched}`,
        `--kubeconfig=${inject('controlPlane').kubeconfigPath}`,
        '--bind-address=127.0.0.1',
        `--monitoring-port=${await freePort()}`,
        `--api-port=${port}`,
        `--api-tls-cert=${join(dir, 'server.crt')}`,
        `--api-tls-key=${join(dir, 'server.key')}`,
        `--api-client-ca=${join(dir, 'ca.crt')}`,
        '--api-token-audience=flink-control',
        '--api-token-audience-only',
      ],
      env: { ...process.env, LOG_LEVEL: 'info', POD_NAMESPACE: watched },
      cwd: PROJECT_ROOT,
      logFile: join(dir, 'operator.log'),
    });
    await waitFor(
      'the operator to serve the control API',
      async () => {
        const dispatcher = new Agent({ connect: { ca: pem.ca } });
        try {
          return (await request(url, { dispatcher })).statusCode === 401 ? true : undefined;
        } catch {
          return undefined;
        } finally {
          await dispatcher.close();
        }
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  });

  afterAll(async () => {
    await operator?.stop();
    if (watched) await deleteTestNamespace(admin, watched);
  });

  async function get(credential: { token?: string; cert?: Buffer; key?: Buffer }): Promise<number> {
    const dispatcher = new Agent({
      connect: { ca: pem.ca, ...(credential.cert ? { cert: credential.cert, key: credential.key } : {}) },
    });
    try {
      const headers = credential.token ? { authorization: `Bearer ${credential.token}` } : undefined;
      const response = await request(url, { dispatcher, ...(headers ? { headers } : {}) });
      await response.body.text();
      return response.statusCode;
    } finally {
      await dispatcher.close();
    }
  }

  it('accepts tokens for its configured audience and certificates only: --api-token-audience(-only), --api-client-ca', async () => {
    expect(await get({ token: await tokenFor('flink-reader', ['flink-control']) })).toBe(200);
    expect(await get({ token: await tokenFor('flink-reader', ['flinkvisor']) })).toBe(401);
    expect(await get({ token: await tokenFor('flink-reader') })).toBe(401);
    expect(await get({ cert: pem.reader, key: pem.readerKey })).toBe(200);
    expect(await get({ cert: pem.stranger, key: pem.strangerKey })).toBe(401);
    expect(await get({})).toBe(401);
  });
});
