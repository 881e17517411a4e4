import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1Container,
} from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { CommandFailedError, runCommand } from '../../src/devenv/run-command.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';
import { isRunningReady, waitForPod } from '../support/pods.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const fixture = (name: string) => join(PROJECT_ROOT, 'test', 'fixtures', 'pods', name);
let namespace: string;

const downwardEnv = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
];

function echoContainer(): V1Container {
  return {
    name: 'echo',
    image: 'node:26',
    command: ['node', fixture('http-echo.mjs')],
    env: [...downwardEnv, { name: 'PORT', value: '8080' }],
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
  };
}

async function jobSucceeded(name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `Job ${name} to succeed`,
    async () => {
      const job = await batch.readNamespacedJob({ name, namespace });
      if ((job.status?.failed ?? 0) > 0) throw new Error(`job ${name} has failed pods`);
      return (job.status?.succeeded ?? 0) >= 1 ? true : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function podLog(podName: string, container: string): Promise<string> {
  const pod = await core.readNamespacedPod({ name: podName, namespace });
  const dir = join(inject('nodeAgent').dir, 'pods', `${namespace}_${podName}_${pod.metadata?.uid}`);
  return readFile(join(dir, `${container}.log`), 'utf8');
}

beforeAll(async () => {
  namespace = await createTestNamespace(kc, 'nodeagent');
});
afterAll(async () => {
  await deleteTestNamespace(kc, namespace);
});

describe('the node agent', () => {
  it('registers a Ready Node with a renewed Lease', async () => {
    const { nodeName } = inject('nodeAgent');
    const node = await core.readNode({ name: nodeName });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.addresses?.some((a) => a.type === 'InternalIP')).toBe(true);
    const { CoordinationV1Api } = await import('@kubernetes/client-node');
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: nodeName, namespace: 'kube-node-lease' });
    expect(lease.spec?.holderIdentity).toBe(nodeName);
  });

  it('runs a Deployment of a Node program: Running and Ready on its own loopback pod IP; a deleted pod is replaced', async () => {
    const labels = { app: 'echo' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'echo' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [echoContainer()] } },
        },
      },
    });
    const [pod] = await waitForPod(
      kc,
      namespace,
      'echo pod Running and Ready',
      (pods) => (pods.length === 1 && isRunningReady(pods[0]!) ? pods : undefined),
      'app=echo',
    );
    const ip = pod?.status?.podIP ?? '';
    expect(ip).toMatch(/^127\.0\.0\.\d+$/);
    expect(ip).not.toBe('127.0.0.1');
    const answer = (await (await fetch(`http://${ip}:8080/hello`)).json()) as { pod: string; ip: string };
    expect(answer).toEqual({ pod: pod?.metadata?.name, ip, path: '/hello' });
    expect(pod?.status?.containerStatuses?.[0]?.state?.running).toBeDefined();

    await core.deleteNamespacedPod({ name: pod?.metadata?.name ?? '', namespace });
    const [replacement] = await waitForPod(
      kc,
      namespace,
      'a replacement echo pod',
      (pods) => {
        const fresh = pods.filter((p) => p.metadata?.uid !== pod?.metadata?.uid && isRunningReady(p));
        const oldGone = !pods.some((p) => p.metadata?.uid === pod?.metadata?.uid);
        return fresh.length === 1 && oldGone ? fresh : undefined;
      },
      'app=echo',
    );
    expect(replacement?.metadata?.name).not.toBe(pod?.metadata?.name);
    // The old pod got SIGTERM and exited within its grace period.
    expect(await podLog(replacement?.metadata?.name ?? '', 'echo')).toContain('listening on');
  });

  it('resolves Service names for the processes it runs', async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: 'echo' },
        spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
      },
    });
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'fetch-by-name' },
        spec: {
          backoffLimit: 4,
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [
                {
                  name: 'fetch',
                  image: 'node:26',
                  command: [
                    'node',
                    fixture('fetch-url.mjs'),
                    `http://echo.${namespace}.svc.cluster.local:8080/by-name`,
                  ],
                },
              ],
            },
          },
        },
      },
    });
    await jobSucceeded('fetch-by-name');
    const [pod] = (
      await core.listNamespacedPod({ namespace, labelSelector: 'job-name=fetch-by-name' })
    ).items.filter((p) => p.status?.phase === 'Succeeded');
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(await podLog(pod?.metadata?.name ?? '', 'fetch')).toContain('status 200');
  });

  it("completes a Job's pod and the Job succeeds; a failing container is reported with its exit code", async () => {
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'fails-once' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'main', image: 'node:26', command: ['node', '-e', 'process.exit(3)'] }],
            },
          },
        },
      },
    });
    const [failed] = await waitForPod(
      kc,
      namespace,
      'the failing Job pod to be Failed',
      (pods) => {
        const f = pods.filter((p) => p.status?.phase === 'Failed');
        return f.length ? f : undefined;
      },
      'job-name=fails-once',
    );
    expect(failed?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
  });

  it('gives each pod its ServiceAccount identity: RBAC applies (403 without a permission, 200 with it)', async () => {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader-reads-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'api-probe' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              serviceAccountName: 'reader',
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'probe',
                  image: 'node:26',
                  command: ['node', fixture('api-probe.mjs')],
                  env: downwardEnv,
                },
              ],
            },
          },
        },
      },
    });
    await jobSucceeded('api-probe');
    const [pod] = (await core.listNamespacedPod({ namespace, labelSelector: 'job-name=api-probe' })).items;
    const line = (await podLog(pod?.metadata?.name ?? '', 'probe')).trim().split('\n').pop() ?? '';
    expect(JSON.parse(line)).toEqual({ secrets: 403, configMaps: 200 });
  });

  it('reports an image it cannot run as ErrImagePull, without crashing', async () => {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'bad-image' },
        spec: { containers: [{ name: 'main', image: 'example.invalid/nothing:1' }] },
      },
    });
    const [pod] = await waitForPod(kc, namespace, 'bad-image waiting with ErrImagePull', (pods) => {
      const p = pods.find((x) => x.metadata?.name === 'bad-image');
      return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull' ? [p] : undefined;
    });
    expect(pod?.status?.phase).toBe('Pending');
  });

  describe('kubectl logs through the API server (the agent serves the kubelet containerLogs API)', () => {
    const kubectl = async (...args: string[]) =>
      runCommand(
        (await devenvAssets()).kubernetes.paths.kubectl,
        ['--kubeconfig', inject('controlPlane').kubeconfigPath, '-n', namespace, ...args],
        { timeoutMs: 30_000 },
      );
    const runsIn = (text: string) => [...new Set([...text.matchAll(/^run (\d+) /gm)].map((m) => m[1]))];

    beforeAll(async () => {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'log-runs' },
          spec: {
            restartPolicy: 'Always',
            containers: [{ name: 'main', image: 'node:26', command: ['node', fixture('log-runs.mjs')] }],
          },
        },
      });
      // The second run has begun: there is a previous one to show.
      await waitForPod(kc, namespace, 'log-runs running its second run', (pods) => {
        const s = pods.find((p) => p.metadata?.name === 'log-runs')?.status?.containerStatuses?.[0];
        return (s?.restartCount ?? 0) >= 1 && s?.state?.running ? pods : undefined;
      });
    });

    it('shows the current run; --previous the whole run before it; --tail its last lines', async () => {
      const nodes = await core.readNode({ name: inject('nodeAgent').nodeName });
      expect(nodes.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBeGreaterThan(0);
      const previous = (await kubectl('logs', 'log-runs', '--previous')).stdout;
      const current = (await kubectl('logs', 'log-runs')).stdout;
      expect(runsIn(previous)).toHaveLength(1);
      expect(runsIn(current)).toHaveLength(1);
      expect(runsIn(current)).not.toEqual(runsIn(previous));
      const [previousRun] = runsIn(previous);
      expect(previous).toContain(`run ${previousRun} begins\nrun ${previousRun} line 1\n`);
      expect(previous).toContain(`run ${previousRun} line 15\nrun ${previousRun} ends\n`);
      const tail = (await kubectl('logs', 'log-runs', '--previous', '--tail=2')).stdout;
      expect(tail).toBe(`run ${previousRun} line 15\nrun ${previousRun} ends\n`);
    });

    it('-f streams the running container until it exits', async () => {
      const kubectlPath = (await devenvAssets()).kubernetes.paths.kubectl;
      const follow = spawn(kubectlPath, [
        '--kubeconfig',
        inject('controlPlane').kubeconfigPath,
        '-n',
        namespace,
        'logs',
        '-f',
        'log-runs',
      ]);
      let out = '';
      follow.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => follow.on('exit', (code) => resolve(code)));
      const timeout = setTimeout(() => follow.kill('SIGKILL'), 30_000);
      try {
        // The follower saw the run it attached to through to its last line, then ended by itself.
        expect(await exited).toBe(0);
        const runs = runsIn(out);
        expect(runs).toHaveLength(1);
        expect(out).toContain(`run ${runs[0]} ends\n`);
        expect(out).toContain(`run ${runs[0]} begins\n`);
      } finally {
        clearTimeout(timeout);
        follow.kill('SIGKILL');
      }
    });

    it('--previous of a container that never restarted is a clear error', async () => {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'log-once' },
          spec: {
            containers: [
              {
                name: 'main',
                image: 'node:26',
                command: ['node', '-e', 'console.log("hello"); setInterval(() => {}, 1000)'],
              },
            ],
          },
        },
      });
      await waitForPod(kc, namespace, 'log-once running', (pods) =>
        pods.find((p) => p.metadata?.name === 'log-once')?.status?.containerStatuses?.[0]?.state?.running
          ? pods
          : undefined,
      );
      await waitFor(
        'log-once to print',
        async () => ((await kubectl('logs', 'log-once')).stdout === 'hello\n' ? true : undefined),
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      const err = await kubectl('logs', 'log-once', '--previous').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommandFailedError);
      expect((err as CommandFailedError).outputTail).toMatch(
        /previous terminated container "main" in pod "log-once" not found/,
      );
    });
  });
});
