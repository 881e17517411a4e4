import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { crdManifests } from '../api/crd-manifests.ts';
import { API_GROUP, API_VERSION, FLINK_DEPLOYMENT, FLINK_JOB } from '../api/names.ts';
import { startLocalEnvironment, type LocalEnvironment } from '../devenv/local-environment.ts';
import { PROJECT_ROOT } from '../devenv/node-agent-process.ts';
import type { Progress } from '../devenv/progress.ts';
import { formatDuration } from '../devenv/progress.ts';
import { runCommand } from '../devenv/run-command.ts';
import { waitFor } from '../devenv/wait-for.ts';
import { applyObjects } from '../install/apply.ts';
import {
  OPERATOR_NAMESPACE,
  operatorManifests,
  workloadNamespaceManifests,
} from '../install/operator-manifests.ts';
import { installCrds } from '../kube/crd-install.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { hostUrl } from '../kube/pod-address.ts';
import { localizeDemoStorage, type DemoStorageSpec } from './demo-storage.ts';

export const DEMO_DEPLOYMENT_FILE = join(PROJECT_ROOT, 'deploy', 'examples', 'flinkdeployment-demo.yaml');

export interface DemoOptions {
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly progress: Progress;
  readonly write: (text: string) => void;
  readonly timeoutMs: number;
  /** The URL of the leading supervisor's state visualizer, or why there is none (the CLI's `visualize`). */
  readonly visualizerUrl: (kc: KubeConfig, namespace: string, cluster: string) => Promise<string>;
}

export interface DemoResult {
  readonly environment: LocalEnvironment;
  readonly kc: KubeConfig;
  /** From applying the FlinkDeployment to both jobs RUNNING. */
  readonly deploymentToRunningMs: number;
  /** When the demo began (Date.now()): the exit summary counts the whole run from here. */
  readonly startedAt: number;
  /** From the start until the demo was ready. */
  readonly readyMs: number;
}

/** A word as a POSIX shell reads it back: printed commands paste as they are. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The CLI of this checkout, as the running Node (24+) starts it: `flinkvisor` in printed commands. */
export function flinkvisorCommand(): string[] {
  return [process.execPath, join(PROJECT_ROOT, 'bin', 'flinkvisor.js')];
}

interface Demo {
  metadata: { name: string; namespace: string };
  spec: { cluster: { storage?: DemoStorageSpec }; jobs: { name: string }[] };
}

