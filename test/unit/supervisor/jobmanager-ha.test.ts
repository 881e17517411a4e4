// JobManager HA on the supervisor's side: what a cluster with jobManager.replicas > 1 renders, how
// the HA leader is read, and, on in-memory ports, that a failover is followed (same job id, no
// cancel, no resubmission) and recorded, while the same 404 without HA is still a lost job.
import { KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FLINK_CLUSTER, FLINK_JOB } from '../../../src/api/names.ts';
import { parseFlinkCluster, parseFlinkDeployment, safeParseFlinkCluster } from '../../../src/api/parse.ts';
import { clusterFromDeployment } from '../../../src/operator/deployment-children.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { FlinkNotFoundError } from '../../../src/flink/errors.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import { MemoryEventRecorder } from '../../../src/kube/event-recorder.ts';
import { createRegistry } from '../../../src/observability/metrics.ts';
import {
  clusterPods,
  HA_LEADER_ANNOTATION,
  haClusterConfigMapName,
  jobManagerLeaderOf,
} from '../../../src/supervisor/observer.ts';
import type { OwnedObjectWriter } from '../../../src/supervisor/owned-objects.ts';
import {
  jobManagerPod,
  jobManagerPods,
  jobManagerService,
  taskManagerPod,
} from '../../../src/supervisor/resource-builders.ts';
import { clusterPolicy } from '../../../src/supervisor/spec-policies.ts';
import { Supervisor } from '../../../src/supervisor/supervisor.ts';
import { supervisorMetrics } from '../../../src/supervisor/supervisor-metrics.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';
import { inMemoryCaches, type MapCache } from '../../support/in-memory-caches.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';
import { flush, ManualClock } from '../../support/manual-clock.ts';

const NS = 'flink';
const JOB_ID = '0123456789abcdef0123456789abcdef';
const POLL_MS = 5000;
const STORAGE = { scheme: 'file', baseDir: '/flink-data' };

function fixture(file: string): CustomObject {
  const resource = validFixtures().find((f) => f.file === file)?.resource;
  if (!resource) throw new Error(`no fixture ${file}`);
  return structuredClone(resource) as unknown as CustomObject;
}

function haCluster(replicas = 2, extra: Record<string, unknown> = { storage: STORAGE }): CustomObject {
  const raw = fixture('cluster-minimal.yaml');
  const spec = raw.spec as Record<string, unknown>;
  return {
    ...raw,
    metadata: { ...raw.metadata, namespace: NS, uid: 'uid-c' },
    spec: { ...spec, jobManager: { replicas }, ...extra },
  };
}

function env(pod: V1Pod): Record<string, string | undefined> {
  return Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
}

describe('spec.jobManager.replicas', () => {
  it('defaults to 1, which keeps the single JobManager, its name and no HA configuration', () => {
    const cluster = parseFlinkCluster(fixture('cluster-minimal.yaml'));
    expect(cluster.spec.jobManager.replicas).toBe(1);
    const pods = jobManagerPods(cluster, 3);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['jobmanager-minimal-3']);
    expect(env(pods[0] as V1Pod)['JOB_MANAGER_RPC_ADDRESS']).toBe('jobmanager-minimal');
    expect(env(pods[0] as V1Pod)['FLINK_PROPERTIES']).not.toContain('high-availability.type');
    expect(clusterPolicy(cluster).jobManagerReplicas).toBe(1);
  });

  it('is refused above 1 without durable storage for the HA metadata', () => {
    const parsed = safeParseFlinkCluster(haCluster(2, {}));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error.message).toContain('needs durable storage');
    const own = safeParseFlinkCluster(
      haCluster(2, { flinkConfiguration: { 'high-availability.storageDir': 's3://b/ha' } }),
    );
    expect(own.ok).toBe(true);
  });

  it('above 1 renders N JobManagers of the epoch, Kubernetes HA first in FLINK_PROPERTIES and the pod IP as RPC address', () => {
    const cluster = parseFlinkCluster(haCluster(3));
    const pods = jobManagerPods(cluster, 2);
    expect(pods.map((p) => p.metadata?.name)).toEqual([
      'jobmanager-minimal-2-0',
      'jobmanager-minimal-2-1',
      'jobmanager-minimal-2-2',
    ]);
    const jm = env(pods[1] as V1Pod);
    expect(jm['JOB_MANAGER_RPC_ADDRESS']).toBe('$(POD_IP)');
    const properties = jm['FLINK_PROPERTIES'] ?? '';
    // First lines: every later layer (flinkConfiguration included) may still override them.
    expect(properties.split('\n').slice(0, 4)).toEqual([
      'high-availability.type: kubernetes',
      'kubernetes.cluster-id: minimal',
      `kubernetes.namespace: ${NS}`,
      'high-availability.jobmanager.port: 6123',
    ]);
    expect(properties).toContain('high-availability.storageDir: file:///flink-data/ha/flink/minimal');
    // TaskManagers find the leader through the same HA services; their RPC target is unchanged.
    const tm = env(taskManagerPod(cluster, 2, 1, 0));
    expect(tm['FLINK_PROPERTIES']).toContain('high-availability.type: kubernetes');
    expect(tm['JOB_MANAGER_RPC_ADDRESS']).toBe('jobmanager-minimal');
    expect(clusterPolicy(cluster).jobManagerReplicas).toBe(3);
  });
});

