// Least privilege, proven against the real API server: the RBAC objects the flinkvisor chart renders
// are applied, and each component acts with a token of its own ServiceAccount (TokenRequest API).
// - operator: the real operator runs in this process with its token and does its whole job in a
//   watched namespace (expansion, supervisor Deployment, status, Events, Lease, deletion, control API);
// - supervisor: every call it makes, in its namespace;
// - bootstrap: nothing at all.
// Each is refused Secrets, and everything in namespaces it does not serve.
// And what the API server lists for each ServiceAccount (`kubectl auth can-i --list`) equals the
// table below, row for row: a right the chart gains or loses fails here until the table says so.
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { API_GROUP, API_VERSION } from '../../src/api/names.ts';
import { parseFlinkCluster } from '../../src/api/parse.ts';
import { freePort } from '../../src/devenv/free-port.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { OPERATOR_CHART_DIRECTORY } from '../../src/install/chart-files.ts';
import type { Helm } from '../../src/install/helm-cli.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { isNotFound, kubeMessageOf, statusCodeOf } from '../../src/kube/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startOperatorProcess, type RunningOperator } from '../../src/operator/operator-process.ts';
import { clusterNetworkPolicy } from '../../src/supervisor/network-policy.ts';
import { OwnedObjects } from '../../src/supervisor/owned-objects.ts';
import { canIList, type CanIList } from '../support/can-i.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';
import { chartHelm } from '../unit/install/chart-helm.ts';

const admin = adminKubeConfig();
const RBAC_KINDS = ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];
const suffix = randomBytes(3).toString('hex');
const release = `rbac-${suffix}`;
const releaseAll = `rbac-all-${suffix}`;
const operatorSa = `${release}-flinkvisor-operator`;
const operatorAllSa = `${releaseAll}-flinkvisor-operator`;

let helm: Helm;
/** Release namespace, two watched namespaces, one the operator does not watch. */
let sys: string;
let watchedA: string;
let watchedB: string;
let unwatched: string;
const clusterScoped: KubernetesObject[] = [];
let tokens: { operator: string; operatorAll: string; supervisor: string; bootstrap: string };

