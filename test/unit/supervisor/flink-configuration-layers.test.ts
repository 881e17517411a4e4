import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { API_GROUP_VERSION } from '../../../src/api/names.ts';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import type { FlinkConfig } from '../../../src/devenv/flink-config.ts';
import { containerEnvironment } from '../../../src/node-agent/container-env.ts';
import { planFlinkEntrypoint } from '../../../src/node-agent/flink-entrypoint.ts';
import type { VolumeSources } from '../../../src/node-agent/volumes.ts';
import {
  jobManagerPod,
  layeredFlinkProperties,
  taskManagerPod,
  USER_FLINK_PROPERTIES_ENV,
} from '../../../src/supervisor/resource-builders.ts';

// The precedence of the Flink configuration of a Flink pod, lowest to highest: (1) what the spec
// implies, (2) the user's FLINK_PROPERTIES (environmentFrom or environment), (3)
// spec.flinkConfiguration, (4) the keys Flinkvisor owns. Each case builds the pod, lets the node
// agent's kubelet logic resolve its environment (envFrom, `$(VAR)` expansion) and its entrypoint
// read FLINK_PROPERTIES: the assertions are on the configuration Flink would start with.

const NAMESPACE = 'team-a';

function cluster(overrides: { jobManager?: object; taskManager?: object; flinkConfiguration?: object } = {}) {
  return parseFlinkCluster({
    apiVersion: API_GROUP_VERSION,
    kind: 'FlinkCluster',
    metadata: { name: 'demo', namespace: NAMESPACE, uid: 'uid-demo' },
    spec: {
      runtime: { image: 'flink:1.20' },
      supervisor: { image: 'flinkvisor:0.1.0' },
      storage: { scheme: 'file', baseDir: '/flink-data' },
      taskManager: { taskSlots: 2, ...overrides.taskManager },
      ...(overrides.jobManager ? { jobManager: overrides.jobManager } : {}),
      flinkConfiguration: { 'web.refresh-interval': '1000', ...overrides.flinkConfiguration },
    },
  });
}

function sources(configMaps: Record<string, Record<string, string>>): VolumeSources {
  return {
    configMap: (_namespace, name) => Promise.resolve(configMaps[name]),
    secret: () => Promise.resolve(undefined),
    serviceAccountToken: () => Promise.resolve(undefined),
  };
}

function flinkContainer(pod: V1Pod): V1Container {
  const container = pod.spec?.containers[0];
  if (!container) throw new Error('no container');
  return container;
}

/** The configuration the JobManager (or TaskManager) of `pod` starts with. */
async function startedConfig(
  pod: V1Pod,
  configMaps: Record<string, Record<string, string>> = {},
): Promise<FlinkConfig> {
  const container = flinkContainer(pod);
  const env = await containerEnvironment(
    pod,
    container,
    { podIp: '127.0.0.20', nodeName: 'node', hostIp: '127.0.0.1' },
    sources(configMaps),
  );
  return planFlinkEntrypoint({ args: container.args ?? [], env, distributionConfig: {}, podIp: '127.0.0.20' })
    .config;
}

function flinkPropertiesEntries(pod: V1Pod) {
  return (flinkContainer(pod).env ?? []).filter((e) => e.name === 'FLINK_PROPERTIES');
}

/** A user layer touching every layer's key: one key of its own, and one each of layers 1, 3 and 4. */
const USER_LAYER = [
  'web.timeout: 777777', // the user's own key
  'execution.checkpointing.dir: file:///user/checkpoints', // derived from storage (layer 1)
  'web.refresh-interval: 5555', // set by spec.flinkConfiguration (layer 3)
  'rest.port: 9999', // owned (layer 4)
  'taskmanager.numberOfTaskSlots: 7', // owned (layer 4)
].join('\n');

const SOURCES = {
  'environmentFrom (a ConfigMap with a FLINK_PROPERTIES key)': {
    pod: { environmentFrom: [{ configMapRef: { name: 'flink-props' } }] },
  },
  'an environment entry with a literal value': {
    pod: { environment: [{ name: 'FLINK_PROPERTIES', value: USER_LAYER }] },
  },
  'an environment entry from a ConfigMap key': {
    pod: {
      environment: [
        {
          name: 'FLINK_PROPERTIES',
          valueFrom: { configMapKeyRef: { name: 'flink-props', key: 'FLINK_PROPERTIES' } },
        },
      ],
    },
  },
} as const;

