// spec.stateBackend and spec.metrics: what they derive (Flink configuration, ports, annotations),
// that what a user writes still wins, and what a Flink pod built from them starts with once the
// local node agent has read its environment (the node agent's one local difference: a Prometheus
// port becomes a range, because every local pod shares the host's network).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { metricsConfiguration, metricsPodAdditions } from '../../../src/api/metrics.ts';
import { API_GROUP_VERSION } from '../../../src/api/names.ts';
import { parseFlinkCluster, safeParseFlinkClusterSpec } from '../../../src/api/parse.ts';
import { stateBackendConfiguration } from '../../../src/api/state-backend.ts';
import { derivedFlinkConfiguration } from '../../../src/api/storage.ts';
import { specDigest } from '../../../src/machines/ids.ts';
import { containerEnvironment } from '../../../src/node-agent/container-env.ts';
import { planFlinkEntrypoint, PROMETHEUS_PORT_RANGE } from '../../../src/node-agent/flink-entrypoint.ts';
import { jobManagerPod, taskManagerPod } from '../../../src/supervisor/resource-builders.ts';
import { clusterSpecDigest } from '../../../src/supervisor/spec-policies.ts';
import { parseFlinkClusterSpecOrThrow } from './helpers.ts';

const BASE = { runtime: { image: 'flink:1.20' }, supervisor: { image: 'flinkvisor:0.1.0' } };

function cluster(spec: Record<string, unknown>) {
  return parseFlinkCluster({
    apiVersion: API_GROUP_VERSION,
    kind: 'FlinkCluster',
    metadata: { name: 'demo', namespace: 'team-a', uid: 'uid-demo' },
    spec: { ...BASE, ...spec },
  });
}

function mainContainer(pod: V1Pod): V1Container {
  const container = pod.spec?.containers[0];
  if (!container) throw new Error('no container');
  return container;
}

/** The configuration Flink starts with in `pod`, as the node agent renders it on pod IP `podIp`. */
async function startedConfig(pod: V1Pod, podIp = '127.0.0.30') {
  const container = mainContainer(pod);
  const env = await containerEnvironment(
    pod,
    container,
    { podIp, nodeName: 'node', hostIp: '127.0.0.1' },
    {
      configMap: () => Promise.resolve(undefined),
      secret: () => Promise.resolve(undefined),
      serviceAccountToken: () => Promise.resolve(undefined),
    },
  );
  return planFlinkEntrypoint({ args: container.args ?? [], env, distributionConfig: {}, podIp }).config;
}

describe('spec.stateBackend', () => {
  it('rocksdb is incremental unless told otherwise; hashmap sets the type alone', () => {
    expect(stateBackendConfiguration(undefined)).toEqual({});
    expect(stateBackendConfiguration({ type: 'rocksdb' })).toEqual({
      'state.backend.type': 'rocksdb',
      'execution.checkpointing.incremental': 'true',
    });
    expect(stateBackendConfiguration({ type: 'rocksdb', incremental: false })).toEqual({
      'state.backend.type': 'rocksdb',
      'execution.checkpointing.incremental': 'false',
    });
    expect(stateBackendConfiguration({ type: 'hashmap' })).toEqual({ 'state.backend.type': 'hashmap' });
  });

  it('refuses incremental checkpoints with hashmap, naming the field', () => {
    const refused = safeParseFlinkClusterSpec({
      ...BASE,
      stateBackend: { type: 'hashmap', incremental: true },
    });
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.error.message).toContain('stateBackend.incremental');
    expect(
      safeParseFlinkClusterSpec({ ...BASE, stateBackend: { type: 'hashmap', incremental: false } }).ok,
    ).toBe(true);
    expect(safeParseFlinkClusterSpec({ ...BASE, stateBackend: { type: 'forst' } }).ok).toBe(false);
  });

  it('is derived below flinkConfiguration, which wins by the current key or by its deprecated alias', () => {
    const derive = (flinkConfiguration?: Record<string, string>) =>
      derivedFlinkConfiguration(
        parseFlinkClusterSpecOrThrow({
          ...BASE,
          stateBackend: { type: 'rocksdb' },
          storage: { scheme: 'file', baseDir: '/flink-data' },
          ...(flinkConfiguration ? { flinkConfiguration } : {}),
        }),
        'team-a',
        'demo',
      );
    expect(derive()).toMatchObject({
      'state.backend.type': 'rocksdb',
      'execution.checkpointing.incremental': 'true',
      'execution.checkpointing.dir': 'file:///flink-data/checkpoints/team-a/demo',
    });
    // Flink reads the current key before its deprecated alias: a derived current key would beat
    // the user's alias, so it is left out.
    const aliased = derive({
      'state.backend.incremental': 'false',
      'state.backend': 'hashmap',
      'state.checkpoints.dir': 'file:///mine',
    });
    expect(aliased['execution.checkpointing.incremental']).toBeUndefined();
    expect(aliased['state.backend.type']).toBeUndefined();
    expect(aliased['execution.checkpointing.dir']).toBeUndefined();
    expect(aliased['execution.checkpointing.savepoint-dir']).toBe(
      'file:///flink-data/savepoints/team-a/demo',
    );
  });

  it('reaches the TaskManager’s started configuration; the current key in flinkConfiguration wins', async () => {
    const config = await startedConfig(
      taskManagerPod(cluster({ stateBackend: { type: 'rocksdb' } }), 1, 1, 0),
    );
    expect(config['state.backend.type']).toBe('rocksdb');
    expect(String(config['execution.checkpointing.incremental'])).toBe('true');
    const overridden = await startedConfig(
      taskManagerPod(
        cluster({
          stateBackend: { type: 'rocksdb' },
          flinkConfiguration: { 'execution.checkpointing.incremental': 'false' },
        }),
        1,
        1,
        0,
      ),
    );
    expect(String(overridden['execution.checkpointing.incremental'])).toBe('false');
  });
});