it('a FlinkDeployment passes cluster.jobManager.replicas to its FlinkCluster', () => {
  const raw = fixture('deployment-storage.yaml');
  const rawCluster = {
    ...((raw.spec as { cluster: Record<string, unknown> }).cluster ?? {}),
    jobManager: { replicas: 2 },
  };
  const withHa = { ...raw, spec: { ...(raw.spec as object), cluster: rawCluster } };
  const deployment = parseFlinkDeployment(withHa);
  expect(deployment.spec.cluster.jobManager.replicas).toBe(2);
  const cluster = parseFlinkCluster(clusterFromDeployment(deployment, rawCluster));
  expect(cluster.spec.jobManager.replicas).toBe(2);
  expect(jobManagerPods(cluster, 1)).toHaveLength(2);
});

describe('the HA leader record', () => {
  const cluster = parseFlinkCluster(haCluster());
  const pods = jobManagerPods(cluster, 1).map((p, i) => ({
    ...p,
    metadata: { ...p.metadata, namespace: NS },
    status: { phase: 'Running', podIP: `127.0.0.${10 + i}` },
  }));
  const record = (holder: string, restAddress: string): V1ConfigMap => ({
    metadata: {
      name: haClusterConfigMapName('minimal'),
      annotations: { [HA_LEADER_ANNOTATION]: JSON.stringify({ holderIdentity: holder, leaseDuration: 15 }) },
    },
    data: { 'org.apache.flink.k8s.leader.restserver': `${restAddress},a1b2c3` },
  });

  it('names the holder and the pod whose IP the leader publishes', () => {
    expect(jobManagerLeaderOf(record('lock-1', 'http://127.0.0.11:8081'), pods)).toEqual({
      id: 'lock-1',
      pod: 'jobmanager-minimal-1-1',
    });
  });

  it('keeps the holder when no pod matches, and knows no leader without a record', () => {
    expect(jobManagerLeaderOf(record('lock-2', 'http://10.0.0.1:8081'), pods)).toEqual({
      id: 'lock-2',
      pod: null,
    });
    expect(jobManagerLeaderOf(undefined, pods)).toBeNull();
    expect(
      jobManagerLeaderOf({ metadata: { annotations: { [HA_LEADER_ANNOTATION]: '{' } } }, pods),
    ).toBeNull();
  });
});

