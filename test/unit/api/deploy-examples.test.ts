// The examples of deploy/examples, read as the API server and Flinkvisor read them: every custom
// resource parses with our schema (defaults, rules), and the Flink Kubernetes Toolbox's demo gets
// the Flink settings of its ConfigMaps where Flink reads them. Its JobManager and TaskManager pods
// are built as the supervisor builds them, their environment as a kubelet builds it (envFrom, then
// env with `$(VAR)` expanded, here by the node agent's code), and the configuration as the image's
// entrypoint composes it. The e2e test (test/e2e/helm-install.test.ts) runs the same file.
import type { V1Pod } from '@kubernetes/client-node';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MANAGED_FLINK_KEYS, SECRET_FLINK_KEYS } from '../../../src/api/flink-cluster.ts';
import { parseFlinkCluster, parseFlinkDeployment, safeParseFlinkDeployment } from '../../../src/api/parse.ts';
import { containerEnvironment } from '../../../src/node-agent/container-env.ts';
import type { VolumeSources } from '../../../src/node-agent/volumes.ts';
import { parseFlinkProperties, planFlinkEntrypoint } from '../../../src/node-agent/flink-entrypoint.ts';
import { clusterFromDeployment, jobFromDeployment } from '../../../src/operator/deployment-children.ts';
import { jobManagerPod, taskManagerPod } from '../../../src/supervisor/resource-builders.ts';
import { EXAMPLES_DIRECTORY, TOOLBOX_DEMO_FILE } from '../../support/examples.ts';

type Document = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<
  string,
  unknown
>;

async function documents(file: string): Promise<Document[]> {
  return parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJS() as Document);
}

const configMapData = (doc: Document) => (doc['data'] ?? {}) as Record<string, string>;

describe('deploy/examples', () => {
  it('holds FlinkDeployments that parse with the schema, and the ConfigMaps they reference', async () => {
    const files = (await readdir(EXAMPLES_DIRECTORY)).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(
      expect.arrayContaining(['flinkdeployment-demo.yaml', 'flinkdeployment-toolbox-demo.yaml']),
    );
    for (const file of files) {
      const docs = await documents(join(EXAMPLES_DIRECTORY, file));
      const deployments = docs.filter((d) => d.kind === 'FlinkDeployment');
      expect(deployments.length, file).toBeGreaterThan(0);
      expect(
        docs.every((d) => d.kind === 'FlinkDeployment' || d.kind === 'ConfigMap'),
        file,
      ).toBe(true);
      for (const raw of deployments) {
        expect(raw.apiVersion).toBe('flinkvisor.io/v1');
        const parsed = safeParseFlinkDeployment(raw);
        expect(parsed.ok ? 'ok' : parsed.error.message, file).toBe('ok');
        if (!parsed.ok) continue;
        const { jobManager, taskManager } = parsed.value.spec.cluster;
        // Every ConfigMap a pod takes its environment from is applied with it, in its namespace.
        for (const from of [...(jobManager.environmentFrom ?? []), ...(taskManager.environmentFrom ?? [])]) {
          if (!from.configMapRef) continue;
          const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === from.configMapRef?.name);
          expect(cm, `${file}: ConfigMap ${from.configMapRef.name}`).toBeDefined();
          expect(cm?.metadata.namespace).toBe(raw.metadata.namespace);
        }
        for (const job of parsed.value.spec.jobs) {
          expect(job.spec.bootstrap.jarPath).toMatch(/^\/opt\/flinkvisor\/examples\/1\.20\/\w+\.jar$/);
        }
      }
    }
  });
});

