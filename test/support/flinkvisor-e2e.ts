import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { API_GROUP, API_VERSION, FLINK_CLUSTER, FLINK_JOB } from '../../src/api/names.ts';
import { parseFlinkCluster } from '../../src/api/parse.ts';
import { startLocalEnvironment, type LocalEnvironment } from '../../src/devenv/local-environment.ts';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { namespacedRoleSet, SUPERVISOR_RULES } from '../../src/install/rbac.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { isNotFound } from '../../src/kube/errors.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { mergePatch } from '../../src/kube/patch-options.ts';
import { supervisorDeployment } from '../../src/operator/supervisor-deployment.ts';
import { e2eFlink, exampleJarPath } from './e2e-flink.ts';

export const FLINKVISOR_IMAGE = 'flinkvisor:0.1.0';

export interface SupervisedEnvironment {
  readonly env: LocalEnvironment;
  readonly kc: KubeConfig;
  /** A host directory every pod sees at the same path: savepoints and checkpoints go here. */
  readonly stateDir: string;
  stop(): Promise<void>;
}

export async function startSupervisedEnvironment(
  options: { readonly keepDir?: boolean } = {},
): Promise<SupervisedEnvironment> {
  const env = await startLocalEnvironment({
    cacheDir: defaultCacheDir(process.env),
    env: process.env,
    progress: consoleProgress((l) => process.stderr.write(`${l}\n`)),
    ...(options.keepDir ? { keepDir: true } : {}),
  });
  const kc = loadKubeConfig(env.controlPlane.kubeconfigPath);
  await installCrds(kc, crdManifests());
  const stateDir = join(env.dir, 'state');
  await mkdir(stateDir, { recursive: true });
  return { env, kc, stateDir, stop: () => env.stop() };
}

/** A namespace with the supervisor's ServiceAccount and Role (bootstrap Jobs use `default`, no rights). */
export async function supervisedNamespace(kc: KubeConfig, name: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await waitFor(
    `default ServiceAccount in ${name}`,
    async () =>
      (await core.readNamespacedServiceAccount({ name: 'default', namespace: name })) ? true : undefined,
    { timeoutMs: 30_000 },
  );
  const set = namespacedRoleSet(name, 'flinkvisor-supervisor', SUPERVISOR_RULES);
  await applyObjects(kc, [set.serviceAccount, set.role, set.roleBinding]);
  return name;
}

export interface ClusterOptions {
  /** Default: the image of the run's Flink line (FLINKVISOR_E2E_FLINK). */
  readonly flinkImage?: string;
  readonly taskSlots?: number;
  readonly taskManagers?: number;
  readonly rescalePolicy?: 'None' | 'JobParallelism';
  readonly rescaleDelay?: number;
  readonly taskTimeout?: number;
  readonly pollingInterval?: number;
  readonly supervisorReplicas?: number;
  readonly flinkConfiguration?: Record<string, string>;
}

export function flinkClusterManifest(namespace: string, name: string, o: ClusterOptions = {}) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_CLUSTER.kind,
    metadata: { name, namespace },
    spec: {
      taskManagers: o.taskManagers ?? 1,
      runtime: { image: o.flinkImage ?? e2eFlink().image },
      flinkConfiguration: {
        'jobmanager.memory.process.size': '1024m',
        'taskmanager.memory.process.size': '1280m',
        'taskmanager.memory.managed.size': '64m',
        ...o.flinkConfiguration,
      },
      taskManager: { taskSlots: o.taskSlots ?? 2 },
      supervisor: {
        image: FLINKVISOR_IMAGE,
        replicas: o.supervisorReplicas ?? 1,
        pollingInterval: o.pollingInterval ?? 2,
        taskTimeout: o.taskTimeout ?? 60,
        rescaleDelay: o.rescaleDelay ?? 10,
        rescalePolicy: o.rescalePolicy ?? 'JobParallelism',
      },
    },
  };
}