/** Flink with a job table, a way to be unreachable, and a record of every cancel and stop. */
function fakeFlink() {
  const jobs = new Map<string, string>();
  const calls: string[] = [];
  let down = false;
  const reachable = () => {
    if (down) throw new Error('connect ECONNREFUSED');
  };
  const client = {
    getOverview: async () => (reachable(), { 'slots-total': 4, 'slots-available': 3, taskmanagers: 1 }),
    listJobs: async () => (reachable(), [...jobs].map(([id, status]) => ({ id, status }))),
    getJobStatus: async (id: string) => {
      reachable();
      const state = jobs.get(id);
      if (!state) throw new FlinkNotFoundError(`job ${id}`);
      return state;
    },
    cancelJob: async (jobId: string) => {
      calls.push(`cancel ${jobId}`);
      jobs.set(jobId, 'CANCELED');
    },
    stopJobWithSavepoint: async (jobId: string) => {
      calls.push(`stop ${jobId}`);
      throw new Error('not in this test');
    },
    getJobExceptions: async () => ({ entries: [] }),
  };
  return {
    jobs,
    calls,
    setDown: (value: boolean) => (down = value),
    client: client as unknown as FlinkRestClient,
  };
}

function ready(pod: V1Pod, ip: string): V1Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, namespace: NS },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function recordingObjects(pods: MapCache<V1Pod>, leader: { configMap: V1ConfigMap | undefined }) {
  const calls: string[] = [];
  const objects: OwnedObjectWriter = {
    createPod: async (pod) => {
      calls.push(`create pod ${pod.metadata?.name}`);
      pods.put(ready(pod, '127.0.0.99'));
      return 'created';
    },
    deletePod: async (name) => {
      calls.push(`delete pod ${name}`);
      pods.remove(`${NS}/${name}`);
    },
    createService: async (s) => (calls.push(`create service ${s.metadata?.name}`), 'created'),
    deleteService: async (name) => void calls.push(`delete service ${name}`),
    readJob: async () => undefined,
    createJob: async (job) => (calls.push(`create job ${job.metadata?.name}`), 'created'),
    deleteJob: async (name) => void calls.push(`delete job ${name}`),
    readConfigMap: async (name) =>
      name === haClusterConfigMapName('minimal') ? leader.configMap : undefined,
  };
  return { objects, calls };
}

function leaderRecord(holder: string, ip: string): V1ConfigMap {
  return {
    metadata: {
      name: haClusterConfigMapName('minimal'),
      annotations: { [HA_LEADER_ANNOTATION]: JSON.stringify({ holderIdentity: holder }) },
    },
    data: { 'org.apache.flink.k8s.leader.restserver': `http://${ip}:8081,0b0b` },
  };
}

function setup(replicas: number) {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
  const resources = new InMemoryCustomResources();
  resources.now = () => new Date(clock.now());
  const clusterRaw = resources.put(FLINK_CLUSTER, NS, haCluster(replicas));
  resources.put(FLINK_JOB, NS, { ...fixture('job-minimal.yaml'), status: { jobId: JOB_ID } });
  const caches = inMemoryCaches(resources);
  const cluster = parseFlinkCluster(clusterRaw);
  jobManagerPods(cluster, 1).forEach((p, i) => caches.pods.put(ready(p, `127.0.0.${10 + i}`)));
  caches.pods.put(ready(taskManagerPod(cluster, 1, 1, 0), '127.0.0.20'));
  const service = jobManagerService(cluster);
  caches.services.put({ ...service, metadata: { ...service.metadata, namespace: NS } });
  const flink = fakeFlink();
  flink.jobs.set(JOB_ID, 'RUNNING');
  const leader = { configMap: replicas > 1 ? leaderRecord('lock-0', '127.0.0.10') : undefined };
  const events = new MemoryEventRecorder();
  const { objects, calls } = recordingObjects(caches.pods, leader);
  const supervisor = new Supervisor({
    kubeConfig: new KubeConfig(),
    namespace: NS,
    clusterName: 'minimal',
    clock,
    log: pino({ level: 'silent' }),
    events,
    metrics: supervisorMetrics(createRegistry('test', false)),
    flinkClient: () => flink.client,
    pollIntervalMs: POLL_MS,
    resources,
    caches: () => caches,
    objects,
  });
  const leadership = new AbortController();
  const pass = async (times = 1) => {
    for (let n = 0; n < times; n++) {
      await clock.advance(POLL_MS);
      for (let i = 0; i < 10; i++) {
        await supervisor.idle();
        await flush();
      }
    }
  };
  const status = (kind: typeof FLINK_CLUSTER | typeof FLINK_JOB, name: string) =>
    resources.objects.get(`${kind.plural}/${NS}/${name}`)?.status ?? {};
  return { supervisor, leadership, pass, status, flink, leader, events, calls, caches, cluster };
}