async function tokenFor(namespace: string, name: string): Promise<string> {
  const answer = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = answer.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${name}`);
  return token;
}

/** The admin kubeconfig's cluster, with a ServiceAccount's token as the only credential. */
function asServiceAccount(token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('no cluster in the admin kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}

type Outcome = 'allowed' | 'forbidden' | `error ${string}`;

/**
 * Whether the API server let the call through authorization: a 404 (nothing to delete), a 409
 * (already exists) or a 422 (invalid dry-run body) come after the RBAC check, so they count as allowed.
 */
async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return 'allowed';
  } catch (err) {
    const code = statusCodeOf(err);
    if (code === 403) return 'forbidden';
    if (code === 404 || code === 409 || code === 422) return 'allowed';
    return `error ${code ?? '?'}: ${kubeMessageOf(err)}`;
  }
}

async function expectOutcomes(
  cases: Record<string, () => Promise<unknown>>,
  expected: Outcome,
): Promise<void> {
  const results: Record<string, Outcome> = {};
  for (const [what, call] of Object.entries(cases)) results[what] = await outcome(call);
  expect(results).toEqual(Object.fromEntries(Object.keys(cases).map((k) => [k, expected])));
}

const crd = (kc: KubeConfig) => kc.makeApiClient(CustomObjectsApi);
const ref = (namespace: string, plural: string) => ({
  group: API_GROUP,
  version: API_VERSION,
  namespace,
  plural,
});
const DRY_RUN = 'All';
const pod = (name: string) => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'flink:1.20' }] },
});

function flinkDeployment(namespace: string, name: string) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'FlinkDeployment',
    metadata: { name, namespace },
    spec: {
      cluster: {
        taskManagers: 0,
        runtime: { image: 'flink:1.20' },
        // No supervisor pod: this proves the operator's rights, not Flink.
        supervisor: { image: 'flinkvisor:0.1.0', replicas: 0 },
      },
      jobs: [
        {
          name: 'a',
          spec: {
            jobParallelism: 0,
            bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/opt/flinkvisor/examples/1.20/WordCount.jar' },
            savepoint: { savepointMode: 'Manual' },
          },
        },
      ],
    },
  };
}

async function renderRbac(name: string, values: object): Promise<KubernetesObject[]> {
  const objects = await helm.render({
    release: name,
    chart: OPERATOR_CHART_DIRECTORY,
    namespace: sys,
    values: [values],
  });
  return objects.filter((o) => RBAC_KINDS.includes(o.kind ?? ''));
}

beforeAll(async () => {
  helm = await chartHelm();
  await installCrds(admin, crdManifests());
  sys = await createTestNamespace(admin, 'helm-sys');
  watchedA = await createTestNamespace(admin, 'helm-a');
  watchedB = await createTestNamespace(admin, 'helm-b');
  unwatched = await createTestNamespace(admin, 'helm-u');
  const namespaced = await renderRbac(release, {
    api: { insecureHttp: true },
    watchNamespaces: [watchedA, watchedB],
  });
  const everywhere = await renderRbac(releaseAll, { api: { insecureHttp: true } });
  for (const o of [...namespaced, ...everywhere]) if (!o.metadata?.namespace) clusterScoped.push(o);
  await applyObjects(admin, [...namespaced, ...everywhere]);
  tokens = {
    operator: await tokenFor(sys, operatorSa),
    operatorAll: await tokenFor(sys, operatorAllSa),
    supervisor: await tokenFor(watchedA, 'flinkvisor-supervisor'),
    bootstrap: await tokenFor(watchedA, 'flinkvisor-bootstrap'),
  };
}, 300_000);

afterAll(async () => {
  // Nothing may keep a namespace of the shared control plane terminating: finalizers go first.
  for (const ns of [watchedA, watchedB, unwatched].filter(Boolean)) {
    for (const plural of ['flinkdeployments', 'flinkclusters', 'flinkjobs']) {
      const list = (await crd(admin)
        .listNamespacedCustomObject(ref(ns, plural))
        .catch(() => ({ items: [] }))) as { items: KubernetesObject[] };
      for (const item of list.items) {
        await crd(admin)
          .patchNamespacedCustomObject({
            ...ref(ns, plural),
            name: item.metadata?.name ?? '',
            body: [{ op: 'remove', path: '/metadata/finalizers' }],
          })
          .catch(() => undefined);
      }
    }
  }
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  for (const o of clusterScoped) {
    const name = o.metadata?.name ?? '';
    if (o.kind === 'ClusterRole') await rbac.deleteClusterRole({ name }).catch(() => undefined);
    if (o.kind === 'ClusterRoleBinding') await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
  }
  for (const ns of [sys, watchedA, watchedB, unwatched]) if (ns) await deleteTestNamespace(admin, ns);
  await helm?.dispose();
});

describe('the operator, watching listed namespaces, with its own token', () => {
  let running: RunningOperator | undefined;
  afterAll(async () => {
    await running?.shutdown();
  });

  it('does its whole job: expands a FlinkDeployment, runs its supervisor Deployment, reports, serves the API and cleans up', async () => {
    const kc = asServiceAccount(tokens.operator);
    const apiPort = await freePort();
    running = await startOperatorProcess({
      kubeConfig: kc,
      namespaces: [watchedA, watchedB],
      leaseNamespace: sys,
      identity: 'rbac-test',
      log: createLogger({ name: 'operator', level: 'error' }),
      monitoring: { host: '127.0.0.1', port: await freePort() },
      api: { host: '127.0.0.1', port: apiPort, insecureHttp: true },
    });
    const lease = await waitFor(
      'the Lease in the release namespace',
      async () =>
        admin
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ name: 'flinkvisor-operator', namespace: sys })
          .then((l) => (l.spec?.holderIdentity === 'rbac-test' ? l : undefined))
          .catch(() => undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(lease.spec?.holderIdentity).toBe('rbac-test');

    await crd(admin).createNamespacedCustomObject({
      ...ref(watchedA, 'flinkdeployments'),
      body: flinkDeployment(watchedA, 'proof'),
    });
    const supervisor = await waitFor(
      'the supervisor Deployment',
      () =>
        admin
          .makeApiClient(AppsV1Api)
          .readNamespacedDeployment({ name: 'supervisor-proof', namespace: watchedA })
          .catch(() => undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(supervisor.spec?.template.spec?.serviceAccountName).toBe('flinkvisor-supervisor');
    const children = await waitFor(
      'the FlinkCluster, the FlinkJob and the FlinkDeployment status',
      async () => {
        const [fd, fc, fj] = await Promise.all(
          [
            ['flinkdeployments', 'proof'],
            ['flinkclusters', 'proof'],
            ['flinkjobs', 'proof-a'],
          ].map(([plural, name]) =>
            crd(admin)
              .getNamespacedCustomObject({ ...ref(watchedA, plural ?? ''), name: name ?? '' })
              .catch(() => undefined),
          ),
        );
        const status = (fd as { status?: { resourceStatus?: string } } | undefined)?.status;
        return fc && fj && status?.resourceStatus ? { fd, fc, fj } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect((children.fc as KubernetesObject).metadata?.finalizers).toContain('flinkvisor.io/operator');
    const events = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: watchedA });
    expect(events.items.some((e) => e.reportingComponent === 'flinkvisor-operator')).toBe(true);

    // The control API authenticates (TokenReview) and authorizes (SubjectAccessReview) the caller,
    // then reads with the operator's own rights.
    const answer = await fetch(`http://127.0.0.1:${apiPort}/api/v1/clusters?namespace=${watchedA}`, {
      headers: { authorization: `Bearer ${inject('controlPlane').adminToken}` },
    });
    expect(answer.status).toBe(200);
    expect(JSON.stringify(await answer.json())).toContain('proof');
    const elsewhere = await fetch(`http://127.0.0.1:${apiPort}/api/v1/clusters?namespace=${unwatched}`, {
      headers: { authorization: `Bearer ${inject('controlPlane').adminToken}` },
    });
    expect(elsewhere.status).toBe(404);

    await crd(admin).deleteNamespacedCustomObject({ ...ref(watchedA, 'flinkdeployments'), name: 'proof' });
    await waitFor(
      'the deployment, its cluster, its job and the supervisor Deployment gone',
      async () => {
        const left = await Promise.all([
          crd(admin)
            .getNamespacedCustomObject({ ...ref(watchedA, 'flinkdeployments'), name: 'proof' })
            .catch(() => undefined),
          crd(admin)
            .getNamespacedCustomObject({ ...ref(watchedA, 'flinkclusters'), name: 'proof' })
            .catch(() => undefined),
          crd(admin)
            .getNamespacedCustomObject({ ...ref(watchedA, 'flinkjobs'), name: 'proof-a' })
            .catch(() => undefined),
          admin
            .makeApiClient(AppsV1Api)
            .readNamespacedDeployment({ name: 'supervisor-proof', namespace: watchedA })
            .catch((err: unknown) => (isNotFound(err) ? undefined : err)),
        ]);
        return left.every((x) => x === undefined) ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }, 240_000);

  it('is refused Secrets, Pods, and everything in namespaces it does not watch', async () => {
    const kc = asServiceAccount(tokens.operator);
    const core = kc.makeApiClient(CoreV1Api);
    await expectOutcomes(
      {
        [`list secrets in ${watchedA}`]: () => core.listNamespacedSecret({ namespace: watchedA }),
        [`list secrets in its own namespace`]: () => core.listNamespacedSecret({ namespace: sys }),
        [`get a secret in ${watchedB}`]: () => core.readNamespacedSecret({ name: 'x', namespace: watchedB }),
        'list secrets cluster-wide': () => core.listSecretForAllNamespaces(),
        [`create pods in ${watchedA}`]: () =>
          core.createNamespacedPod({ namespace: watchedA, body: pod('p'), dryRun: DRY_RUN }),
        [`list flinkdeployments in ${unwatched}`]: () =>
          crd(kc).listNamespacedCustomObject(ref(unwatched, 'flinkdeployments')),
        [`create deployments in ${unwatched}`]: () =>
          kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
            namespace: unwatched,
            body: {
              metadata: { name: 'd' },
              spec: {
                selector: { matchLabels: { a: 'b' } },
                template: { metadata: { labels: { a: 'b' } }, spec: pod('p').spec },
              },
            },
            dryRun: DRY_RUN,
          }),
        'list flinkdeployments cluster-wide': () =>
          crd(kc).listClusterCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            plural: 'flinkdeployments',
          }),
        [`update leases in ${watchedA}`]: () =>
          kc.makeApiClient(CoordinationV1Api).createNamespacedLease({
            namespace: watchedA,
            body: { metadata: { name: 'l' } },
            dryRun: DRY_RUN,
          }),
        'read namespaces': () => core.listNamespace(),
      },
      'forbidden',
    );
  });
});

