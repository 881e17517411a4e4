// The charts' rendered manifests, for several value sets, through `helm lint --strict` (the values
// against values.schema.json) and then the real API server's server-side dry run (`kubectl apply
// --server-side --dry-run=server`): schema, defaulting, the CRDs' OpenAPI and CEL validation, and
// admission, without changing anything. The jobs chart's value sets include the chart's HA example
// and the values of the Argo CD Application example (deploy/argocd/application-jobs.yaml).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { CommandFailedError, runCommand } from '../../src/devenv/run-command.ts';
import { JOBS_CHART_DIRECTORY, OPERATOR_CHART_DIRECTORY } from '../../src/install/chart-files.ts';
import type { Helm } from '../../src/install/helm-cli.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';
import { chartHelm } from '../unit/install/chart-helm.ts';
import { JOBS_CHART_HA_S3_VALUES_FILE } from '../support/examples.ts';

const ARGOCD_APPLICATION_FILE = new URL('../../deploy/argocd/application-jobs.yaml', import.meta.url);

const admin = adminKubeConfig();
let helm: Helm;
let kubectlPath: string;
let dir: string;
let sys: string;
let teamA: string;
let teamB: string;

/** Server-side dry run of a manifest stream; resolves with kubectl's report, one line per object. */
function dryRun(manifests: string): Promise<string[]> {
  return serverSideApply(manifests, { dryRun: true });
}