let running: ReturnType<typeof setup> | undefined;
afterEach(() => {
  running?.leadership.abort();
  running?.supervisor.stop();
  running = undefined;
});

describe('a JobManager failover on in-memory ports', () => {
  it('HA: follows the recovered job by its id, cancels and resubmits nothing, records the failover', async () => {
    const t = (running = setup(2));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.pass(3);
    expect(t.status(FLINK_JOB, 'minimal-wordcount')).toMatchObject({
      supervisorStatus: 'Started',
      jobId: JOB_ID,
    });
    expect(t.status(FLINK_CLUSTER, 'minimal')).toMatchObject({
      supervisorStatus: 'Started',
      jobManagerLeader: 'jobmanager-minimal-1-0',
    });
    const before = [...t.calls];

    // The leader dies: REST is gone for a while, then the standby leads and, for a moment, does
    // not list the job it is still recovering (404), then runs it again under the same id.
    t.flink.setDown(true);
    await t.pass(2);
    t.leader.configMap = leaderRecord('lock-1', '127.0.0.11');
    t.flink.setDown(false);
    t.flink.jobs.delete(JOB_ID);
    await t.pass(2);
    expect(t.status(FLINK_JOB, 'minimal-wordcount')).toMatchObject({
      supervisorStatus: 'Started',
      jobId: JOB_ID,
    });
    t.flink.jobs.set(JOB_ID, 'RUNNING');
    await t.pass(2);

    expect(t.flink.calls).toEqual([]);
    expect(t.calls.slice(before.length).filter((c) => !c.startsWith('create pod'))).toEqual([]);
    expect(t.status(FLINK_JOB, 'minimal-wordcount')).toMatchObject({
      supervisorStatus: 'Started',
      jobId: JOB_ID,
      jobStatus: 'RUNNING',
    });
    expect(t.status(FLINK_CLUSTER, 'minimal')).toMatchObject({
      supervisorStatus: 'Started',
      jobManagerLeader: 'jobmanager-minimal-1-1',
      jobManagerFailovers: 1,
    });
    const reasons = t.events.events.map((e) => e.reason);
    expect(reasons).toContain('JobManagerFailover');
    expect(reasons).toContain('JobRecovering');
    expect(reasons).not.toContain('JobLost');
    expect(t.events.events.find((e) => e.reason === 'JobManagerFailover')?.type).toBe('Warning');
  });

  it('HA: a standby pod that is gone is recreated without restarting the cluster', async () => {
    const t = (running = setup(2));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.pass(3);
    t.caches.pods.remove(`${NS}/jobmanager-minimal-1-1`);
    await t.pass(2);
    expect(t.calls).toContain('create pod jobmanager-minimal-1-1');
    expect(t.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(t.status(FLINK_CLUSTER, 'minimal')['supervisorStatus']).toBe('Started');
    expect(clusterPods(t.caches.pods.list()).jobManagers).toHaveLength(2);
  });

  it('without HA the same 404 is a lost job at once, as before (§14.21)', async () => {
    const t = (running = setup(1));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.pass(3);
    expect(t.status(FLINK_JOB, 'minimal-wordcount')).toMatchObject({
      supervisorStatus: 'Started',
      jobId: JOB_ID,
    });
    t.flink.jobs.delete(JOB_ID);
    await t.pass(1);
    expect(t.status(FLINK_JOB, 'minimal-wordcount')['supervisorStatus']).toBe('Stopped');
    expect(t.events.events.map((e) => e.reason)).toContain('JobLost');
  });
});

// jobManagerPod stays the builder of one JobManager (index 0 by default) for callers that need one.
it('jobManagerPod(cluster, epoch) is the first of jobManagerPods', () => {
  const cluster = parseFlinkCluster(haCluster());
  expect(jobManagerPod(cluster, 4).metadata?.name).toBe(jobManagerPods(cluster, 4)[0]?.metadata?.name);
});