describe('the operator, watching every namespace, with its own token', () => {
  it('reads and writes Flink resources and supervisor Deployments anywhere, but no Secret and no Pod', async () => {
    const kc = asServiceAccount(tokens.operatorAll);
    const core = kc.makeApiClient(CoreV1Api);
    await expectOutcomes(
      {
        'list flinkdeployments cluster-wide': () =>
          crd(kc).listClusterCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            plural: 'flinkdeployments',
          }),
        'watch-list flinkclusters cluster-wide': () =>
          crd(kc).listClusterCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            plural: 'flinkclusters',
          }),
        'list deployments cluster-wide': () => kc.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces(),
        [`create a FlinkDeployment in ${unwatched}`]: () =>
          crd(kc).createNamespacedCustomObject({
            ...ref(unwatched, 'flinkdeployments'),
            body: flinkDeployment(unwatched, 'x'),
            dryRun: DRY_RUN,
          }),
        [`patch flinkjobs/status in ${unwatched}`]: () =>
          crd(kc).patchNamespacedCustomObjectStatus({
            ...ref(unwatched, 'flinkjobs'),
            name: 'missing',
            body: [],
          }),
        'create tokenreviews': () =>
          kc
            .makeApiClient(AuthenticationV1Api)
            .createTokenReview({ body: { spec: { token: 'not-a-token' } } }),
        'create subjectaccessreviews': () =>
          kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
            body: {
              spec: {
                user: 'someone',
                resourceAttributes: { verb: 'get', resource: 'pods', namespace: unwatched },
              },
            },
          }),
        [`create events in ${unwatched}`]: () =>
          core.createNamespacedEvent({
            namespace: unwatched,
            body: {
              metadata: { name: 'e' },
              involvedObject: { name: 'x', namespace: unwatched },
              reason: 'Test',
              message: 'm',
            },
            dryRun: DRY_RUN,
          }),
      },
      'allowed',
    );
    await expectOutcomes(
      {
        'list secrets cluster-wide': () => core.listSecretForAllNamespaces(),
        [`list secrets in ${unwatched}`]: () => core.listNamespacedSecret({ namespace: unwatched }),
        [`create pods in ${unwatched}`]: () =>
          core.createNamespacedPod({ namespace: unwatched, body: pod('p'), dryRun: DRY_RUN }),
        [`create leases in ${unwatched}`]: () =>
          kc.makeApiClient(CoordinationV1Api).createNamespacedLease({
            namespace: unwatched,
            body: { metadata: { name: 'l' } },
            dryRun: DRY_RUN,
          }),
        'list configmaps cluster-wide': () => core.listConfigMapForAllNamespaces(),
      },
      'forbidden',
    );
  });
});