/**
 * The README's demo: the local environment, the CRDs and the operator installed as in a cluster
 * (the operator runs as a pod of its real Deployment), then a FlinkDeployment with two streaming
 * jobs, until both run and have a savepoint.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const environment = await startLocalEnvironment({ cacheDir: o.cacheDir, env: o.env, progress: o.progress });
  try {
    const kc = loadKubeConfig(environment.controlPlane.kubeconfigPath);
    await o.progress.step('install the CRDs', () => installCrds(kc, crdManifests()));
    const demo = parse(await readFile(DEMO_DEPLOYMENT_FILE, 'utf8')) as Demo;
    const ns = demo.metadata.namespace;
    await o.progress.step(
      `install the operator (${OPERATOR_NAMESPACE}) and the namespace ${ns}`,
      async () => {
        await applyObjects(kc, operatorManifests({ operatorArgs: ['--api-insecure-http'] }));
        await applyObjects(kc, workloadNamespaceManifests(ns));
        const core = kc.makeApiClient(CoreV1Api);
        await waitFor(
          'a Ready operator pod',
          async () => {
            const pods = await core.listNamespacedPod({ namespace: OPERATOR_NAMESPACE });
            return pods.items.some((p) =>
              p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            )
              ? true
              : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 500 },
        );
      },
    );
    const store = environment.objectStore;
    await applyObjects(kc, localizeDemoStorage(demo.spec.cluster.storage, ns, store));
    const applied = Date.now();
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: ns,
      plural: FLINK_DEPLOYMENT.plural,
      body: demo,
    });
    const jobs = demo.spec.jobs.map((j) => `${demo.metadata.name}-${j.name}`);
    const api = kc.makeApiClient(CustomObjectsApi);
    const status = async (name: string) =>
      (
        (await api
          .getNamespacedCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            namespace: ns,
            plural: FLINK_JOB.plural,
            name,
          })
          .catch(() => ({}))) as {
          status?: Record<string, unknown>;
        }
      ).status ?? {};
    await o.progress.step(
      `FlinkDeployment ${demo.metadata.name}: wait for ${jobs.join(' and ')} to run`,
      () =>
        waitFor(
          'both jobs RUNNING',
          async () =>
            (await Promise.all(jobs.map(status))).every((s) => s['jobStatus'] === 'RUNNING')
              ? true
              : undefined,
          { timeoutMs: o.timeoutMs, intervalMs: 1000 },
        ),
    );
    const deploymentToRunningMs = Date.now() - applied;
    await o.progress.step('wait for a savepoint of each job', () =>
      waitFor(
        'a savepoint of each job',
        async () =>
          (await Promise.all(jobs.map(status))).every((s) => String(s['savepointPath'] ?? '') !== '')
            ? true
            : undefined,
        { timeoutMs: o.timeoutMs, intervalMs: 1000 },
      ),
    );
    const kubectl = environment.assets.kubernetes.paths.kubectl;
    const kubeconfig = environment.controlPlane.kubeconfigPath;
    const table = await runCommand(kubectl, ['--kubeconfig', kubeconfig, 'get', 'fd,fc,fj,pods', '-n', ns]);
    const core = kc.makeApiClient(CoreV1Api);
    const jm = (
      await core.listNamespacedPod({ namespace: ns, labelSelector: 'flinkvisor.io/role=jobmanager' })
    ).items[0];
    const operators = (await core.listNamespacedPod({ namespace: OPERATOR_NAMESPACE })).items;
    const stateObjects = await store.client.listObjects(store.bucket, '');
    const clusterName = demo.metadata.name;
    const visualizer = await o.visualizerUrl(kc, ns, clusterName);
    const operatorIp = operators[0]?.status?.podIP ?? '127.0.0.1';
    const command = (...words: string[]) => `  $ ${words.map(shellWord).join(' ')}`;
    const kubectlCmd = (...args: string[]) => command(kubectl, '--kubeconfig', kubeconfig, ...args);
    const flinkvisor = (...args: string[]) => command(...flinkvisorCommand(), ...args);
    // The operator serves the control API without TLS here (--api-insecure-http): --plain-http;
    // the token is the kubeconfig's (the admin user), as for kubectl.
    const controlApi = ['-n', ns, '--host', operatorIp, '--plain-http', '--kubeconfig', kubeconfig];
    o.write(
      [
        '',
        table.stdout.trim(),
        '',
        `Flink UI and REST API:   ${hostUrl('http', jm?.status?.podIP ?? '?', 8081)}`,
        `Flink state (S3 API):    ${store.endpoint}/${store.bucket}  (${stateObjects.length} objects: checkpoints and savepoints)`,
        `Flinkvisor operator:     ${operators.map((p) => hostUrl('http', p.status?.podIP ?? '?', 8080, '/metrics')).join('  ')}`,
        `control API (token!):    ${operators.map((p) => hostUrl('http', p.status?.podIP ?? '?', 4444, '/api/v1/clusters')).join('  ')}`,
        `state machines:          ${visualizer}`,
        `environment directory:   ${environment.dir}  (removed on exit)`,
        '',
        'kubectl and flinkvisor as they run here (each line pastes into a shell as printed):',
        kubectlCmd('get', 'fd,fc,fj', '-n', ns),
        ...(jm?.metadata?.name ? [kubectlCmd('-n', ns, 'logs', jm.metadata.name, '--tail=5')] : []),
        flinkvisor('clusters', 'list', ...controlApi),
        flinkvisor('jobs', 'list', '--cluster-name', clusterName, ...controlApi),
        flinkvisor('visualize', clusterName, '-n', ns, '--kubeconfig', kubeconfig),
        `try (stops demo-cars with a savepoint; START runs it again):`,
        kubectlCmd('-n', ns, 'annotate', 'fj', 'demo-cars', 'flinkvisor.io/requested-action=STOP'),
        '',
        `applied the FlinkDeployment → both jobs RUNNING in ${formatDuration(deploymentToRunningMs)}; demo ready in ${formatDuration(Date.now() - started)}`,
        '',
      ].join('\n'),
    );
    return { environment, kc, deploymentToRunningMs, startedAt: started, readyMs: Date.now() - started };
  } catch (err) {
    await environment.stop();
    throw err;
  }
}
