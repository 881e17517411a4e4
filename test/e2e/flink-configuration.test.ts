// The precedence of Flink configuration on a real cluster (docs/flink-configuration.md): a ConfigMap
// carrying FLINK_PROPERTIES, referenced through spec.jobManager.environmentFrom as in the Flink
// Kubernetes toolbox's demo, reaches the JobManager; spec.flinkConfiguration beats it on a key both
// set; a key Flinkvisor owns (rest.port) beats both. What counts is what the running JobManager
// reports as its configuration, read from its REST API.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJson,
  flinkRest,
  startSupervisedEnvironment,
  supervisedNamespace,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-flink-config';
const cluster = 'layers';

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await s.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: { name: 'flink-properties' },
      data: { FLINK_PROPERTIES: 'web.refresh-interval: 12345\nweb.timeout: 7777\nrest.port: 9999\n' },
    },
  });
  const manifest = flinkClusterManifest(ns, cluster, {
    taskManagers: 0,
    rescalePolicy: 'None',
    flinkConfiguration: { 'web.timeout': '8888' },
  });
  const spec = manifest.spec as Record<string, unknown>;
  spec['jobManager'] = { environmentFrom: [{ configMapRef: { name: 'flink-properties' } }] };
  await createResource(s.kc, manifest);
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe('Flink configuration from a ConfigMap, the spec and Flinkvisor', () => {
  it('applies the ConfigMap’s keys, lets spec.flinkConfiguration beat it, and keeps rest.port', async () => {
    // flinkRest addresses port 8081: that the JobManager answers there is already rest.port's test.
    const entries = await waitFor(
      'the JobManager configuration over REST',
      async () => {
        const baseUrl = await flinkRest(s, ns, cluster).catch(() => undefined);
        if (!baseUrl) return undefined;
        return flinkJson<{ key: string; value: string }[]>(`${baseUrl}/jobmanager/config`).catch(
          () => undefined,
        );
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const config = Object.fromEntries(entries.map((e) => [e.key, e.value]));
    expect(config['web.refresh-interval']).toBe('12345');
    expect(config['web.timeout']).toBe('8888');
    expect(config['rest.port']).toBe('8081');
  });
});