describe('the supervisor, with its own token', () => {
  it('does everything its cluster needs in its namespace', async () => {
    const kc = asServiceAccount(tokens.supervisor);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const leases = kc.makeApiClient(CoordinationV1Api);
    const deployment = flinkDeployment(watchedA, 'sup');
    await crd(admin).createNamespacedCustomObject({
      ...ref(watchedA, 'flinkclusters'),
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: 'FlinkCluster',
        metadata: { name: 'sup' },
        spec: deployment.spec.cluster,
      },
    });
    await crd(admin).createNamespacedCustomObject({
      ...ref(watchedA, 'flinkjobs'),
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: 'FlinkJob',
        metadata: { name: 'sup-a' },
        spec: { ...deployment.spec.jobs[0]?.spec, clusterName: 'sup' },
      },
    });
    await expectOutcomes(
      {
        'list flinkclusters': () => crd(kc).listNamespacedCustomObject(ref(watchedA, 'flinkclusters')),
        'get its flinkcluster': () =>
          crd(kc).getNamespacedCustomObject({ ...ref(watchedA, 'flinkclusters'), name: 'sup' }),
        'list flinkjobs': () => crd(kc).listNamespacedCustomObject(ref(watchedA, 'flinkjobs')),
        'add its finalizer to the flinkcluster': () =>
          crd(kc).patchNamespacedCustomObject({
            ...ref(watchedA, 'flinkclusters'),
            name: 'sup',
            body: [{ op: 'add', path: '/metadata/finalizers', value: ['flinkvisor.io/supervisor'] }],
          }),
        'write flinkclusters/status': () =>
          crd(kc).patchNamespacedCustomObjectStatus({
            ...ref(watchedA, 'flinkclusters'),
            name: 'sup',
            body: [{ op: 'add', path: '/status', value: { supervisorStatus: 'Starting' } }],
          }),
        'write flinkjobs/status': () =>
          crd(kc).patchNamespacedCustomObjectStatus({
            ...ref(watchedA, 'flinkjobs'),
            name: 'sup-a',
            body: [{ op: 'add', path: '/status', value: { supervisorStatus: 'Starting' } }],
          }),
        'scale its flinkcluster': () =>
          crd(kc).patchNamespacedCustomObjectScale({
            ...ref(watchedA, 'flinkclusters'),
            name: 'sup',
            body: [{ op: 'replace', path: '/spec/replicas', value: 1 }],
          }),
        'create a JobManager pod': () =>
          core.createNamespacedPod({ namespace: watchedA, body: pod('jobmanager-sup-1'), dryRun: DRY_RUN }),
        'list pods': () => core.listNamespacedPod({ namespace: watchedA }),
        'delete a pod': () => core.deleteNamespacedPod({ name: 'jobmanager-sup-0', namespace: watchedA }),
        'create the JobManager service': () =>
          core.createNamespacedService({
            namespace: watchedA,
            body: { metadata: { name: 'jobmanager-sup' }, spec: { ports: [{ port: 8081 }] } },
          }),
        'delete a service': () =>
          core.deleteNamespacedService({ name: 'jobmanager-sup', namespace: watchedA }),
        'create a bootstrap job': () =>
          batch.createNamespacedJob({
            namespace: watchedA,
            body: {
              metadata: { name: 'bootstrap-sup-a' },
              spec: { template: { spec: { ...pod('b').spec, restartPolicy: 'Never' } } },
            },
            dryRun: DRY_RUN,
          }),
        'read a bootstrap job': () =>
          batch.readNamespacedJob({ name: 'bootstrap-sup-a', namespace: watchedA }),
        'delete a bootstrap job': () =>
          batch.deleteNamespacedJob({ name: 'bootstrap-sup-a', namespace: watchedA }),
        'record an event': () =>
          core.createNamespacedEvent({
            namespace: watchedA,
            body: {
              metadata: { name: `sup.${suffix}` },
              involvedObject: { name: 'sup', namespace: watchedA },
              reason: 'Test',
              message: 'm',
            },
          }),
        'take its lease': () =>
          leases.createNamespacedLease({
            namespace: watchedA,
            body: { metadata: { name: 'supervisor-sup' }, spec: { holderIdentity: 'me' } },
          }),
        'read its lease': () => leases.readNamespacedLease({ name: 'supervisor-sup', namespace: watchedA }),
        // The savepoint records of its jobs (ADR 0015): created owned by the job, status written,
        // released from the job, deleted once disposed.
        'record a savepoint owned by its job': async () => {
          const job = (await crd(kc).getNamespacedCustomObject({
            ...ref(watchedA, 'flinkjobs'),
            name: 'sup-a',
          })) as { metadata: { uid: string } };
          await crd(kc).createNamespacedCustomObject({
            ...ref(watchedA, 'flinksavepoints'),
            body: {
              apiVersion: `${API_GROUP}/${API_VERSION}`,
              kind: 'FlinkSavepoint',
              metadata: {
                name: 'sup-a-sp-0123456789ab',
                ownerReferences: [
                  {
                    apiVersion: `${API_GROUP}/${API_VERSION}`,
                    kind: 'FlinkJob',
                    name: 'sup-a',
                    uid: job.metadata.uid,
                    controller: true,
                    blockOwnerDeletion: true,
                  },
                ],
              },
              spec: { jobName: 'sup-a', kind: 'periodic', triggerId: '0123456789abcdef0123456789abcdef' },
            },
          });
        },
        'write flinksavepoints/status': () =>
          crd(kc).patchNamespacedCustomObjectStatus({
            ...ref(watchedA, 'flinksavepoints'),
            name: 'sup-a-sp-0123456789ab',
            body: [{ op: 'add', path: '/status', value: { state: 'Completed', path: 's3://b/sp/x' } }],
          }),
        'release a savepoint from its job': () =>
          crd(kc).patchNamespacedCustomObject({
            ...ref(watchedA, 'flinksavepoints'),
            name: 'sup-a-sp-0123456789ab',
            body: [{ op: 'replace', path: '/metadata/ownerReferences', value: [] }],
          }),
        'list flinksavepoints': () => crd(kc).listNamespacedCustomObject(ref(watchedA, 'flinksavepoints')),
        'delete a disposed savepoint': () =>
          crd(kc).deleteNamespacedCustomObject({
            ...ref(watchedA, 'flinksavepoints'),
            name: 'sup-a-sp-0123456789ab',
          }),
        // Flink's HA ConfigMaps of a deleted cluster are removed by the supervisor (ADR 0012).
        'list configmaps in its namespace': () => core.listNamespacedConfigMap({ namespace: watchedA }),
        'renew its lease': async () => {
          const lease = await leases.readNamespacedLease({ name: 'supervisor-sup', namespace: watchedA });
          await leases.replaceNamespacedLease({
            name: 'supervisor-sup',
            namespace: watchedA,
            body: { ...lease, spec: { ...lease.spec, leaseDurationSeconds: 15 } },
          });
        },
      },
      'allowed',
    );
  });

  it('is refused Secrets, and everything outside its namespace', async () => {
    const kc = asServiceAccount(tokens.supervisor);
    const core = kc.makeApiClient(CoreV1Api);
    await expectOutcomes(
      {
        'list secrets in its namespace': () => core.listNamespacedSecret({ namespace: watchedA }),
        'get a secret in its namespace': () => core.readNamespacedSecret({ name: 'x', namespace: watchedA }),
        'create a configmap in its namespace': () =>
          core.createNamespacedConfigMap({
            namespace: watchedA,
            body: { metadata: { name: 'not-the-supervisors' } },
            dryRun: DRY_RUN,
          }),
        'create deployments in its namespace': () =>
          kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
            namespace: watchedA,
            body: {
              metadata: { name: 'd' },
              spec: {
                selector: { matchLabels: { a: 'b' } },
                template: { metadata: { labels: { a: 'b' } }, spec: pod('p').spec },
              },
            },
            dryRun: DRY_RUN,
          }),
        'create flinkdeployments in its namespace': () =>
          crd(kc).createNamespacedCustomObject({
            ...ref(watchedA, 'flinkdeployments'),
            body: flinkDeployment(watchedA, 'x'),
            dryRun: DRY_RUN,
          }),
        [`list pods in ${watchedB} (watched by the operator, not its own)`]: () =>
          core.listNamespacedPod({ namespace: watchedB }),
        [`create pods in ${unwatched}`]: () =>
          core.createNamespacedPod({ namespace: unwatched, body: pod('p'), dryRun: DRY_RUN }),
        [`list flinkclusters in ${unwatched}`]: () =>
          crd(kc).listNamespacedCustomObject(ref(unwatched, 'flinkclusters')),
        'list pods cluster-wide': () => core.listPodForAllNamespaces(),
      },
      'forbidden',
    );
  });
});