describe('the Flink Kubernetes Toolbox demo', () => {
  const secret = { AWS_ACCESS_KEY_ID: 'access-key-id', AWS_SECRET_ACCESS_KEY: 'secret-access-key' };

  async function toolboxDemo() {
    const docs = await documents(TOOLBOX_DEMO_FILE);
    const raw = docs.find((d) => d.kind === 'FlinkDeployment') as Document;
    const configMaps = docs.filter((d) => d.kind === 'ConfigMap');
    const deployment = parseFlinkDeployment(raw);
    const rawCluster = (raw as unknown as { spec: { cluster: Record<string, unknown> } }).spec.cluster;
    const cluster = parseFlinkCluster(clusterFromDeployment(deployment, rawCluster));
    const sources: VolumeSources = {
      configMap: (namespace, name) => {
        const cm = configMaps.find((c) => c.metadata.namespace === namespace && c.metadata.name === name);
        return Promise.resolve(cm ? configMapData(cm) : undefined);
      },
      secret: (namespace, name) =>
        Promise.resolve(
          namespace === 'flink-jobs' && name === deployment.spec.cluster.storage?.s3?.credentialsSecret?.name
            ? secret
            : undefined,
        ),
      serviceAccountToken: () => Promise.resolve(undefined),
    };
    /** What the Flink process of a pod runs with: its environment, then the entrypoint's configuration. */
    async function started(pod: V1Pod) {
      const container = pod.spec?.containers[0];
      if (!container) throw new Error('no container');
      const env = await containerEnvironment(
        pod,
        container,
        { podIp: '127.0.0.9', nodeName: 'node', hostIp: '127.0.0.1' },
        sources,
      );
      const plan = planFlinkEntrypoint({
        args: container.args ?? [],
        env,
        distributionConfig: {},
        podIp: '127.0.0.9',
      });
      return { env, config: plan.config, plugins: plan.plugins };
    }
    return { deployment, cluster, configMaps, started };
  }

  it('is the manual’s cluster: names, ConfigMaps through environmentFrom, slots and two jobs', async () => {
    const { deployment, configMaps } = await toolboxDemo();
    expect(deployment.metadata).toMatchObject({ name: 'demo', namespace: 'flink-jobs' });
    expect(configMaps.map((c) => c.metadata.name)).toEqual([
      'demo-jobmanager-properties-v1',
      'demo-taskmanager-properties-v1',
    ]);
    const { jobManager, taskManager, supervisor } = deployment.spec.cluster;
    expect(jobManager.environmentFrom).toEqual([{ configMapRef: { name: 'demo-jobmanager-properties-v1' } }]);
    expect(taskManager.environmentFrom).toEqual([
      { configMapRef: { name: 'demo-taskmanager-properties-v1' } },
    ]);
    expect(taskManager.taskSlots).toBe(1);
    expect(supervisor.rescalePolicy).toBe('JobParallelism');
    expect(deployment.spec.jobs.map((j) => j.name)).toEqual(['computeaverage', 'computemaximum']);
    for (const job of deployment.spec.jobs) {
      expect(job.spec.savepoint).toMatchObject({ savepointMode: 'Automatic', savepointInterval: 600 });
      expect(job.spec.restart).toEqual({ restartPolicy: 'Always', restartDelay: 30, restartTimeout: 120 });
      // The operator gives each FlinkJob a savepoint target under the storage helper's directory.
      const fj = jobFromDeployment(deployment, job, {});
      expect(fj.metadata.name).toBe(`demo-${job.name}`);
      expect(fj.spec['savepoint']).toEqual({
        savepointTargetPath: `s3://flink-state/toolbox-demo/savepoints/flink-jobs/demo/demo-${job.name}`,
      });
    }
  });

  it('keeps credentials and keys Flinkvisor owns out of its ConfigMaps', async () => {
    const { configMaps } = await toolboxDemo();
    for (const cm of configMaps) {
      const keys = Object.keys(parseFlinkProperties(configMapData(cm)['FLINK_PROPERTIES']));
      expect(keys.length).toBeGreaterThan(10);
      for (const forbidden of [...SECRET_FLINK_KEYS, ...Object.keys(MANAGED_FLINK_KEYS), 'rest.port']) {
        expect(keys, `${cm.metadata.name}: ${forbidden}`).not.toContain(forbidden);
      }
      // The state directories are the storage helper's, not the ConfigMap's (which would win).
      expect(keys.filter((k) => /dir$/i.test(k))).toEqual([]);
    }
  });

  it('starts the JobManager with its ConfigMap’s settings over the derived ones, Flinkvisor’s keys last', async () => {
    const { cluster, started } = await toolboxDemo();
    const { env, config, plugins } = await started(jobManagerPod(cluster, 1));
    expect(config).toMatchObject({
      'heartbeat.timeout': 90000,
      'heartbeat.interval': 15000,
      'jobmanager.memory.process.size': '600mb',
      'jobmanager.memory.flink.size': '256mb',
      'jobmanager.memory.jvm-metaspace.size': '192mb',
      'state.backend.type': 'hashmap',
      'execution.checkpointing.interval': '5min',
      'metrics.reporter.prometheus.factory.class':
        'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
      's3.connection.maximum': 200,
      // Derived from spec.cluster.storage.
      'execution.checkpointing.dir': 's3://flink-state/toolbox-demo/checkpoints/flink-jobs/demo',
      'execution.checkpointing.savepoint-dir': 's3://flink-state/toolbox-demo/savepoints/flink-jobs/demo',
      's3.endpoint': 'http://127.0.0.1:7070',
      's3.path.style.access': true,
      // Owned.
      'rest.port': 8081,
      'taskmanager.numberOfTaskSlots': 1,
    });
    // The TaskManagers' ConfigMap is not the JobManager's.
    expect(config['taskmanager.memory.process.size']).toBeUndefined();
    expect(plugins).toEqual(['flink-s3-fs-hadoop-1.20.5.jar']);
    // The credentials reach Flink's S3 client through the environment only.
    expect(env).toMatchObject(secret);
    expect(env['FLINK_PROPERTIES']).not.toContain(secret.AWS_SECRET_ACCESS_KEY);
  });

  it('starts each TaskManager with its ConfigMap’s memory settings and one slot', async () => {
    const { cluster, started } = await toolboxDemo();
    const { config } = await started(taskManagerPod(cluster, 1, cluster.spec.taskManager.taskSlots, 0));
    expect(config).toMatchObject({
      'heartbeat.timeout': 90000,
      'taskmanager.memory.process.size': '2200mb',
      'taskmanager.memory.flink.size': '1600mb',
      'taskmanager.memory.framework.heap.size': '128mb',
      'taskmanager.memory.framework.off-heap.size': '128mb',
      'taskmanager.memory.jvm-metaspace.size': '256mb',
      'taskmanager.memory.network.fraction': 0.1,
      'taskmanager.memory.managed.fraction': 0.1,
      'execution.checkpointing.dir': 's3://flink-state/toolbox-demo/checkpoints/flink-jobs/demo',
      'taskmanager.numberOfTaskSlots': 1,
    });
    expect(config['jobmanager.memory.process.size']).toBeUndefined();
  });
});
