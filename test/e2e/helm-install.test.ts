// The chart, installed the way users install it: `helm install` into a fresh local environment
// (real control plane, our node agent). The CRDs come from the chart's crds/, the operator runs as
// the two pods of the chart's Deployment with the chart's ServiceAccount, and the demo
// FlinkDeployment (deploy/examples) runs both its jobs to RUNNING with a savepoint each, its
// supervisor and bootstrap pods running as the ServiceAccounts the chart created. Then, one cluster at
// a time (a 2-core machine runs few JVMs at once): the flinkvisor-jobs chart installed with its
// README's HA + S3 values (two JobManagers with Flink's Kubernetes HA, state and HA metadata on the
// S3 server, three jobs), and the Flink Kubernetes Toolbox's demo applied with kubectl, its Flink
// settings in ConfigMaps reached through environmentFrom and read back from the running JobManager
// and TaskManagers.
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
import { parse, parseAllDocuments, stringify } from 'yaml';
import { FLINK_DEPLOYMENT } from '../../src/api/names.ts';
import { DEMO_DEPLOYMENT_FILE } from '../../src/demo/demo.ts';
import { localizeDemoStorage, type DemoStorageSpec } from '../../src/demo/demo-storage.ts';
import { startLocalEnvironment, type LocalEnvironment } from '../../src/devenv/local-environment.ts';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { runCommand } from '../../src/devenv/run-command.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { JOBS_CHART_DIRECTORY, OPERATOR_CHART_DIRECTORY } from '../../src/install/chart-files.ts';
import { Helm } from '../../src/install/helm-cli.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { parseFlinkProperties } from '../../src/node-agent/flink-entrypoint.ts';
import { JOBS_CHART_HA_S3_VALUES_FILE, TOOLBOX_DEMO_FILE } from '../support/examples.ts';
import {
  CLUSTERS,
  JOBS,
  clusterPods,
  flinkJson,
  readResource,
  waitForClusterRemoved,
  waitForStatus,
} from '../support/flinkvisor-e2e.ts';

const SYSTEM = 'flinkvisor-system';
const OPERATOR = 'flinkvisor-operator';
/** Where the jobs chart release and the toolbox demo run, as in their READMEs. */
const JOBS_NS = 'flink-jobs';
const RELEASE = 'streaming';

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

/** The part of the jobs chart's values the test reads back. */
interface JobsChartValues {
  storage: { scheme: string; baseDir: string; s3: { credentials: { secretName: string } } };
  cluster: { taskSlots: number; jobManager: { replicas: number } };
  jobs: { name: string }[];
}

type ConfigEntries = { key: string; value: string }[];

/** A Flink memory size (`600mb`, `2200mb`, `1g`) in bytes; Flink's units are powers of 1024. */
function bytes(size: string): number {
  const m = /^(\d+)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(size.trim());
  if (!m) throw new Error(`not a memory size: ${size}`);
  const unit = (m[2] ?? 'b').toLowerCase()[0] ?? 'b';
  return Number(m[1]) * 1024 ** 'bkmg'.indexOf(unit);
}