describe("the supervisor's NetworkPolicy, applied with its own token", () => {
  it('admits its own pods everywhere, the operator namespace on REST, the scrape namespace on metrics', async () => {
    // A real FlinkCluster as the owner, so the policy stays (the garbage collector runs here).
    const created = await crd(admin).createNamespacedCustomObject({
      ...ref(watchedA, 'flinkclusters'),
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: 'FlinkCluster',
        metadata: { name: 'netpol' },
        spec: {
          runtime: { image: 'flink:1.20' },
          supervisor: { image: 'flinkvisor:0.1.0' },
          metrics: { prometheus: { enabled: true, port: 9249 } },
        },
      },
    });
    const cluster = parseFlinkCluster(created);
    const policy = clusterNetworkPolicy(cluster, { operatorNamespace: sys, scrapeNamespace: 'monitoring' });
    const objects = new OwnedObjects(asServiceAccount(tokens.supervisor), watchedA);
    await objects.applyNetworkPolicy(policy);
    const first = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: 'flink-netpol', namespace: watchedA });
    await objects.applyNetworkPolicy(policy); // a repeat changes nothing
    const stored = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: 'flink-netpol', namespace: watchedA });
    expect(stored.spec?.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/managed-by': 'flinkvisor', 'flinkvisor.io/cluster': 'netpol' },
      matchExpressions: [
        { key: 'flinkvisor.io/role', operator: 'In', values: ['jobmanager', 'taskmanager'] },
      ],
    });
    expect(stored.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(stored.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'FlinkCluster', name: 'netpol', uid: cluster.metadata.uid }),
    ]);
    expect(stored.spec?.policyTypes).toEqual(['Ingress']);
    expect(
      stored.spec?.ingress?.map((rule) => ({
        from: rule._from,
        ports: rule.ports?.map((p) => `${p.protocol}/${p.port}`),
      })),
    ).toEqual([
      {
        from: [
          {
            podSelector: {
              matchLabels: {
                'app.kubernetes.io/managed-by': 'flinkvisor',
                'flinkvisor.io/cluster': 'netpol',
              },
            },
          },
        ],
        ports: undefined,
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': sys } } }],
        ports: ['TCP/8081'],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: ['TCP/9249'],
      },
    ]);
    // Only its own namespace: the same policy elsewhere is refused.
    const elsewhere = new OwnedObjects(asServiceAccount(tokens.supervisor), watchedB);
    expect(
      await outcome(() =>
        elsewhere.applyNetworkPolicy({ ...policy, metadata: { ...policy.metadata, ownerReferences: [] } }),
      ),
    ).toBe('forbidden');
    // It goes with its cluster: the garbage collector follows the owner reference.
    await crd(admin).deleteNamespacedCustomObject({ ...ref(watchedA, 'flinkclusters'), name: 'netpol' });
    await waitFor(
      'the NetworkPolicy removed with its FlinkCluster',
      () =>
        admin
          .makeApiClient(NetworkingV1Api)
          .readNamespacedNetworkPolicy({ name: 'flink-netpol', namespace: watchedA })
          .then(() => undefined)
          .catch((err: unknown) => (isNotFound(err) ? true : undefined)),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
});

