// The chart, installed the way users install it: `helm install` into a fresh local environment
// (real control plane, our node agent). The CRDs come from the chart's crds/, the operator runs as
// the two pods of the chart's Deployment with the chart's ServiceAccount, and the demo
// FlinkDeployment (deploy/examples) runs both its jobs to RUNNING with a savepoint each, its
// supervisor and bootstrap pods running as the ServiceAccounts the chart created.
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEMO_DEPLOYMENT_FILE } from '../../src/demo/demo.ts';
import { localizeDemoStorage, type DemoStorageSpec } from '../../src/demo/demo-storage.ts';
import { startLocalEnvironment, type LocalEnvironment } from '../../src/devenv/local-environment.ts';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { runCommand } from '../../src/devenv/run-command.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { OPERATOR_CHART_DIRECTORY } from '../../src/install/chart-files.ts';
import { Helm } from '../../src/install/helm-cli.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { JOBS, readResource, waitForStatus } from '../support/flinkvisor-e2e.ts';

const SYSTEM = 'flinkvisor-system';
const OPERATOR = 'flinkvisor-operator';

interface DemoDocument {
  metadata: { name: string; namespace: string };
  spec: {
    cluster: { storage: DemoStorageSpec };
    jobs: { name: string; spec: { bootstrap: Record<string, unknown> } }[];
  };
}

let env: LocalEnvironment;
let kc: KubeConfig;
let helm: Helm;
let demo: DemoDocument;
let installOutput: string;
const core = () => kc.makeApiClient(CoreV1Api);

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await runCommand(
    env.assets.kubernetes.paths.kubectl,
    ['--kubeconfig', env.controlPlane.kubeconfigPath, ...args],
    { timeoutMs: 60_000 },
  );
  return stdout;
}

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

beforeAll(async () => {
  env = await startLocalEnvironment({
    cacheDir: defaultCacheDir(process.env),
    env: process.env,
    progress: consoleProgress((l) => process.stderr.write(`${l}\n`)),
  });
  kc = loadKubeConfig(env.controlPlane.kubeconfigPath);
  helm = new Helm({
    helmPath: env.assets.helm.path,
    kubeconfig: env.controlPlane.kubeconfigPath,
    env: process.env,
    timeoutMs: 360_000,
  });
  demo = parse(await readFile(DEMO_DEPLOYMENT_FILE, 'utf8')) as DemoDocument;
  // Namespaces are the user's: the chart binds into them but never creates (or deletes) them.
  await core().createNamespace({ body: { metadata: { name: demo.metadata.namespace } } });
}, 600_000);

afterAll(async () => {
  await helm?.dispose();
  await env?.stop();
});

