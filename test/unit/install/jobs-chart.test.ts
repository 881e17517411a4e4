// The flinkvisor-jobs chart rendered by the real helm, then read the way Flinkvisor reads it: the
// FlinkDeployments are parsed with the CRD's own schema, expanded as the operator expands them and
// turned into the pods the supervisor would create, so the storage helper, the S3 credentials,
// Kubernetes HA and the Prometheus reporter are checked where they take effect.
import type { KubernetesObject, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FlinkClusterSpecInput } from '../../../src/api/flink-cluster.ts';
import type { FlinkDeployment } from '../../../src/api/flink-deployment.ts';
import { parseFlinkCluster, parseFlinkDeployment } from '../../../src/api/parse.ts';
import { DEMO_DEPLOYMENT_FILE } from '../../../src/demo/demo.ts';
import { JOBS_CHART_DIRECTORY } from '../../../src/install/chart-files.ts';
import { FLINK_KUBERNETES_HA_RULES } from '../../../src/install/chart-rbac.ts';
import { HelmError, type Helm } from '../../../src/install/helm-cli.ts';
import { SUPERVISOR_RULES } from '../../../src/install/rbac.ts';
import { clusterFromDeployment, jobFromDeployment } from '../../../src/operator/deployment-children.ts';
import { jobManagerPod, taskManagerPod } from '../../../src/supervisor/resource-builders.ts';
import { JOBS_CHART_HA_S3_VALUES_FILE } from '../../support/examples.ts';
import {
  chartHelm,
  HELM_SETUP_TIMEOUT_MS,
  HELM_TEST_TIMEOUT_MS,
  one,
  ofKind,
  rulesOf,
} from './chart-helm.ts';

let helm: Helm;
const NS = 'team';

beforeAll(async () => {
  helm = await chartHelm();
}, HELM_SETUP_TIMEOUT_MS);
afterAll(async () => {
  await helm?.dispose();
});

const render = (...values: object[]) =>
  helm.render({ release: 'rel', chart: JOBS_CHART_DIRECTORY, namespace: NS, values });

async function failure(...values: object[]): Promise<string> {
  const err = await render(...values).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HelmError);
  return (err as HelmError).output;
}

const jar = '/opt/flinkvisor/examples/1.20/TopSpeedWindowing.jar';
const fileStorage = { storage: { scheme: 'file', baseDir: '/flink-data' } };

function deployments(objects: readonly KubernetesObject[]): FlinkDeployment[] {
  return ofKind(objects, 'FlinkDeployment').map((o) => parseFlinkDeployment(o));
}

/** What the supervisor would run for the deployment's cluster: its JobManager and a TaskManager pod. */
function podsOf(raw: KubernetesObject): { jobManager: V1Pod; taskManager: V1Pod } {
  const fd = parseFlinkDeployment(raw);
  const rawSpec = (raw as unknown as { spec: { cluster: Record<string, unknown> } }).spec.cluster;
  const cluster = parseFlinkCluster(clusterFromDeployment(fd, rawSpec));
  return { jobManager: jobManagerPod(cluster, 1), taskManager: taskManagerPod(cluster, 1, 1, 0) };
}

function env(pod: V1Pod): V1EnvVar[] {
  return pod.spec?.containers[0]?.env ?? [];
}

/** The Flink configuration a pod starts with (FLINK_PROPERTIES, `key: value` lines). */
function flinkProperties(pod: V1Pod): Record<string, string> {
  const text = env(pod).find((e) => e.name === 'FLINK_PROPERTIES')?.value ?? '';
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const at = line.indexOf(': ');
        return [line.slice(0, at), line.slice(at + 2)];
      }),
  );
}