describe('the bootstrap, with its own token', () => {
  it('has no Kubernetes rights at all, and its ServiceAccount mounts no token', async () => {
    const kc = asServiceAccount(tokens.bootstrap);
    const core = kc.makeApiClient(CoreV1Api);
    await expectOutcomes(
      {
        'list pods in its namespace': () => core.listNamespacedPod({ namespace: watchedA }),
        'list secrets in its namespace': () => core.listNamespacedSecret({ namespace: watchedA }),
        'list services in its namespace': () => core.listNamespacedService({ namespace: watchedA }),
        'get its flinkjob': () =>
          crd(kc).getNamespacedCustomObject({ ...ref(watchedA, 'flinkjobs'), name: 'sup-a' }),
        'create pods': () =>
          core.createNamespacedPod({ namespace: watchedA, body: pod('p'), dryRun: DRY_RUN }),
        'record an event': () =>
          core.createNamespacedEvent({
            namespace: watchedA,
            body: { metadata: { name: 'e' }, involvedObject: { name: 'x' }, reason: 'Test', message: 'm' },
            dryRun: DRY_RUN,
          }),
        'take a lease': () =>
          kc.makeApiClient(CoordinationV1Api).createNamespacedLease({
            namespace: watchedA,
            body: { metadata: { name: 'l' } },
            dryRun: DRY_RUN,
          }),
      },
      'forbidden',
    );
    // What the API server says it may do: only the self-reviews every authenticated caller has.
    const rules = await kc
      .makeApiClient(AuthorizationV1Api)
      .createSelfSubjectRulesReview({ body: { spec: { namespace: watchedA } } });
    const resources = (rules.status?.resourceRules ?? []).flatMap((r) => r.resources ?? []);
    expect(resources.filter((r) => !r.startsWith('selfsubject'))).toEqual([]);
    const account = await admin
      .makeApiClient(CoreV1Api)
      .readNamespacedServiceAccount({ name: 'flinkvisor-bootstrap', namespace: watchedA });
    expect(account.automountServiceAccountToken).toBe(false);
    const bindings = await admin
      .makeApiClient(RbacAuthorizationV1Api)
      .listNamespacedRoleBinding({ namespace: watchedA });
    expect(bindings.items.filter((b) => b.subjects?.some((s) => s.name === 'flinkvisor-bootstrap'))).toEqual(
      [],
    );
  });
});