/** `kubectl apply --server-side` of a manifest stream (a dry run unless told otherwise). */
async function serverSideApply(manifests: string, o: { dryRun: boolean }): Promise<string[]> {
  const file = join(dir, `manifests-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, manifests);
  try {
    const { stdout } = await runCommand(
      kubectlPath,
      [
        '--kubeconfig',
        inject('controlPlane').kubeconfigPath,
        'apply',
        '--server-side',
        '--force-conflicts',
        '--field-manager=helm-dry-run-test',
        ...(o.dryRun ? ['--dry-run=server'] : []),
        '-f',
        file,
      ],
      { timeoutMs: 120_000 },
    );
    return stdout.trim().split('\n');
  } catch (err) {
    if (err instanceof CommandFailedError)
      throw new Error(`server-side apply refused:\n${err.outputTail}`, { cause: err });
    throw err;
  }
}

function objectCount(manifests: string): number {
  return manifests.split(/^---$/m).filter((doc) => /^kind: /m.test(doc)).length;
}

beforeAll(async () => {
  helm = await chartHelm();
  kubectlPath = (await devenvAssets()).kubernetes.paths.kubectl;
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-dry-run-'));
  await installCrds(admin, crdManifests());
  sys = await createTestNamespace(admin, 'dry-sys');
  teamA = await createTestNamespace(admin, 'dry-a');
  teamB = await createTestNamespace(admin, 'dry-b');
}, 300_000);

afterAll(async () => {
  for (const ns of [sys, teamA, teamB]) if (ns) await deleteTestNamespace(admin, ns);
  if (dir) await rm(dir, { recursive: true, force: true });
  await helm?.dispose();
});

describe('the flinkvisor chart', () => {
  const valueSets: Record<string, () => object> = {
    'every namespace, plain HTTP API, CRDs included': () => ({ api: { insecureHttp: true } }),
    'listed namespaces, mutual TLS, supervisor namespaces': () => ({
      watchNamespaces: [teamA, teamB],
      supervisor: { namespaces: [sys] },
      api: { tls: { secretName: 'api-tls', clientCa: true, requireClientCertificate: true } },
      service: { type: 'NodePort' },
    }),
    'network policies, listed namespaces, API peers': () => ({
      watchNamespaces: [teamA],
      api: { insecureHttp: true },
      networkPolicy: {
        enabled: true,
        scrapeNamespace: 'monitoring',
        apiFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': teamA } } }],
      },
    }),
    'one replica, no API, no aggregated roles, an existing ServiceAccount': () => ({
      api: { port: 0 },
      operator: { replicaCount: 1, logLevel: 'debug', supervisorArgs: ['--allow-private-networks'] },
      rbac: { aggregateToDefaultRoles: false },
      serviceAccount: { create: false, name: 'default' },
      image: { repository: 'registry.example.com/flinkvisor', tag: '0.1.0-rc1', pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'registry' }],
    }),
  };

  for (const [name, values] of Object.entries(valueSets)) {
    it(`passes helm lint and the server-side dry run: ${name}`, async () => {
      expect(await helm.lint(OPERATOR_CHART_DIRECTORY, [values()])).toContain('0 chart(s) failed');
      const manifests = await helm.template({
        release: `dry-${Object.keys(valueSets).indexOf(name)}`,
        chart: OPERATOR_CHART_DIRECTORY,
        namespace: sys,
        values: [values()],
        includeCrds: name.includes('CRDs'),
      });
      const report = await dryRun(manifests);
      expect(report).toHaveLength(objectCount(manifests));
      for (const line of report) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
      expect(report.some((l) => l.startsWith('deployment.apps/'))).toBe(true);
      if (name.includes('CRDs')) {
        expect(report).toContain(
          'customresourcedefinition.apiextensions.k8s.io/flinkdeployments.flinkvisor.io serverside-applied (server dry run)',
        );
      }
    });
  }
});

describe("the flinkvisor chart's NetworkPolicy, applied", () => {
  it('selects the operator pods and admits the API from its peers and the monitoring port from the scrape namespace; the supervisors are told to render theirs', async () => {
    const manifests = await helm.template({
      release: 'netpol',
      chart: OPERATOR_CHART_DIRECTORY,
      namespace: sys,
      values: [
        {
          watchNamespaces: [teamA],
          api: { insecureHttp: true, port: 4444 },
          monitoring: { port: 8080 },
          networkPolicy: {
            enabled: true,
            scrapeNamespace: 'monitoring',
            apiFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': teamA } } }],
          },
        },
      ],
    });
    const policies = manifests.split(/^---$/m).filter((doc) => /^kind: NetworkPolicy$/m.test(doc));
    expect(policies).toHaveLength(1);
    expect(await serverSideApply(policies.join('\n---\n'), { dryRun: false })).toEqual([
      'networkpolicy.networking.k8s.io/netpol-flinkvisor-operator serverside-applied',
    ]);
    const stored = await admin
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: 'netpol-flinkvisor-operator', namespace: sys });
    expect(stored.spec?.podSelector?.matchLabels).toEqual({
      'app.kubernetes.io/name': 'flinkvisor',
      'app.kubernetes.io/instance': 'netpol',
      'app.kubernetes.io/component': 'operator',
    });
    expect(stored.spec?.policyTypes).toEqual(['Ingress']);
    expect(
      stored.spec?.ingress?.map((rule) => ({
        from: rule._from?.map((peer) => peer.namespaceSelector?.matchLabels),
        ports: rule.ports?.map((p) => `${p.protocol}/${p.port}`),
      })),
    ).toEqual([
      { from: [{ 'kubernetes.io/metadata.name': teamA }], ports: ['TCP/4444'] },
      { from: [{ 'kubernetes.io/metadata.name': 'monitoring' }], ports: ['TCP/8080'] },
    ]);
    expect(manifests).toContain(`--supervisor-arg=--network-policy\n`);
    expect(manifests).toContain(`--supervisor-arg=--network-policy-operator-namespace=${sys}`);
    expect(manifests).toContain('--supervisor-arg=--network-policy-scrape-namespace=monitoring');
  });
});

describe('the flinkvisor-jobs chart', () => {
  const jar = '/opt/flinkvisor/examples/1.20/TopSpeedWindowing.jar';
  const valueSets: Record<string, object> = {
    'the demo on file storage': {
      storage: { scheme: 'file', baseDir: '/tmp/flinkvisor-demo/state' },
      cluster: { taskSlots: 2, supervisor: { pollingInterval: 2, taskTimeout: 60 } },
      jobs: [
        { name: 'cars', jarPath: jar, savepoint: { interval: 30 }, restart: { policy: 'Always', delay: 10 } },
        { name: 'trucks', jarPath: jar, savepoint: { interval: 30 }, restart: { policy: 'OnlyIfFailed' } },
      ],
    },
    'S3 with credentials from a Secret, HA, two clusters, its own ServiceAccounts': {
      storage: {
        scheme: 's3',
        baseDir: 'flink-state/prod',
        s3: {
          endpoint: 'http://minio.storage:9000',
          pathStyleAccess: true,
          plugin: 'flink-s3-fs-hadoop-1.20.1.jar',
          credentials: { secretName: 's3-credentials' },
        },
      },
      serviceAccounts: { create: true },
      cluster: {
        jobManager: { replicas: 2, resources: { limits: { memory: '2Gi' } } },
        flinkConfiguration: { 'state.backend.type': 'rocksdb', 'execution.checkpointing.interval': '30s' },
        spec: { maxTaskManagers: 8 },
      },
      clusters: { analytics: { taskManagers: 2, taskSlots: 4 } },
      jobs: [
        {
          name: 'load',
          cluster: 'analytics',
          jarURI: 'https://artifacts.example.com/load.jar',
          arguments: ['--rate', 100],
        },
        {
          name: 'cars',
          jarPath: jar,
          parallelism: 2,
          spec: { maxJobParallelism: 4, savepoint: { savepointOnDelete: true } },
        },
      ],
    },
    'manual savepoints, no storage, metrics off': {
      metrics: { prometheus: { enabled: false } },
      images: { flink: 'flink:2.3.0-java21', pullSecret: 'registry' },
      jobs: [
        { name: 'wc', jarPath: '/opt/flinkvisor/examples/2.3/WordCount.jar', savepoint: { mode: 'Manual' } },
      ],
    },
  };

  const fileValueSets: Record<string, () => Promise<object>> = {
    "the chart's HA example (examples/ha-s3.yaml)": async () =>
      parse(await readFile(JOBS_CHART_HA_S3_VALUES_FILE, 'utf8')) as object,
    'the Argo CD Application example (deploy/argocd/application-jobs.yaml)': async () => {
      const application = parse(await readFile(ARGOCD_APPLICATION_FILE, 'utf8')) as {
        spec: { source: { path: string; helm: { valuesObject: object } } };
      };
      expect(application.spec.source.path).toBe('deploy/helm/flinkvisor-jobs');
      return application.spec.source.helm.valuesObject;
    },
  };
  const allValueSets: Record<string, () => Promise<object>> = {
    ...Object.fromEntries(Object.entries(valueSets).map(([name, v]) => [name, async () => v])),
    ...fileValueSets,
  };

  for (const [name, load] of Object.entries(allValueSets)) {
    it(`passes helm lint and the server-side dry run, CRD validation included: ${name}`, async () => {
      const values = await load();
      expect(await helm.lint(JOBS_CHART_DIRECTORY, [values])).toContain('0 chart(s) failed');
      const manifests = await helm.template({
        release: 'jobs',
        chart: JOBS_CHART_DIRECTORY,
        namespace: teamA,
        values: [values],
      });
      const report = await dryRun(manifests);
      expect(report).toHaveLength(objectCount(manifests));
      expect(report.filter((l) => l.startsWith('flinkdeployment.flinkvisor.io/')).length).toBeGreaterThan(0);
      for (const line of report) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
    });
  }

  it('is checked by the API server too: a value the chart passes through unchecked is refused by the CRD', async () => {
    const manifests = await helm.template({
      release: 'jobs',
      chart: JOBS_CHART_DIRECTORY,
      namespace: teamA,
      values: [
        {
          storage: { scheme: 'file', baseDir: '/data' },
          cluster: { flinkConfiguration: { 's3.secret-key': 'do-not-put-me-here' } },
          jobs: [{ name: 'a', jarPath: jar }],
        },
      ],
    });
    await expect(dryRun(manifests)).rejects.toThrow(
      /credentials must not be written into flinkConfiguration/,
    );
  });
});