describe('helm lint', () => {
  it(
    'passes --strict without jobs and with file, S3 and HA value sets',
    async () => {
      for (const values of [
        {},
        { ...fileStorage, jobs: [{ name: 'a', jarPath: jar }] },
        {
          storage: { scheme: 's3', baseDir: 'bucket/flink', s3: { credentials: { secretName: 's3' } } },
          cluster: { jobManager: { replicas: 2 } },
          jobs: [{ name: 'a', jarURI: 'https://example.com/a.jar' }],
        },
      ]) {
        expect(await helm.lint(JOBS_CHART_DIRECTORY, [values])).toContain('0 chart(s) failed');
      }
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('jobs in values', () => {
  it(
    'renders the demo: values equivalent to deploy/examples give the same FlinkDeployment',
    async () => {
      const example = parse(await readFile(DEMO_DEPLOYMENT_FILE, 'utf8')) as KubernetesObject & {
        spec: { cluster: { flinkConfiguration: Record<string, string> } };
      };
      const job = (name: string, restart: object) => ({
        name,
        jarPath: jar,
        parallelism: 1,
        savepoint: { mode: 'Automatic', interval: 30 },
        restart,
      });
      const objects = await helm.render({
        release: 'demo',
        chart: JOBS_CHART_DIRECTORY,
        namespace: 'flink-demo',
        values: [
          {
            storage: {
              scheme: 's3',
              baseDir: 'flink-state/demo',
              s3: {
                endpoint: 'http://127.0.0.1:7070',
                pathStyleAccess: true,
                plugin: 'flink-s3-fs-hadoop-1.20.5.jar',
                credentials: { secretName: 'demo-state-credentials' },
              },
            },
            metrics: { prometheus: { enabled: false } },
            bootstrap: { serviceAccount: 'default' },
            cluster: {
              taskSlots: 2,
              flinkConfiguration: example.spec.cluster.flinkConfiguration,
              supervisor: { pollingInterval: 2, taskTimeout: 60 },
            },
            jobs: [job('cars', { policy: 'Always', delay: 10 }), job('trucks', { policy: 'OnlyIfFailed' })],
          },
        ],
      });
      const [fromChart] = deployments(objects);
      const fromExample = parseFlinkDeployment(example);
      expect(deployments(objects)).toHaveLength(1);
      expect(fromChart?.metadata.name).toBe('demo');
      expect(fromChart?.spec).toEqual(fromExample.spec);
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'jobs[].upgrade sets upgradeMode, drainOnStop, maxCheckpointAge and the health gate; left out, the CRD defaults apply',
    async () => {
      const objects = await render(fileStorage, {
        jobs: [
          {
            name: 'kept',
            jarPath: jar,
            upgrade: {
              mode: 'last-state',
              drainOnStop: true,
              maxCheckpointAge: 120,
              healthCheckWindow: 90,
              maxRestarts: 2,
              rollback: true,
            },
          },
          { name: 'plain', jarPath: jar },
        ],
      });
      const jobs = deployments(objects)[0]?.spec.jobs ?? [];
      expect(jobs.find((j) => j.name === 'kept')?.spec).toMatchObject({
        upgradeMode: 'last-state',
        drainOnStop: true,
        maxCheckpointAge: 120,
        upgrade: { healthCheckWindow: 90, maxRestarts: 2, rollback: true },
      });
      expect(jobs.find((j) => j.name === 'plain')?.spec).toMatchObject({
        upgradeMode: 'savepoint',
        drainOnStop: false,
        maxCheckpointAge: 600,
        upgrade: { healthCheckWindow: 0, maxRestarts: 0, rollback: false },
      });
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    "jobs[].autoscaler is spec.autoscaler with the seed chart's names; a number utilization becomes the string the CRD takes",
    async () => {
      const objects = await render(fileStorage, {
        jobs: [
          {
            name: 'scaled',
            jarPath: jar,
            autoscaler: {
              enabled: true,
              mode: 'recommend',
              targetUtilization: 0.7,
              minParallelism: 1,
              maxParallelism: 10,
              metricsWindow: '5m',
              stabilizationInterval: '1m',
              scaleUpGracePeriod: '1m',
              scaleDownGracePeriod: '3m',
            },
          },
          { name: 'plain', jarPath: jar },
        ],
      });
      const jobs = deployments(objects)[0]?.spec.jobs ?? [];
      expect(jobs.find((j) => j.name === 'scaled')?.spec.autoscaler).toEqual({
        enabled: true,
        mode: 'recommend',
        targetUtilization: '0.7',
        targetUtilizationBoundary: '0.1',
        minParallelism: 1,
        maxParallelism: 10,
        metricsWindow: '5m',
        stabilizationInterval: '1m',
        scaleUpGracePeriod: '1m',
        scaleDownGracePeriod: '3m',
        maxRescalesPerHour: 4,
      });
      expect(jobs.find((j) => j.name === 'plain')?.spec.autoscaler).toBeUndefined();
      await expect(
        render(fileStorage, {
          jobs: [{ name: 'bad', jarPath: jar, autoscaler: { metricsWindow: '5 min' } }],
        }),
      ).rejects.toThrow(/metricsWindow/);
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'groups jobs by cluster: the release name by default, jobs[].cluster to split, clusters.<name> to override',
    async () => {
      const objects = await render(fileStorage, {
        cluster: { taskManagers: 1, flinkConfiguration: { 'heartbeat.timeout': 90000 } },
        clusters: { analytics: { taskManagers: 3, flinkConfiguration: { 'state.backend.type': 'rocksdb' } } },
        jobs: [
          { name: 'cars', jarPath: jar },
          {
            name: 'load',
            cluster: 'analytics',
            jarURI: 'https://example.com/load.jar',
            arguments: ['--rate', 100],
          },
          { name: 'trucks', jarPath: jar, parallelism: 2 },
        ],
      });
      const byName: Record<string, FlinkDeployment> = Object.fromEntries(
        deployments(objects).map((d) => [d.metadata.name ?? '', d]),
      );
      expect(Object.keys(byName)).toEqual(['rel', 'analytics']);
      expect(byName['rel']?.spec.jobs.map((j) => j.name)).toEqual(['cars', 'trucks']);
      expect(byName['rel']?.spec.jobs[1]?.spec.jobParallelism).toBe(2);
      expect(byName['analytics']?.spec.cluster.taskManagers).toBe(3);
      expect(byName['analytics']?.spec.cluster.flinkConfiguration).toMatchObject({
        'heartbeat.timeout': '90000',
        'state.backend.type': 'rocksdb',
      });
      expect(byName['rel']?.spec.cluster.flinkConfiguration?.['state.backend.type']).toBeUndefined();
      expect(byName['analytics']?.spec.jobs[0]?.spec.bootstrap.arguments).toEqual(['--rate', '100']);
      // The FlinkJobs the operator creates from them.
      const fd = byName['analytics'] as FlinkDeployment;
      const fj = jobFromDeployment(fd, fd.spec.jobs[0] as FlinkDeployment['spec']['jobs'][number], {});
      expect(fj.metadata.name).toBe('analytics-load');
      expect(fj.spec['savepoint']).toEqual({
        savepointTargetPath: 'file:///flink-data/savepoints/team/analytics/analytics-load',
      });
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'refuses jobs the operator could not run, saying why',
    async () => {
      expect(
        await failure({ jobs: [{ name: 'a', jarPath: jar, jarURI: 'https://x/a.jar' }], ...fileStorage }),
      ).toContain('job a: set exactly one of jarPath');
      expect(await failure({ jobs: [{ name: 'a' }], ...fileStorage })).toContain(
        'job a: set exactly one of jarPath',
      );
      expect(await failure({ jobs: [{ name: 'a', jarPath: jar }] })).toContain(
        'job a: its savepoints are automatic',
      );
      expect(
        await failure(fileStorage, {
          jobs: [
            { name: 'a', jarPath: jar },
            { name: 'a', jarPath: jar },
          ],
        }),
      ).toContain('job a appears twice in cluster rel');
      expect(
        await failure(fileStorage, { jobs: [{ name: 'a', cluster: 'x'.repeat(46), jarPath: jar }] }),
      ).toContain('is longer than 45 characters');
      expect(await failure(fileStorage, { jobs: [{ name: 'A', jarPath: jar }] })).toContain(
        'must be a DNS label',
      );
      expect(await failure(fileStorage, { jobs: [{ name: 'a', jarPath: jar, extra: 1 }] })).toMatch(
        /additional properties 'extra' not allowed/,
      );
      // Manual savepoints need no storage.
      const manual = await render({ jobs: [{ name: 'a', jarPath: jar, savepoint: { mode: 'Manual' } }] });
      expect(deployments(manual)[0]?.spec.jobs[0]?.spec.savepoint.savepointMode).toBe('Manual');
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('the storage helper and S3 credentials', () => {
  it(
    'derives checkpoint, savepoint and HA directories from storage.scheme and storage.baseDir',
    async () => {
      const objects = await render(fileStorage, { jobs: [{ name: 'a', jarPath: jar }] });
      const { jobManager } = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      expect(flinkProperties(jobManager)).toMatchObject({
        'execution.checkpointing.dir': 'file:///flink-data/checkpoints/team/rel',
        'execution.checkpointing.savepoint-dir': 'file:///flink-data/savepoints/team/rel',
        'high-availability.storageDir': 'file:///flink-data/ha/team/rel',
      });
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    "puts the Secret's keys into AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the JobManager and TaskManagers",
    async () => {
      const objects = await render({
        storage: {
          scheme: 's3',
          baseDir: 'flink-state/prod',
          s3: {
            endpoint: 'http://minio.storage:9000',
            pathStyleAccess: true,
            plugin: 'flink-s3-fs-hadoop-1.20.1.jar',
            credentials: {
              secretName: 's3-credentials',
              accessKeyIdKey: 'access-key',
              secretAccessKeyKey: 'secret-key',
            },
          },
        },
        jobs: [{ name: 'a', jarPath: jar }],
      });
      const { jobManager, taskManager } = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      for (const pod of [jobManager, taskManager]) {
        expect(env(pod)).toEqual(
          expect.arrayContaining([
            {
              name: 'AWS_ACCESS_KEY_ID',
              valueFrom: { secretKeyRef: { name: 's3-credentials', key: 'access-key' } },
            },
            {
              name: 'AWS_SECRET_ACCESS_KEY',
              valueFrom: { secretKeyRef: { name: 's3-credentials', key: 'secret-key' } },
            },
            { name: 'ENABLE_BUILT_IN_PLUGINS', value: 'flink-s3-fs-hadoop-1.20.1.jar' },
          ]),
        );
        expect(flinkProperties(pod)).toMatchObject({
          'execution.checkpointing.dir': 's3://flink-state/prod/checkpoints/team/rel',
          's3.endpoint': 'http://minio.storage:9000',
          's3.path.style.access': 'true',
        });
        // The credentials never appear in the configuration.
        expect(JSON.stringify(flinkProperties(pod))).not.toMatch(/access-key|secret-key/);
      }
      expect(
        await failure({
          storage: { scheme: 'file', baseDir: '/d', s3: { credentials: { secretName: 's' } } },
        }),
      ).toContain('storage.s3 settings need storage.scheme s3, s3a or s3p');
      expect(await failure({ storage: { scheme: 'file', baseDir: 'relative/dir' } })).toContain(
        'storage.baseDir must be an absolute path with scheme file',
      );
      expect(await failure({ storage: { scheme: 's3', baseDir: '/bucket' } })).toContain(
        'storage.baseDir must start with the bucket or authority with scheme s3',
      );
      expect(await failure({ storage: { scheme: 's3' } })).toContain('storage.baseDir is required');
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('JobManager HA', () => {
  it(
    'turns on Kubernetes HA when jobManager.replicas > 1, with a ServiceAccount holding FLINK_KUBERNETES_HA_RULES',
    async () => {
      const objects = await render(fileStorage, {
        cluster: { jobManager: { replicas: 2 } },
        jobs: [{ name: 'a', jarPath: jar }],
      });
      const { jobManager, taskManager } = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      expect(flinkProperties(jobManager)).toMatchObject({
        'high-availability.type': 'kubernetes',
        'kubernetes.cluster-id': 'rel',
        'kubernetes.namespace': NS,
        'high-availability.storageDir': 'file:///flink-data/ha/team/rel',
      });
      const spec = (
        one(objects, 'FlinkDeployment', 'rel') as unknown as { spec: { cluster: FlinkClusterSpecInput } }
      ).spec.cluster;
      expect(spec.jobManager?.replicas).toBe(2);
      expect(jobManager.metadata?.name).toBe('jobmanager-rel-1-0');
      expect(env(jobManager).find((e) => e.name === 'JOB_MANAGER_RPC_ADDRESS')?.value).toBe('$(POD_IP)');
      expect(jobManager.spec?.serviceAccountName).toBe('rel-flink-ha');
      expect(taskManager.spec?.serviceAccountName).toBe('rel-flink-ha');
      expect(rulesOf(one(objects, 'Role', 'rel-flink-ha', NS))).toEqual(FLINK_KUBERNETES_HA_RULES);
      const binding = one(objects, 'RoleBinding', 'rel-flink-ha', NS);
      expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'rel-flink-ha', namespace: NS }]);
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'leaves HA off with one JobManager, and refuses HA without durable storage',
    async () => {
      const objects = await render(fileStorage, { jobs: [{ name: 'a', jarPath: jar }] });
      const { jobManager } = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      expect(flinkProperties(jobManager)['high-availability.type']).toBeUndefined();
      expect(
        (one(objects, 'FlinkDeployment', 'rel') as unknown as { spec: { cluster: FlinkClusterSpecInput } })
          .spec.cluster.jobManager?.replicas,
      ).toBe(1);
      expect(jobManager.spec?.serviceAccountName).toBe('default');
      expect(ofKind(objects, 'Role')).toEqual([]);
      expect(
        await failure({
          cluster: { jobManager: { replicas: 3 } },
          jobs: [{ name: 'a', jarPath: jar, savepoint: { mode: 'Manual' } }],
        }),
      ).toContain(
        'jobManager.replicas > 1 turns on Kubernetes HA, which keeps its metadata on durable storage',
      );
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'decides per cluster: only the cluster with replicas > 1 gets HA and the HA ServiceAccount',
    async () => {
      const objects = await render(fileStorage, {
        cluster: { jobManager: { replicas: 1 } },
        clusters: { ha: { jobManager: { replicas: 2 } } },
        jobs: [
          { name: 'a', jarPath: jar },
          { name: 'b', cluster: 'ha', jarPath: jar },
        ],
      });
      const plain = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      const ha = podsOf(one(objects, 'FlinkDeployment', 'ha'));
      for (const pod of [plain.jobManager, plain.taskManager]) {
        expect(
          Object.keys(flinkProperties(pod)).filter((k) =>
            /^(high-availability\.(type|jobmanager)|kubernetes\.)/.test(k),
          ),
        ).toEqual([]);
        expect(pod.spec?.serviceAccountName).toBe('default');
      }
      for (const pod of [ha.jobManager, ha.taskManager]) {
        expect(flinkProperties(pod)).toMatchObject({
          'high-availability.type': 'kubernetes',
          'kubernetes.cluster-id': 'ha',
        });
        expect(pod.spec?.serviceAccountName).toBe('rel-flink-ha');
      }
      expect(ofKind(objects, 'Role').map((r) => r.metadata?.name)).toEqual(['rel-flink-ha']);
      // Without any cluster over 1, no HA object at all.
      const none = await render(fileStorage, {
        cluster: { jobManager: { replicas: 1 } },
        clusters: { other: { jobManager: { replicas: 1 } } },
        jobs: [
          { name: 'a', jarPath: jar },
          { name: 'b', cluster: 'other', jarPath: jar },
        ],
      });
      expect(ofKind(none, 'ServiceAccount')).toEqual([]);
      expect(ofKind(none, 'Role')).toEqual([]);
      expect(ofKind(none, 'RoleBinding')).toEqual([]);
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('the HA + S3 example of the README (examples/ha-s3.yaml)', () => {
  it(
    'is in the README as it is in the file, passes lint and renders one HA cluster on S3 with three jobs',
    async () => {
      const text = await readFile(JOBS_CHART_HA_S3_VALUES_FILE, 'utf8');
      const readme = await readFile(`${JOBS_CHART_DIRECTORY}/README.md`, 'utf8');
      expect(readme).toContain(`\`\`\`yaml\n${text}\`\`\``);
      const values = parse(text) as object;
      expect(await helm.lint(JOBS_CHART_DIRECTORY, [values])).toContain('0 chart(s) failed');
      const objects = await helm.render({
        release: 'streaming',
        chart: JOBS_CHART_DIRECTORY,
        namespace: 'flink-jobs',
        values: [values],
      });
      const [fd, ...others] = deployments(objects);
      expect(others).toEqual([]);
      expect(fd?.metadata.name).toBe('streaming');
      expect(fd?.spec.cluster.jobManager.replicas).toBe(2);
      expect(fd?.spec.jobs.map((j) => j.name)).toEqual(['cars', 'trucks', 'bikes']);
      const { jobManager, taskManager } = podsOf(one(objects, 'FlinkDeployment', 'streaming'));
      expect(flinkProperties(jobManager)).toMatchObject({
        'high-availability.type': 'kubernetes',
        'kubernetes.cluster-id': 'streaming',
        'high-availability.storageDir': 's3://flink-state/streaming/ha/flink-jobs/streaming',
      });
      for (const pod of [jobManager, taskManager]) {
        expect(pod.spec?.serviceAccountName).toBe('streaming-flink-ha');
        expect(env(pod)).toContainEqual({
          name: 'AWS_SECRET_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: 's3-credentials', key: 'AWS_SECRET_ACCESS_KEY' } },
        });
      }
      expect(rulesOf(one(objects, 'Role', 'streaming-flink-ha', 'flink-jobs'))).toEqual(
        FLINK_KUBERNETES_HA_RULES,
      );
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('Prometheus', () => {
  it(
    "configures Flink's reporter, declares its port and annotates the pods for scraping",
    async () => {
      const objects = await render(fileStorage, {
        metrics: { prometheus: { port: 9300 } },
        cluster: { jobManager: { annotations: { team: 'x' } } },
        jobs: [{ name: 'a', jarPath: jar }],
      });
      const { jobManager, taskManager } = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      for (const pod of [jobManager, taskManager]) {
        expect(flinkProperties(pod)).toMatchObject({
          'metrics.reporter.prom.factory.class':
            'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
          'metrics.reporter.prom.port': '9300',
        });
        expect(pod.metadata?.annotations).toMatchObject({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '9300',
          'prometheus.io/path': '/metrics',
        });
        expect(pod.spec?.containers[0]?.ports).toContainEqual({
          name: 'metrics',
          containerPort: 9300,
          protocol: 'TCP',
        });
      }
      expect(jobManager.metadata?.annotations?.['team']).toBe('x');
      // The chart passes the setting through; the supervisor derives the rest from the spec.
      const [fd] = deployments(objects);
      expect(fd?.spec.cluster.metrics).toEqual({
        prometheus: { enabled: true, port: 9300, scrapeAnnotations: true },
      });
      expect(fd?.spec.cluster.flinkConfiguration).toBeUndefined();
      const off = await render(fileStorage, {
        metrics: { prometheus: { enabled: false } },
        jobs: [{ name: 'a', jarPath: jar }],
      });
      const quiet = podsOf(one(off, 'FlinkDeployment', 'rel')).jobManager;
      expect(Object.keys(flinkProperties(quiet)).some((k) => k.startsWith('metrics.reporter'))).toBe(false);
      expect(quiet.metadata?.annotations).toBeUndefined();
      expect(ofKind(off, 'PodMonitor')).toEqual([]);
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it(
    'renders a PodMonitor per cluster on request, selecting exactly its JobManager and TaskManager pods',
    async () => {
      expect(
        ofKind(await render(fileStorage, { jobs: [{ name: 'a', jarPath: jar }] }), 'PodMonitor'),
      ).toEqual([]);
      const objects = await render(fileStorage, {
        metrics: {
          prometheus: { podMonitor: { enabled: true, interval: '15s', labels: { release: 'kps' } } },
        },
        jobs: [
          { name: 'a', jarPath: jar },
          { name: 'b', cluster: 'other', jarPath: jar },
        ],
      });
      const monitors = ofKind(objects, 'PodMonitor');
      expect(monitors.map((m) => m.metadata?.name)).toEqual(['rel-flink', 'other-flink']);
      const monitor = one(objects, 'PodMonitor', 'rel-flink', NS);
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.metadata?.labels?.['release']).toBe('kps');
      const spec = monitor['spec'] as {
        selector: {
          matchLabels: Record<string, string>;
          matchExpressions: { key: string; operator: string; values: string[] }[];
        };
        podMetricsEndpoints: { port: string; path: string; interval: string }[];
      };
      expect(spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
      // Matched against the pods the supervisor builds for each cluster, and the port they declare.
      const selects = (pod: V1Pod) =>
        Object.entries(spec.selector.matchLabels).every(([k, v]) => pod.metadata?.labels?.[k] === v) &&
        spec.selector.matchExpressions.every((e) => e.values.includes(pod.metadata?.labels?.[e.key] ?? ''));
      const mine = podsOf(one(objects, 'FlinkDeployment', 'rel'));
      const theirs = podsOf(one(objects, 'FlinkDeployment', 'other'));
      expect(selects(mine.jobManager) && selects(mine.taskManager)).toBe(true);
      expect(selects(theirs.jobManager) || selects(theirs.taskManager)).toBe(false);
      expect(mine.taskManager.spec?.containers[0]?.ports?.map((p) => p.name)).toContain('metrics');
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('the state backend', () => {
  it(
    'passes cluster.stateBackend to spec.cluster.stateBackend, per cluster; RocksDB is incremental by default',
    async () => {
      const objects = await render(fileStorage, {
        cluster: { stateBackend: { type: 'rocksdb' } },
        clusters: {
          small: { stateBackend: { type: 'hashmap' } },
          full: { stateBackend: { incremental: false } },
        },
        jobs: [
          { name: 'a', jarPath: jar },
          { name: 'b', cluster: 'small', jarPath: jar },
          { name: 'c', cluster: 'full', jarPath: jar },
        ],
      });
      const byName = Object.fromEntries(deployments(objects).map((d) => [d.metadata.name ?? '', d]));
      expect(byName['rel']?.spec.cluster.stateBackend).toEqual({ type: 'rocksdb' });
      expect(byName['small']?.spec.cluster.stateBackend).toEqual({ type: 'hashmap' });
      expect(byName['full']?.spec.cluster.stateBackend).toEqual({ type: 'rocksdb', incremental: false });
      const props = (name: string) =>
        flinkProperties(podsOf(one(objects, 'FlinkDeployment', name)).taskManager);
      expect(props('rel')).toMatchObject({
        'state.backend.type': 'rocksdb',
        'execution.checkpointing.incremental': 'true',
      });
      expect(props('small')['state.backend.type']).toBe('hashmap');
      expect(props('full')['execution.checkpointing.incremental']).toBe('false');
      const none = await render(fileStorage, { jobs: [{ name: 'a', jarPath: jar }] });
      expect(deployments(none)[0]?.spec.cluster.stateBackend).toBeUndefined();
      expect(await failure(fileStorage, { cluster: { stateBackend: { type: 'forst' } } })).toContain(
        'stateBackend',
      );
    },
    HELM_TEST_TIMEOUT_MS,
  );
});

describe('ServiceAccounts for a namespace the operator chart did not prepare', () => {
  it(
    'creates the supervisor with SUPERVISOR_RULES and the bootstrap without rights or token',
    async () => {
      const objects = await render({ serviceAccounts: { create: true } });
      expect(rulesOf(one(objects, 'Role', 'flinkvisor-supervisor', NS))).toEqual(SUPERVISOR_RULES);
      expect(one(objects, 'RoleBinding', 'flinkvisor-supervisor', NS)['subjects']).toEqual([
        { kind: 'ServiceAccount', name: 'flinkvisor-supervisor', namespace: NS },
      ]);
      expect(one(objects, 'ServiceAccount', 'flinkvisor-bootstrap', NS)['automountServiceAccountToken']).toBe(
        false,
      );
      expect(ofKind(objects, 'RoleBinding')).toHaveLength(1);
      expect(ofKind(await render({}), 'ServiceAccount')).toEqual([]);
    },
    HELM_TEST_TIMEOUT_MS,
  );
});