describe('spec.metrics.prometheus', () => {
  it('derives the reporter, its port, a named container port and scrape annotations', () => {
    const on = parseFlinkClusterSpecOrThrow({ ...BASE, metrics: { prometheus: {} } }).metrics;
    expect(metricsConfiguration(on)).toEqual({
      'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
      'metrics.reporter.prom.port': '9249',
    });
    expect(metricsPodAdditions(on)).toEqual({
      ports: [{ name: 'metrics', containerPort: 9249, protocol: 'TCP' }],
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9249',
        'prometheus.io/path': '/metrics',
      },
    });
    const quiet = parseFlinkClusterSpecOrThrow({
      ...BASE,
      metrics: { prometheus: { port: 9300, scrapeAnnotations: false } },
    }).metrics;
    expect(metricsConfiguration(quiet)['metrics.reporter.prom.port']).toBe('9300');
    expect(metricsPodAdditions(quiet).annotations).toEqual({});
    const off = parseFlinkClusterSpecOrThrow({
      ...BASE,
      metrics: { prometheus: { enabled: false } },
    }).metrics;
    expect(metricsConfiguration(off)).toEqual({});
    expect(metricsPodAdditions(off)).toEqual({ ports: [], annotations: {} });
    expect(metricsConfiguration(undefined)).toEqual({});
    expect(safeParseFlinkClusterSpec({ ...BASE, metrics: { prometheus: { port: 80 } } }).ok).toBe(false);
  });

  it('puts the port and annotations on the JobManager and TaskManager pods; the pod spec’s own win', () => {
    const c = cluster({
      metrics: { prometheus: {} },
      jobManager: { annotations: { 'prometheus.io/scrape': 'false', team: 'x' } },
      taskManager: { extraPorts: [{ name: 'metrics', containerPort: 9249 }] },
    });
    const jm = jobManagerPod(c, 1);
    const tm = taskManagerPod(c, 1, 1, 0);
    expect(jm.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'false',
      'prometheus.io/port': '9249',
      'prometheus.io/path': '/metrics',
      team: 'x',
    });
    expect(tm.metadata?.annotations?.['prometheus.io/scrape']).toBe('true');
    expect(mainContainer(jm).ports?.filter((p) => p.name === 'metrics')).toEqual([
      { name: 'metrics', containerPort: 9249, protocol: 'TCP' },
    ]);
    // The user's declaration of the same port is kept, not doubled (names must be unique).
    expect(mainContainer(tm).ports?.filter((p) => p.containerPort === 9249)).toHaveLength(1);
    const plain = jobManagerPod(cluster({}), 1);
    expect(plain.metadata?.annotations).toBeUndefined();
    expect(mainContainer(plain).ports?.some((p) => p.name === 'metrics')).toBe(false);
  });

  it('locally, the single port becomes a range from it (pods share the host network); a range is kept', async () => {
    const config = await startedConfig(
      jobManagerPod(cluster({ metrics: { prometheus: { port: 9300 } } }), 1),
    );
    expect(config['metrics.reporter.prom.factory.class']).toBe(
      'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
    );
    expect(config['metrics.reporter.prom.port']).toBe(`9300-${9300 + PROMETHEUS_PORT_RANGE - 1}`);
    const ranged = await startedConfig(
      jobManagerPod(
        cluster({
          metrics: { prometheus: {} },
          flinkConfiguration: { 'metrics.reporter.prom.port': '9400-9401' },
        }),
        1,
      ),
    );
    expect(ranged['metrics.reporter.prom.port']).toBe('9400-9401');
    // A reporter configured by hand (no port: Flink's 9249) is widened the same way.
    const byHand = await startedConfig(
      jobManagerPod(
        cluster({
          flinkConfiguration: {
            'metrics.reporter.p2.factory.class':
              'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
          },
        }),
        1,
      ),
    );
    expect(byHand['metrics.reporter.p2.port']).toBe(`9249-${9249 + PROMETHEUS_PORT_RANGE - 1}`);
  });
});

describe('the cluster digest', () => {
  it('is unchanged for clusters without the new settings, and changes when one is set', () => {
    const plain = cluster({});
    const s = plain.spec;
    // The digest's shape before spec.stateBackend and spec.metrics existed: no restart on upgrade.
    expect(clusterSpecDigest(plain)).toBe(
      specDigest({
        runtime: s.runtime,
        jobManager: s.jobManager,
        taskManager: s.taskManager,
        flinkConfiguration: {},
        storage: null,
      }),
    );
    expect(clusterSpecDigest(cluster({ stateBackend: { type: 'rocksdb' } }))).not.toBe(
      clusterSpecDigest(plain),
    );
    expect(clusterSpecDigest(cluster({ metrics: { prometheus: {} } }))).not.toBe(clusterSpecDigest(plain));
  });
});