export interface JobOptions {
  readonly parallelism?: number;
  readonly jar?: 'TopSpeedWindowing' | 'WordCount';
  /** Whose example jar the bootstrap submits. Default: the run's Flink line (FLINKVISOR_E2E_FLINK). */
  readonly line?: string;
  readonly savepointMode?: 'Automatic' | 'Manual';
  readonly savepointInterval?: number;
  readonly restartPolicy?: 'Never' | 'Always' | 'OnlyIfFailed';
  readonly restartDelay?: number;
  readonly restartTimeout?: number;
  readonly className?: string;
  readonly bootstrapImage?: string;
}

export function flinkJobManifest(
  namespace: string,
  cluster: string,
  job: string,
  stateDir: string,
  o: JobOptions = {},
) {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: FLINK_JOB.kind,
    metadata: { name: `${cluster}-${job}`, namespace },
    spec: {
      clusterName: cluster,
      jobParallelism: o.parallelism ?? 1,
      bootstrap: {
        image: o.bootstrapImage ?? FLINKVISOR_IMAGE,
        jarPath: exampleJarPath(o.line ?? e2eFlink().line, o.jar),
        ...(o.className ? { className: o.className } : {}),
      },
      savepoint: {
        savepointMode: o.savepointMode ?? 'Automatic',
        savepointInterval: o.savepointInterval ?? 0,
        savepointTargetPath: `file://${stateDir}/savepoints/${namespace}/${cluster}-${job}`,
      },
      restart: {
        restartPolicy: o.restartPolicy ?? 'Never',
        restartDelay: o.restartDelay ?? 5,
        restartTimeout: o.restartTimeout ?? 120,
      },
    },
  };
}

export function customObjects(kc: KubeConfig): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

export async function createResource(
  kc: KubeConfig,
  obj: { kind: string; metadata: { namespace: string } },
): Promise<void> {
  const plural = obj.kind === FLINK_CLUSTER.kind ? FLINK_CLUSTER.plural : FLINK_JOB.plural;
  await customObjects(kc).createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    namespace: obj.metadata.namespace,
    plural,
    body: obj,
  });
}

export type Resource = {
  metadata: Record<string, unknown> & {
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

export async function readResource(
  kc: KubeConfig,
  plural: string,
  namespace: string,
  name: string,
): Promise<Resource | undefined> {
  try {
    return (await customObjects(kc).getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural,
      name,
    })) as Resource;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function patchResource(
  kc: KubeConfig,
  plural: string,
  namespace: string,
  name: string,
  body: object,
): Promise<void> {
  await customObjects(kc).patchNamespacedCustomObject(
    { group: API_GROUP, version: API_VERSION, namespace, plural, name, body },
    mergePatch(),
  );
}

export async function requestAction(
  kc: KubeConfig,
  plural: string,
  namespace: string,
  name: string,
  action: string,
  withoutSavepoint = false,
): Promise<void> {
  await patchResource(kc, plural, namespace, name, {
    metadata: {
      annotations: {
        'flinkvisor.io/requested-action': action,
        ...(withoutSavepoint ? { 'flinkvisor.io/without-savepoint': 'true' } : {}),
      },
    },
  });
}

/** Waits until the resource's status satisfies `predicate`; the error names the last status seen. */
export async function waitForStatus(
  kc: KubeConfig,
  plural: string,
  namespace: string,
  name: string,
  what: string,
  predicate: (status: Record<string, unknown>, resource: Resource) => boolean,
  timeoutMs = 240_000,
  intervalMs = 500,
): Promise<Resource> {
  let last: Record<string, unknown> | undefined;
  try {
    return await waitFor(
      `${plural}/${name}: ${what}`,
      async () => {
        const r = await readResource(kc, plural, namespace, name);
        last = r?.status;
        return r && predicate(r.status ?? {}, r) ? r : undefined;
      },
      { timeoutMs, intervalMs },
    );
  } catch (err) {
    const brief = last ? { ...last, machine: undefined, conditions: undefined } : undefined;
    // What the supervisor said about it (Warning Events carry Flink's failure causes).
    const events = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })
      .then((l) =>
        l.items
          .filter((e) => e.type === 'Warning')
          .map((e) => `${e.reason}: ${e.message}`)
          .slice(-5),
      )
      .catch(() => [] as string[]);
    throw new Error(
      `${(err as Error).message}; last status: ${JSON.stringify(brief)}; warnings: ${JSON.stringify(events)}`,
      {
        cause: err,
      },
    );
  }
}