describe('the Flink configuration layers of a Flink pod', () => {
  describe.each(Object.entries(SOURCES))('with the user layer from %s', (_source, { pod }) => {
    const configMaps = { 'flink-props': { FLINK_PROPERTIES: USER_LAYER } };

    it('(2) beats (1): the user overrides a derived default and adds keys of its own', async () => {
      const config = await startedConfig(jobManagerPod(cluster({ jobManager: pod }), 1), configMaps);
      expect(config['execution.checkpointing.dir']).toBe('file:///user/checkpoints');
      expect(config['web.timeout']).toBe(777777);
      // Derived keys the user does not set are still there.
      expect(config['execution.checkpointing.savepoint-dir']).toBe(
        'file:///flink-data/savepoints/team-a/demo',
      );
    });

    it('(3) beats (2): spec.flinkConfiguration overrides the user’s FLINK_PROPERTIES', async () => {
      const config = await startedConfig(jobManagerPod(cluster({ jobManager: pod }), 1), configMaps);
      expect(config['web.refresh-interval']).toBe(1000);
    });

    it('(4) beats (2): the keys Flinkvisor owns keep their values', async () => {
      const config = await startedConfig(jobManagerPod(cluster({ jobManager: pod }), 1), configMaps);
      expect(config['rest.port']).toBe(8081);
      expect(config['taskmanager.numberOfTaskSlots']).toBe(2);
    });

    it('leaves one FLINK_PROPERTIES entry, the composed one, last in the environment', () => {
      const built = jobManagerPod(cluster({ jobManager: pod }), 1);
      expect(flinkPropertiesEntries(built)).toHaveLength(1);
      expect(flinkContainer(built).env?.at(-1)?.name).toBe('FLINK_PROPERTIES');
    });
  });

  it('(4) beats (3): spec.flinkConfiguration cannot move the REST port', async () => {
    const config = await startedConfig(
      jobManagerPod(cluster({ flinkConfiguration: { 'rest.port': '9090' } }), 1),
    );
    expect(config['rest.port']).toBe(8081);
  });

  it('applies the same layers to TaskManagers', async () => {
    const pod = { environment: [{ name: 'FLINK_PROPERTIES', value: USER_LAYER }] };
    const config = await startedConfig(taskManagerPod(cluster({ taskManager: pod }), 1, 2, 0));
    expect(config['web.timeout']).toBe(777777);
    expect(config['web.refresh-interval']).toBe(1000);
    expect(config['taskmanager.numberOfTaskSlots']).toBe(2);
  });

  it('an environment entry wins over environmentFrom, as in Kubernetes', async () => {
    const pod = {
      environmentFrom: [{ configMapRef: { name: 'flink-props' } }],
      environment: [{ name: 'FLINK_PROPERTIES', value: 'web.timeout: 2222' }],
    };
    const config = await startedConfig(jobManagerPod(cluster({ jobManager: pod }), 1), {
      'flink-props': { FLINK_PROPERTIES: 'web.timeout: 1111' },
    });
    expect(config['web.timeout']).toBe(2222);
  });

  it('expands references in a literal user layer against the user’s other variables', async () => {
    const pod = {
      environment: [
        { name: 'FLINK_PROPERTIES', value: 'web.timeout: $(TIMEOUT)' },
        { name: 'TIMEOUT', value: '4242' },
      ],
    };
    const config = await startedConfig(jobManagerPod(cluster({ jobManager: pod }), 1));
    expect(config['web.timeout']).toBe(4242);
  });

  it('renames an environment entry from a key and references it, so the key can be missing', () => {
    const pod = SOURCES['an environment entry from a ConfigMap key'].pod;
    const env = flinkContainer(jobManagerPod(cluster({ jobManager: pod }), 1)).env ?? [];
    expect(env.find((e) => e.name === USER_FLINK_PROPERTIES_ENV)?.valueFrom).toEqual(
      pod.environment[0].valueFrom,
    );
    expect(env.at(-1)?.value).toContain(`$(${USER_FLINK_PROPERTIES_ENV})`);
  });

  it('without a user layer, FLINK_PROPERTIES is the merged map, one line per key, as before', () => {
    const pod = jobManagerPod(cluster(), 1);
    expect(flinkPropertiesEntries(pod).map((e) => e.value)).toEqual([
      [
        'taskmanager.numberOfTaskSlots: 2',
        'execution.checkpointing.dir: file:///flink-data/checkpoints/team-a/demo',
        'execution.checkpointing.savepoint-dir: file:///flink-data/savepoints/team-a/demo',
        'high-availability.storageDir: file:///flink-data/ha/team-a/demo',
        'web.refresh-interval: 1000',
        'rest.port: 8081',
        '',
      ].join('\n'),
    ]);
  });

  it('an environmentFrom whose prefix cannot make FLINK_PROPERTIES adds no reference', () => {
    const plain = jobManagerPod(cluster(), 1);
    const prefixed = jobManagerPod(
      cluster({
        jobManager: { environmentFrom: [{ prefix: 'APP_', configMapRef: { name: 'flink-props' } }] },
      }),
      1,
    );
    expect(flinkPropertiesEntries(prefixed)).toEqual(flinkPropertiesEntries(plain));
  });

  it('a ConfigMap without FLINK_PROPERTIES leaves the reference unexpanded, and Flink starts as without one', async () => {
    const withConfigMap = jobManagerPod(
      cluster({ jobManager: { environmentFrom: [{ configMapRef: { name: 'other' } }] } }),
      1,
    );
    expect(flinkPropertiesEntries(withConfigMap)[0]?.value).toContain('$(FLINK_PROPERTIES)');
    const started = await startedConfig(withConfigMap, { other: { UNRELATED: 'x' } });
    expect(started).toEqual(await startedConfig(jobManagerPod(cluster(), 1)));
  });

  it('layers the text lowest first, leaving out derived keys a higher layer of ours sets', () => {
    expect(
      layeredFlinkProperties({
        derived: { a: '1', b: '1' },
        user: '$(FLINK_PROPERTIES)',
        spec: { b: '3', c: '3' },
        owned: { d: '4' },
      }),
    ).toBe('a: 1\n$(FLINK_PROPERTIES)\nb: 3\nc: 3\nd: 4\n');
  });
});