/** The configuration a JobManager reports over REST, once it answers. */
async function jobManagerConfig(ip: string): Promise<Record<string, string>> {
  const entries = await waitFor(
    `the configuration of the JobManager at ${ip}`,
    () => flinkJson<ConfigEntries>(`http://${ip}:8081/jobmanager/config`).catch(() => undefined),
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

/**
 * Deletes a FlinkDeployment and waits until its Flink cluster is stopped and its JobManager and
 * TaskManager pods are gone from the API server, terminating ones too: their JVMs free the cores.
 */
async function removeDeployment(namespace: string, name: string): Promise<number> {
  const started = Date.now();
  await kubectl('delete', FLINK_DEPLOYMENT.plural, name, '-n', namespace, '--wait=false');
  await waitForClusterRemoved(kc, namespace, name);
  await waitFor(
    `no JobManager or TaskManager pod of ${name} left`,
    async () => {
      const pods = await core().listNamespacedPod({
        namespace,
        labelSelector: `flinkvisor.io/cluster=${name},flinkvisor.io/role in (jobmanager,taskmanager)`,
      });
      return pods.items.length === 0 ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  return Date.now() - started;
}

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
  await core().createNamespace({ body: { metadata: { name: JOBS_NS } } });
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
      values: [{ watchNamespaces: [demo.metadata.namespace, JOBS_NS], api: { insecureHttp: true } }],
      args: ['--create-namespace', '--wait', '--timeout', '5m'],
    });
    expect(installOutput).toMatch(/STATUS: deployed/);
    expect(installOutput).toContain(`Watching: ${demo.metadata.namespace}, ${JOBS_NS}`);
    const crds = await kc.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    expect(
      crds.items
        .map((c) => c.metadata?.name)
        .filter((n) => n?.endsWith('.flinkvisor.io'))
        .sort(),
    ).toEqual([
      'flinkclusters.flinkvisor.io',
      'flinkdeployments.flinkvisor.io',
      'flinkjobs.flinkvisor.io',
      'flinksavepoints.flinkvisor.io',
    ]);
    const pods = (
      await core().listNamespacedPod({
        namespace: SYSTEM,
        labelSelector: 'app.kubernetes.io/component=operator',
      })
    ).items;
    expect(pods).toHaveLength(2);
    expect(pods.every(isReady)).toBe(true);
    expect(pods.every((p) => p.spec?.serviceAccountName === OPERATOR)).toBe(true);
    expect(pods[0]?.spec?.containers[0]?.args).toContain(
      `--namespaces=${demo.metadata.namespace},${JOBS_NS}`,
    );
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
    for (const ns of [demo.metadata.namespace, JOBS_NS]) {
      const accounts = (await kubectl('get', 'serviceaccounts', '-n', ns, '-o', 'name')).split('\n');
      expect(accounts).toEqual(
        expect.arrayContaining([
          'serviceaccount/flinkvisor-supervisor',
          'serviceaccount/flinkvisor-bootstrap',
        ]),
      );
    }
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

  it('installs the jobs chart with HA and S3: two JobManagers under Kubernetes HA, three jobs RUNNING', async () => {
    // One cluster at a time: the demo's JobManager and TaskManager go first.
    const demoRemovedMs = await removeDeployment(demo.metadata.namespace, demo.metadata.name);
    const values = parse(await readFile(JOBS_CHART_HA_S3_VALUES_FILE, 'utf8')) as JobsChartValues;
    // As the README says: the credentials Secret first, and the endpoint of this environment's S3 server.
    const storage: DemoStorageSpec = {
      scheme: values.storage.scheme,
      baseDir: values.storage.baseDir,
      s3: { credentialsSecret: { name: values.storage.s3.credentials.secretName } },
    };
    await applyObjects(kc, localizeDemoStorage(storage, JOBS_NS, env.objectStore));
    const installed = Date.now();
    const output = await helm.install({
      release: RELEASE,
      chart: JOBS_CHART_DIRECTORY,
      namespace: JOBS_NS,
      values: [values, { storage: { s3: { endpoint: storage.s3?.endpoint } } }],
    });
    expect(output).toMatch(/STATUS: deployed/);

    // The FlinkDeployment of the release, and what the operator made of it.
    expect((await readResource(kc, FLINK_DEPLOYMENT.plural, JOBS_NS, RELEASE))?.metadata['name']).toBe(
      RELEASE,
    );
    const jobs = values.jobs.map((j) => `${RELEASE}-${j.name}`);
    for (const job of jobs) {
      await waitForStatus(kc, JOBS, JOBS_NS, job, 'RUNNING', (st) => st['jobStatus'] === 'RUNNING', 300_000);
    }
    const runningMs = Date.now() - installed;
    const cluster = await readResource(kc, CLUSTERS, JOBS_NS, RELEASE);
    expect((cluster?.spec['jobManager'] as { replicas?: number } | undefined)?.replicas).toBe(
      values.cluster.jobManager.replicas,
    );

    // Two JobManager pods run, both as the chart's HA ServiceAccount; the supervisor sees who leads.
    const jobManagers = await clusterPods(kc, JOBS_NS, RELEASE, 'jobmanager');
    expect(jobManagers).toHaveLength(values.cluster.jobManager.replicas);
    for (const p of jobManagers) {
      expect(p.status?.phase).toBe('Running');
      expect(p.spec?.serviceAccountName).toBe(`${RELEASE}-flink-ha`);
    }
    const names = jobManagers.map((p) => p.metadata?.name);
    await waitForStatus(kc, CLUSTERS, JOBS_NS, RELEASE, 'a JobManager leader', (st) =>
      names.includes(String(st['jobManagerLeader'] ?? '')),
    );

    // Flink runs with Kubernetes HA, its metadata on S3 under the storage helper's ha/ directory.
    const haDir = `${values.storage.scheme}://${values.storage.baseDir}/ha/${JOBS_NS}/${RELEASE}`;
    for (const p of jobManagers) {
      const config = await jobManagerConfig(p.status?.podIP ?? '');
      expect(config).toMatchObject({
        'high-availability.type': 'kubernetes',
        'kubernetes.cluster-id': RELEASE,
        'kubernetes.namespace': JOBS_NS,
        'high-availability.storageDir': haDir,
        's3.endpoint': env.objectStore.endpoint,
      });
    }
    const haPrefix = `${haDir.replace(`s3://${env.objectStore.bucket}/`, '')}/`;
    const haObjects = await env.objectStore.client.listObjects(env.objectStore.bucket, haPrefix);
    expect(haObjects.length, `objects under ${haPrefix}`).toBeGreaterThan(0);
    process.stderr.write(
      `${await kubectl('get', 'fd,fc,fj,pods', '-n', JOBS_NS)}\n` +
        `demo removed in ${demoRemovedMs} ms; helm install → ${jobs.length} jobs RUNNING in ${runningMs} ms\n`,
    );
  }, 600_000);

  it('runs the toolbox demo: both jobs RUNNING, its ConfigMaps’ settings in the JobManager and TaskManagers', async () => {
    // Stop the release's cluster while its HA Role still exists (Flink's leader election needs it),
    // then uninstall the release.
    const releaseRemovedMs = await removeDeployment(JOBS_NS, RELEASE);
    expect(await helm.uninstall(RELEASE, JOBS_NS)).toContain(`release "${RELEASE}" uninstalled`);

    const docs = parseAllDocuments(await readFile(TOOLBOX_DEMO_FILE, 'utf8')).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string> },
    );
    const fd = docs.find((d) => d.kind === 'FlinkDeployment') as unknown as DemoDocument & {
      spec: { cluster: { taskManager: { taskSlots: number } } };
    };
    const properties = (name: string) =>
      parseFlinkProperties(
        docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name)?.data?.['FLINK_PROPERTIES'],
      );
    const jmProperties = properties('demo-jobmanager-properties-v1');
    const tmProperties = properties('demo-taskmanager-properties-v1');
    expect(Object.keys(jmProperties).length).toBeGreaterThan(0);
    expect(Object.keys(tmProperties).length).toBeGreaterThan(0);
    // The file as it is, pointed at this environment's S3 server, with the credentials Secret it names.
    await applyObjects(kc, localizeDemoStorage(fd.spec.cluster.storage, JOBS_NS, env.objectStore));
    const file = join(env.dir, 'toolbox-demo.yaml');
    await writeFile(file, docs.map((d) => stringify(d)).join('---\n'));
    const applied = Date.now();
    const output = await kubectl('apply', '-f', file);
    for (const line of [
      'configmap/demo-jobmanager-properties-v1 created',
      'configmap/demo-taskmanager-properties-v1 created',
      `flinkdeployment.flinkvisor.io/${fd.metadata.name} created`,
    ]) {
      expect(output).toContain(line);
    }
    const jobs = fd.spec.jobs.map((j) => `${fd.metadata.name}-${j.name}`);
    for (const job of jobs) {
      await waitForStatus(kc, JOBS, JOBS_NS, job, 'RUNNING', (st) => st['jobStatus'] === 'RUNNING', 300_000);
    }
    const runningMs = Date.now() - applied;

    // The JobManager runs with every setting of its ConfigMap, and Flinkvisor's own keys. Flink's
    // start script rewrites the memory sizes in bytes and pins the JVM overhead (and the heap) to
    // what the process and Flink sizes leave, so those are compared as sizes.
    const [jm] = await clusterPods(kc, JOBS_NS, fd.metadata.name, 'jobmanager');
    const ip = jm?.status?.podIP ?? '';
    const config = await jobManagerConfig(ip);
    const jmSize = (key: string) => bytes(String(jmProperties[`jobmanager.memory.${key}`]));
    for (const [key, value] of Object.entries(jmProperties)) {
      if (key === 'jobmanager.memory.jvm-overhead.min') continue;
      if (key.startsWith('jobmanager.memory.'))
        expect(bytes(config[key] ?? ''), key).toBe(bytes(String(value)));
      else expect(config[key], key).toBe(String(value));
    }
    const overhead = bytes(config['jobmanager.memory.jvm-overhead.min'] ?? '');
    expect(overhead).toBe(jmSize('process.size') - jmSize('flink.size') - jmSize('jvm-metaspace.size'));
    expect(overhead).toBeGreaterThanOrEqual(jmSize('jvm-overhead.min'));
    expect(bytes(config['jobmanager.memory.heap.size'] ?? '')).toBe(
      jmSize('flink.size') - jmSize('off-heap.size'),
    );
    expect(config['rest.port']).toBe('8081');
    expect(config['execution.checkpointing.dir']).toBe(
      `s3://${fd.spec.cluster.storage.baseDir}/checkpoints/${JOBS_NS}/${fd.metadata.name}`,
    );

    // Each TaskManager has the memory its ConfigMap sets and the slots of the spec: one per job here.
    const { taskmanagers } = await flinkJson<{ taskmanagers: { id: string; slotsNumber: number }[] }>(
      `http://${ip}:8081/taskmanagers`,
    );
    const slots = fd.spec.cluster.taskManager.taskSlots;
    expect(taskmanagers).toHaveLength(Math.ceil(jobs.length / slots));
    for (const tm of taskmanagers) {
      expect(tm.slotsNumber).toBe(slots);
      const detail = await flinkJson<{ memoryConfiguration: Record<string, number> }>(
        `http://${ip}:8081/taskmanagers/${tm.id}`,
      );
      const size = (key: string) => bytes(String(tmProperties[key]));
      expect(detail.memoryConfiguration).toMatchObject({
        totalProcessMemory: size('taskmanager.memory.process.size'),
        totalFlinkMemory: size('taskmanager.memory.flink.size'),
        frameworkHeap: size('taskmanager.memory.framework.heap.size'),
        frameworkOffHeap: size('taskmanager.memory.framework.off-heap.size'),
        jvmMetaspace: size('taskmanager.memory.jvm-metaspace.size'),
      });
    }
    process.stderr.write(
      `${await kubectl('get', 'fd,fc,fj,pods', '-n', JOBS_NS)}\n` +
        `release removed in ${releaseRemovedMs} ms; kubectl apply → ${jobs.length} jobs RUNNING in ${runningMs} ms\n`,
    );
  }, 600_000);
});