/** What the operator does for a FlinkCluster: its supervisor Deployment (tests of the supervisor alone use this). */
export async function deploySupervisor(
  kc: KubeConfig,
  namespace: string,
  name: string,
  extraArgs: string[] = [],
): Promise<void> {
  const raw = await readResource(kc, FLINK_CLUSTER.plural, namespace, name);
  if (!raw) throw new Error(`FlinkCluster ${name} not found`);
  const cluster = parseFlinkCluster(raw);
  await applyObjects(kc, [supervisorDeployment(cluster, extraArgs)]);
}

export const CLUSTERS = FLINK_CLUSTER.plural;
export const JOBS = FLINK_JOB.plural;

export function statusOf(r: Resource | undefined): Record<string, unknown> {
  return r?.status ?? {};
}

/** Pods of a cluster by role, from the API server. */
export async function clusterPods(
  kc: KubeConfig,
  namespace: string,
  cluster: string,
  role: 'jobmanager' | 'taskmanager' | 'bootstrap' | 'supervisor',
) {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedPod({
    namespace,
    labelSelector: `flinkvisor.io/cluster=${cluster},flinkvisor.io/role=${role}`,
  });
  return list.items.filter(
    (p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded',
  );
}

/** Until a stopped cluster has no JobManager, no TaskManager and no JobManager Service left. */
export async function waitForClusterRemoved(
  kc: KubeConfig,
  namespace: string,
  cluster: string,
): Promise<void> {
  await waitFor(
    `no JobManager, TaskManager or Service of ${cluster}`,
    async () => {
      const pods = [
        ...(await clusterPods(kc, namespace, cluster, 'jobmanager')),
        ...(await clusterPods(kc, namespace, cluster, 'taskmanager')),
      ];
      const svc = await kc
        .makeApiClient(CoreV1Api)
        .readNamespacedService({ name: `jobmanager-${cluster}`, namespace })
        .catch(() => undefined);
      return pods.length === 0 && !svc ? true : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

/** Runs the real kubectl against the environment; resolves with stdout. */
export async function kubectl(s: SupervisedEnvironment, args: string[]): Promise<string> {
  const { runCommand } = await import('../../src/devenv/run-command.ts');
  const out = await runCommand(s.env.assets.kubernetes.paths.kubectl, [
    '--kubeconfig',
    s.env.controlPlane.kubeconfigPath,
    ...args,
  ]);
  return out.stdout;
}

export async function flinkRest(
  s: SupervisedEnvironment,
  namespace: string,
  cluster: string,
): Promise<string> {
  const pods = await clusterPods(s.kc, namespace, cluster, 'jobmanager');
  const ip = pods[0]?.status?.podIP;
  if (!ip) throw new Error(`no JobManager pod for ${cluster}`);
  return `http://${ip}:8081`;
}

export async function flinkJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Process groups the node agent runs for a pod (from its registry): to kill -9 or SIGSTOP a "container". */
export async function podProcessGroups(
  s: SupervisedEnvironment,
  namespace: string,
  podName: string,
): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const dir = join(s.env.nodeAgent.dir, 'pids');
  const out: number[] = [];
  for (const entry of await readdir(dir)) {
    const owner = await readFile(join(dir, entry), 'utf8').catch(() => '');
    if (owner === `${namespace}/${podName}`) out.push(Number(entry));
  }
  return out;
}

export function signalGroups(groups: readonly number[], signal: NodeJS.Signals): void {
  for (const g of groups) {
    try {
      process.kill(-g, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Until every task of the job runs: Flink reports a job RUNNING before its tasks are, and refuses a
 * savepoint until they all are.
 */
export async function waitForTasksRunning(
  s: SupervisedEnvironment,
  namespace: string,
  cluster: string,
  jobId: string,
): Promise<void> {
  await waitFor(
    `all tasks of ${jobId} RUNNING`,
    async () => {
      const flink = await flinkRest(s, namespace, cluster);
      const job = await flinkJson<{ vertices: { status: string }[] }>(`${flink}/jobs/${jobId}`);
      return job.vertices.length > 0 && job.vertices.every((v) => v.status === 'RUNNING') ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}
