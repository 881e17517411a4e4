// Every place that builds a URL from a pod IP or host, or matches a pod by the address Flink reports,
// with IPv6 pod IPs (single-stack IPv6 and dual-stack clusters): the URL brackets the literal, and
// Flink's spelling of an address (Java's full form) matches Kubernetes' compressed one.
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import { isLoopbackAddress, visualizerUrl } from '../../../src/cli/commands/visualize.ts';
import { connectionFrom } from '../../../src/cli/control-api-client.ts';
import { startControlApi, type ControlApi } from '../../../src/control-api/control-api-server.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { systemClock, type Clock } from '../../../src/kube/clock.ts';
import { clusterEffects } from '../../../src/supervisor/machine-effects.ts';
import {
  HA_LEADER_ANNOTATION,
  haClusterConfigMapName,
  jobManagerLeaderOf,
} from '../../../src/supervisor/observer.ts';
import type { OwnedObjects } from '../../../src/supervisor/owned-objects.ts';
import { taskManagerPod } from '../../../src/supervisor/resource-builders.ts';
import { hostAllowed } from '../../../src/visualizer/debug-routes.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

const cluster = parseFlinkCluster(
  structuredClone(validFixtures().find((f) => f.file === 'cluster-minimal.yaml')?.resource),
);
const instant: Clock = { ...systemClock, sleep: async () => undefined };

/** A TaskManager pod of epoch 1 at `podIP`, Running, as the API server returns it. */
function runningTaskManager(index: number, podIP: string): V1Pod {
  const pod = taskManagerPod(cluster, 1, 2, index);
  return { ...pod, status: { phase: 'Running', podIP } };
}

describe('IPv6 pod IPs', () => {
  let api: ControlApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('scale-down removes the idle TaskManager whose IPv6 address Flink spells in full', async () => {
    const pods = [runningTaskManager(0, 'fd00:10:244::a'), runningTaskManager(1, 'fd00:10:244::b')];
    const deleted: string[] = [];
    const flink = {
      // Java writes IPv6 addresses in full: fd00:10:244:0:0:0:0:b.
      listTaskManagers: async () => [
        { id: 'fd00:10:244:0:0:0:0:a:6122-0a1b2c', slotsNumber: 2, freeSlots: 1 },
        { id: 'fd00:10:244:0:0:0:0:b:6122-3d4e5f', slotsNumber: 2, freeSlots: 2 },
      ],
      listJobs: async () => [],
    } as unknown as FlinkRestClient;
    const effects = clusterEffects({
      clock: instant,
      objects: { deletePod: async (name: string) => void deleted.push(name) } as unknown as OwnedObjects,
      flink: () => flink,
      cluster: () => cluster,
      pods: () => pods,
      flinkTimeoutMs: 1000,
      log: () => undefined,
    });
    const actor = createActor(effects.scaleTaskManagers, {
      input: { epoch: 1, taskSlots: 2, desired: 1, removeIdleSurplus: true },
    });
    actor.start();
    const result = await toPromise(actor);
    expect(result.deleted).toBe(1);
    expect(deleted).toEqual([pods[1]?.metadata?.name]);
  });

  it('the HA leader record names the JobManager pod at an IPv6 address, in either spelling', () => {
    const pods: V1Pod[] = ['fd00:10:244::10', 'fd00:10:244::11'].map((podIP, i) => ({
      metadata: { name: `jobmanager-minimal-1-${i}` },
      status: { phase: 'Running', podIP },
    }));
    const record = (address: string): V1ConfigMap => ({
      metadata: {
        name: haClusterConfigMapName('minimal'),
        annotations: { [HA_LEADER_ANNOTATION]: JSON.stringify({ holderIdentity: 'lock-1' }) },
      },
      data: { 'org.apache.flink.k8s.leader.restserver': `${address},a1b2c3` },
    });
    for (const address of [
      'http://[fd00:10:244:0:0:0:0:11]:8081',
      'http://[fd00:10:244::11]:8081',
      'pekko.tcp://flink@[FD00:10:244::11]:6123/user/rpc/dispatcher_1',
    ]) {
      expect(jobManagerLeaderOf(record(address), pods), address).toEqual({
        id: 'lock-1',
        pod: 'jobmanager-minimal-1-1',
      });
    }
    expect(jobManagerLeaderOf(record('http://[fd00:10:244::12]:8081'), pods)?.pod).toBeNull();
  });

  it('the visualize command brackets an IPv6 supervisor pod IP, and knows IPv6 loopback in any spelling', () => {
    expect(visualizerUrl('fd00:10:244::7', 8090)).toBe('http://[fd00:10:244::7]:8090/debug/');
    expect(new URL('machines', visualizerUrl('fd00:10:244::7', 8090)).href).toBe(
      'http://[fd00:10:244::7]:8090/debug/machines',
    );
    expect(visualizerUrl('10.244.0.7', 8090)).toBe('http://10.244.0.7:8090/debug/');
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackAddress('::ffff:127.0.0.5')).toBe(true);
    expect(isLoopbackAddress('fd00::1')).toBe(false);
  });

  it("the visualizer accepts an IPv6 pod IP's Host header, and no name that merely looks like one", () => {
    expect(hostAllowed('[fd00:10:244::7]:8090')).toBe(true);
    expect(hostAllowed('[fd00:10:244::7]')).toBe(true);
    expect(hostAllowed('fd00.nip.io:8090')).toBe(false);
  });

  it('the CLI reaches a control API at an IPv6 address', async () => {
    const connection = await connectionFrom(
      { host: 'fd00:10:96::4', port: '4444', plainHttp: true, token: 't', output: 'table' },
      { env: {}, stdout: process.stdout, stderr: process.stderr },
    );
    expect(connection.baseUrl).toBe('http://[fd00:10:96::4]:4444');
  });

  it('the control API bound to an IPv6 address reports a URL that reaches it', async () => {
    api = await startControlApi({
      kubeConfig: new KubeConfig(),
      namespaces: ['team-a'],
      host: '::1',
      port: 0,
      insecureHttp: true,
      flinkClient: () => {
        throw new Error('no Flink in this test');
      },
      log: pino({ level: 'silent' }),
      clock: systemClock,
      tokenReviewer: async () => undefined,
      accessReviewer: async () => ({ allowed: false }),
      resources: new InMemoryCustomResources(),
    });
    expect(api.url).toBe(`http://[::1]:${api.port}`);
    const response = await fetch(`${api.url}/api/v1/namespaces/team-a/flinkjobs`);
    expect(response.status).toBe(401);
  });
});