describe('helm install of the flinkvisor chart', () => {
  it('installs the CRDs and the operator, which runs as two Ready pods with the chart ServiceAccount', async () => {
    installOutput = await helm.install({
      release: 'flinkvisor',
      chart: OPERATOR_CHART_DIRECTORY,
      namespace: SYSTEM,
      values: [{ watchNamespaces: [demo.metadata.namespace], api: { insecureHttp: true } }],
      args: ['--create-namespace', '--wait', '--timeout', '5m'],
    });
    expect(installOutput).toMatch(/STATUS: deployed/);
    expect(installOutput).toContain(`Watching: ${demo.metadata.namespace}`);
    const crds = await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    expect(
      crds.items
        .map((c) => c.metadata?.name)
        .filter((n) => n?.endsWith('.flinkvisor.io'))
        .sort(),
    ).toEqual(['flinkclusters.flinkvisor.io', 'flinkdeployments.flinkvisor.io', 'flinkjobs.flinkvisor.io']);
    const pods = (
      await core().listNamespacedPod({
        namespace: SYSTEM,
        labelSelector: 'app.kubernetes.io/component=operator',
      })
    ).items;
    expect(pods).toHaveLength(2);
    expect(pods.every(isReady)).toBe(true);
    expect(pods.every((p) => p.spec?.serviceAccountName === OPERATOR)).toBe(true);
    expect(pods[0]?.spec?.containers[0]?.args).toContain(`--namespaces=${demo.metadata.namespace}`);
    const lease = await waitFor(
      'an operator leader',
      () =>
        kc
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ name: OPERATOR, namespace: SYSTEM })
          .then((l) => (l.spec?.holderIdentity ? l : undefined))
          .catch(() => undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The holder identity is the pod name, possibly with a per-process suffix (`<pod>_<id>`).
    const holder = lease.spec?.holderIdentity ?? '';
    const leader = pods.find((p) => holder === p.metadata?.name || holder.startsWith(`${p.metadata?.name}_`));
    expect(
      leader,
      `Lease holder ${lease.spec?.holderIdentity} among ${pods.map((p) => p.metadata?.name).join(', ')}`,
    ).toBeDefined();
    const metrics = await (await fetch(`http://${leader?.status?.podIP}:8080/metrics`)).text();
    expect(metrics).toMatch(/flinkvisor_operator_leader 1/);
    expect(await kubectl('get', 'serviceaccounts', '-n', demo.metadata.namespace, '-o', 'name')).toMatch(
      /serviceaccount\/flinkvisor-supervisor\n.*serviceaccount\/flinkvisor-bootstrap|serviceaccount\/flinkvisor-bootstrap\n.*serviceaccount\/flinkvisor-supervisor/s,
    );
  }, 420_000);

  it('runs the demo: both jobs RUNNING and savepointed, supervisor and bootstrap under their own ServiceAccounts', async () => {
    const ns = demo.metadata.namespace;
    // The example as it is, pointed at this environment's object store with the credentials
    // Secret it names, and the bootstraps on the chart's bootstrap account.
    await applyObjects(kc, localizeDemoStorage(demo.spec.cluster.storage, ns, env.objectStore));
    for (const job of demo.spec.jobs) job.spec.bootstrap['serviceAccount'] = 'flinkvisor-bootstrap';
    const file = join(env.dir, 'demo.yaml');
    await writeFile(file, stringify(demo));
    expect(await kubectl('apply', '-f', file)).toContain(
      `flinkdeployment.flinkvisor.io/${demo.metadata.name} created`,
    );

    const jobs = demo.spec.jobs.map((j) => `${demo.metadata.name}-${j.name}`);
    for (const job of jobs) {
      await waitForStatus(kc, JOBS, ns, job, 'RUNNING', (s) => s['jobStatus'] === 'RUNNING', 300_000);
    }
    for (const job of jobs) {
      await waitForStatus(
        kc,
        JOBS,
        ns,
        job,
        'a savepoint',
        (s) => String(s['savepointPath'] ?? '') !== '',
        180_000,
      );
      const status = (await readResource(kc, JOBS, ns, job))?.status ?? {};
      const path = String(status['savepointPath']);
      expect(path).toContain(
        `s3://${demo.spec.cluster.storage.baseDir}/savepoints/${ns}/${demo.metadata.name}/${job}/`,
      );
      // Written to the bucket, as the S3 API lists it.
      const prefix = `${path.replace(`s3://${env.objectStore.bucket}/`, '')}/`;
      const keys = (await env.objectStore.client.listObjects(env.objectStore.bucket, prefix)).map(
        (o) => o.key,
      );
      expect(keys).toContain(`${prefix}_metadata`);
    }

    const pods = (await core().listNamespacedPod({ namespace: ns })).items;
    const byRole = (role: string) => pods.filter((p) => p.metadata?.labels?.['flinkvisor.io/role'] === role);
    const supervisors = byRole('supervisor');
    expect(supervisors.length).toBeGreaterThan(0);
    for (const p of supervisors) {
      expect(p.spec?.serviceAccountName).toBe('flinkvisor-supervisor');
      // The ServiceAccount admission plugin mounted its API token.
      expect(p.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-'))).toBe(true);
    }
    const bootstraps = byRole('bootstrap');
    expect(bootstraps.length).toBeGreaterThanOrEqual(jobs.length);
    for (const p of bootstraps) {
      expect(p.spec?.serviceAccountName).toBe('flinkvisor-bootstrap');
      // automountServiceAccountToken: false on the ServiceAccount: no token volume at all.
      expect(p.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-')) ?? false).toBe(false);
    }
    expect(bootstraps.some((p) => p.status?.phase === 'Succeeded')).toBe(true);
    process.stderr.write(`${await kubectl('get', 'fd,fc,fj,pods', '-n', ns)}\n`);
  }, 600_000);
});
