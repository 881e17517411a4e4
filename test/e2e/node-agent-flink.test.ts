import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEnvironment, type LocalEnvironment } from '../../src/devenv/local-environment.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { e2eFlink } from '../support/e2e-flink.ts';
import { isRunningReady, waitForPod } from '../support/pods.ts';

let env: LocalEnvironment;
let kc: KubeConfig;
const namespace = 'default';
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  env = await startLocalEnvironment({
    cacheDir: defaultCacheDir(process.env),
    env: process.env,
    progress: consoleProgress((l) => process.stderr.write(`${l}\n`)),
  });
  kc = loadKubeConfig(env.controlPlane.kubeconfigPath);
});

afterAll(async () => {
  const agent = env?.nodeAgent;
  await env?.stop();
  // Teardown leaves no stray process: every pod process group the agent registered is gone.
  if (agent) expect(await agent.livePodProcesses()).toEqual([]);
});

describe('the node agent runs Flink from the official image contract', () => {
  it(`forms a working ${flinkUnderTest.image} cluster from a JobManager Deployment + Service and a TaskManager pod`, async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const flinkEnv = [
      { name: 'JOB_MANAGER_RPC_ADDRESS', value: 'flink-jobmanager' },
      {
        name: 'FLINK_PROPERTIES',
        value:
          'jobmanager.memory.process.size: 1024m\ntaskmanager.memory.process.size: 1280m\ntaskmanager.memory.managed.size: 64m\n',
      },
    ];
    const jmLabels = { app: 'flink', component: 'jobmanager' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'flink-jobmanager' },
        spec: {
          replicas: 1,
          selector: { matchLabels: jmLabels },
          template: {
            metadata: { labels: jmLabels },
            spec: {
              containers: [
                {
                  name: 'jobmanager',
                  image: flinkUnderTest.image,
                  args: ['jobmanager'],
                  env: flinkEnv,
                  ports: [
                    { name: 'rpc', containerPort: 6123 },
                    { name: 'blob', containerPort: 6124 },
                    { name: 'ui', containerPort: 8081 },
                  ],
                  readinessProbe: { tcpSocket: { port: 'rpc' }, periodSeconds: 2 },
                },
              ],
            },
          },
        },
      },
    });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'flink-jobmanager' },
        spec: {
          selector: jmLabels,
          ports: [
            { name: 'rpc', port: 6123, targetPort: 'rpc' },
            { name: 'blob', port: 6124, targetPort: 'blob' },
            { name: 'ui', port: 8081, targetPort: 'ui' },
          ],
        },
      },
    });
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'flink-taskmanager', labels: { app: 'flink', component: 'taskmanager' } },
        spec: {
          containers: [
            {
              name: 'taskmanager',
              image: flinkUnderTest.image,
              args: ['taskmanager'],
              env: [...flinkEnv, { name: 'TASK_MANAGER_NUMBER_OF_TASK_SLOTS', value: '2' }],
            },
          ],
        },
      },
    });
    const [jm] = await waitForPod(
      kc,
      namespace,
      'JobManager Ready',
      (pods) => (pods[0] && isRunningReady(pods[0]) ? pods : undefined),
      'component=jobmanager',
      180_000,
    );
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'ask-flink' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'ask',
                  image: 'node:26',
                  command: [
                    'node',
                    join(PROJECT_ROOT, 'test/fixtures/pods/flink-overview.mjs'),
                    'http://flink-jobmanager:8081/overview',
                    '1',
                    '150',
                  ],
                },
              ],
            },
          },
        },
      },
    });
    await waitFor(
      'Job ask-flink to finish',
      async () => {
        const job = await batch.readNamespacedJob({ name: 'ask-flink', namespace });
        if ((job.status?.failed ?? 0) > 0) throw new Error('ask-flink failed');
        return (job.status?.succeeded ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const [asker] = (await core.listNamespacedPod({ namespace, labelSelector: 'job-name=ask-flink' })).items;
    const log = await readFile(
      join(
        env.nodeAgent.dir,
        'pods',
        `${namespace}_${asker?.metadata?.name}_${asker?.metadata?.uid}`,
        'ask.log',
      ),
      'utf8',
    );
    const overview = JSON.parse(/overview (.*)/.exec(log)?.[1] ?? '{}') as Record<string, unknown>;
    expect(overview['taskmanagers']).toBe(1);
    expect(overview['slots-total']).toBe(2);
    expect(overview['flink-version']).toBe(flinkUnderTest.version);
    // The JobManager listens on its own pod IP, as in its own network namespace.
    const direct = (await (await fetch(`http://${jm?.status?.podIP}:8081/overview`)).json()) as Record<
      string,
      unknown
    >;
    expect(direct['taskmanagers']).toBe(1);
  });

  it('on SIGTERM the node agent ends its pods (the Flink JVMs) and exits by itself, not killed at the end of its grace', async () => {
    const agent = env.nodeAgent;
    expect((await agent.livePodProcesses()).length).toBeGreaterThan(0);
    // A 60 s grace: an agent that does not exit by itself is SIGKILLed then, and says so in its exit.
    const exit = await agent.process.stop(60_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await agent.livePodProcesses()).toEqual([]);
  });
});