describe('namespaces the operator does not watch', () => {
  it('get no binding and no ServiceAccount from the chart', async () => {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    expect((await rbac.listNamespacedRoleBinding({ namespace: unwatched })).items).toEqual([]);
    const accounts = await admin
      .makeApiClient(CoreV1Api)
      .listNamespacedServiceAccount({ namespace: unwatched });
    expect(accounts.items.map((a) => a.metadata?.name)).toEqual(['default']);
  });
});

/**
 * What every authenticated caller may do (the built-in `system:basic-user` role): ask the API
 * server what it itself may do. Part of every table below.
 */
const EVERY_CALLER: CanIList = {
  'selfsubjectaccessreviews.authorization.k8s.io': 'create',
  'selfsubjectreviews.authentication.k8s.io': 'create',
  'selfsubjectrulesreviews.authorization.k8s.io': 'create',
};

/** The control API's cluster-wide reviews (a ClusterRole whatever namespaces are watched). */
const CONTROL_API_REVIEWS: CanIList = {
  'subjectaccessreviews.authorization.k8s.io': 'create',
  'tokenreviews.authentication.k8s.io': 'create',
};

/** The operator in a namespace it serves: Flink resources, supervisor Deployments, Events. */
const OPERATOR_IN_SERVED_NAMESPACE: CanIList = {
  'deployments.apps': 'create delete list patch watch',
  events: 'create patch',
  'flinkclusters.flinkvisor.io': 'create delete get list patch update watch',
  'flinkclusters.flinkvisor.io/scale': 'get patch update',
  'flinkclusters.flinkvisor.io/status': 'get patch update',
  'flinkdeployments.flinkvisor.io': 'create delete get list patch update watch',
  'flinkdeployments.flinkvisor.io/status': 'get patch update',
  'flinkjobs.flinkvisor.io': 'create delete get list patch update watch',
  'flinkjobs.flinkvisor.io/scale': 'get patch update',
  'flinkjobs.flinkvisor.io/status': 'get patch update',
  // The control API lists and changes savepoint records for its callers (ADR 0015).
  'flinksavepoints.flinkvisor.io': 'create delete get list patch',
};

/** The supervisor in its own namespace (SUPERVISOR_RULES). */
const SUPERVISOR_IN_ITS_NAMESPACE: CanIList = {
  configmaps: 'delete get list',
  events: 'create patch',
  'flinkclusters.flinkvisor.io': 'get list patch update watch',
  'flinkclusters.flinkvisor.io/scale': 'get patch update',
  'flinkclusters.flinkvisor.io/status': 'get patch update',
  'flinkjobs.flinkvisor.io': 'get list patch update watch',
  'flinkjobs.flinkvisor.io/scale': 'get patch update',
  'flinkjobs.flinkvisor.io/status': 'get patch update',
  'flinksavepoints.flinkvisor.io': 'create delete get list patch update watch',
  'flinksavepoints.flinkvisor.io/status': 'get patch update',
  'jobs.batch': 'create delete get list watch',
  'leases.coordination.k8s.io': 'create get update',
  'networkpolicies.networking.k8s.io': 'create patch',
  // Its Flink pods' disruption budgets (ADR 0021): kept in step from its watch cache, never read one by one.
  'poddisruptionbudgets.policy': 'create delete list update watch',
  pods: 'create delete get list watch',
  services: 'create delete get list watch',
};

const sorted = (table: CanIList): CanIList =>
  Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));

describe('what each ServiceAccount may do, as the API server lists it (kubectl auth can-i --list)', () => {
  let kubectl: string;
  beforeAll(async () => {
    kubectl = (await devenvAssets()).kubernetes.paths.kubectl;
  }, 300_000);

  const list = (namespace: string, name: string, where: string) =>
    canIList(kubectl, inject('controlPlane').kubeconfigPath, { namespace, name }, where);

  it('the operator watching listed namespaces: its rules there, its Lease at home, the reviews everywhere', async () => {
    const tables = {
      [watchedA]: await list(sys, operatorSa, watchedA),
      [watchedB]: await list(sys, operatorSa, watchedB),
      [sys]: await list(sys, operatorSa, sys),
      [unwatched]: await list(sys, operatorSa, unwatched),
    };
    const served = sorted({ ...EVERY_CALLER, ...CONTROL_API_REVIEWS, ...OPERATOR_IN_SERVED_NAMESPACE });
    expect(tables).toEqual({
      [watchedA]: served,
      [watchedB]: served,
      [sys]: sorted({
        ...EVERY_CALLER,
        ...CONTROL_API_REVIEWS,
        'leases.coordination.k8s.io': 'create get update',
      }),
      [unwatched]: sorted({ ...EVERY_CALLER, ...CONTROL_API_REVIEWS }),
    });
  });

  it('the operator watching every namespace: the same rules in any namespace', async () => {
    expect(await list(sys, operatorAllSa, unwatched)).toEqual(
      sorted({ ...EVERY_CALLER, ...CONTROL_API_REVIEWS, ...OPERATOR_IN_SERVED_NAMESPACE }),
    );
  });

  it('the supervisor: its rules in its own namespace, nothing elsewhere', async () => {
    expect(await list(watchedA, 'flinkvisor-supervisor', watchedA)).toEqual(
      sorted({ ...EVERY_CALLER, ...SUPERVISOR_IN_ITS_NAMESPACE }),
    );
    expect(await list(watchedA, 'flinkvisor-supervisor', unwatched)).toEqual(sorted(EVERY_CALLER));
    expect(await list(watchedA, 'flinkvisor-supervisor', watchedB)).toEqual(sorted(EVERY_CALLER));
  });

  it('the bootstrap: nothing but the self-reviews', async () => {
    expect(await list(watchedA, 'flinkvisor-bootstrap', watchedA)).toEqual(sorted(EVERY_CALLER));
  });
});
