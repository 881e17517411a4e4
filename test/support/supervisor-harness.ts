// A supervisor on in-memory ports, for unit tests of whole passes: the custom resources in memory,
// watch caches the test fills, a recorder for the owned objects, a Flink that answers from a table,
// and a clock moved by hand. Nothing is spawned and nothing listens.
import { KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { FLINK_CLUSTER, FLINK_JOB } from '../../src/api/names.ts';
import { parseFlinkCluster } from '../../src/api/parse.ts';
import type { Condition } from '../../src/api/status.ts';
import type { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import type { CustomObject } from '../../src/kube/custom-resource-client.ts';
import { MemoryEventRecorder } from '../../src/kube/event-recorder.ts';
import { createRegistry } from '../../src/observability/metrics.ts';
import type { MachineImplementations } from '../../src/supervisor/machine-hosts.ts';
import type { OwnedObjectWriter } from '../../src/supervisor/owned-objects.ts';
import { jobManagerPod, jobManagerService } from '../../src/supervisor/resource-builders.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { supervisorMetrics } from '../../src/supervisor/supervisor-metrics.ts';
import { validFixtures } from '../fixtures/crds/corpus.ts';
import { inMemoryCaches, type MapCache } from './in-memory-caches.ts';
import { InMemoryCustomResources } from './in-memory-custom-resources.ts';
import { flush, ManualClock } from './manual-clock.ts';

export const NS = 'flink';
export const JOB_ID = '0123456789abcdef0123456789abcdef';
export const POLL_MS = 5000;

export function fixture(file: string): CustomObject {
  const resource = validFixtures().find((f) => f.file === file)?.resource;
  if (!resource) throw new Error(`no fixture ${file}`);
  return structuredClone(resource) as unknown as CustomObject;
}

/** Flink as the supervisor reads it: an overview, the job list, and a cancel that ends a job. */
export function fakeFlink() {
  const jobs = new Map<string, string>();
  /** Tasks of a job that are not running (`/jobs/overview`); absent: all of its 2 tasks run. */
  const idleTasks = new Map<string, number>();
  const calls: string[] = [];
  const client = {
    getOverview: async () => ({ 'slots-total': 4, 'slots-available': 3, taskmanagers: 2 }),
    listJobs: async () => [...jobs].map(([id, status]) => ({ id, status })),
    listJobOverviews: async () =>
      [...jobs].map(([jid, state]) => ({
        jid,
        state,
        tasks: { total: 2, running: 2 - (idleTasks.get(jid) ?? 0), finished: 0 },
      })),
    cancelJob: async (jobId: string) => {
      calls.push(`cancel ${jobId}`);
      jobs.set(jobId, 'CANCELED');
    },
    // Stop-with-savepoint: Flink ends the job FINISHED and the savepoint completes at once.
    stopJobWithSavepoint: async (jobId: string, request: { triggerId: string }) => {
      calls.push(`stop ${jobId}`);
      jobs.set(jobId, 'FINISHED');
      return { triggerId: request.triggerId };
    },
    getSavepointStatus: async () => ({ state: 'COMPLETED', location: 'file:///savepoints/sp-1' }),
    getJobExceptions: async () => ({ entries: [] }),
  };
  return { jobs, idleTasks, calls, client: client as unknown as FlinkRestClient };
}

/** Records what the machines' effects create and delete; a created pod is at once Ready in the cache. */
function recordingObjects(pods: MapCache<V1Pod>): OwnedObjectWriter & { calls: string[]; jobs: V1Job[] } {
  const calls: string[] = [];
  const jobs: V1Job[] = [];
  return {
    calls,
    jobs,
    createPod: async (pod) => {
      calls.push(`create pod ${pod.metadata?.name}`);
      pods.put(ready(pod));
      return 'created';
    },
    deletePod: async (name) => {
      calls.push(`delete pod ${name}`);
      pods.remove(`${NS}/${name}`);
    },
    createService: async (s) => (calls.push(`create service ${s.metadata?.name}`), 'created'),
    deleteService: async (name) => void calls.push(`delete service ${name}`),
    readJob: async () => undefined,
    createJob: async (job) => {
      calls.push(`create job ${job.metadata?.name}`);
      jobs.push(job);
      return 'created';
    },
    deleteJob: async (name) => void calls.push(`delete job ${name}`),
  };
}

function ready(pod: V1Pod): V1Pod {
  return {
    ...pod,
    metadata: { ...pod.metadata, namespace: NS },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function setup(
  job: CustomObject = fixture('job-minimal.yaml'),
  options: { machines?: MachineImplementations } = {},
) {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
  const resources = new InMemoryCustomResources();
  resources.now = () => new Date(clock.now());
  const clusterRaw = resources.put(FLINK_CLUSTER, NS, fixture('cluster-minimal.yaml'));
  // A job that runs in Flink already (its id is in status): a new supervisor adopts it.
  resources.put(FLINK_JOB, NS, { ...job, status: { jobId: JOB_ID } });
  const caches = inMemoryCaches(resources);
  const cluster = parseFlinkCluster(clusterRaw);
  caches.pods.put(ready(jobManagerPod(cluster, 1)));
  caches.services.put({
    ...jobManagerService(cluster),
    metadata: { ...jobManagerService(cluster).metadata, namespace: NS },
  });
  const flink = fakeFlink();
  flink.jobs.set(JOB_ID, 'RUNNING');
  /** The URLs the supervisor made Flink clients for, in order (the Service, or a drained pod's IP). */
  const flinkUrls: string[] = [];
  const events = new MemoryEventRecorder();
  const objects = recordingObjects(caches.pods);
  /** A supervisor on this world: the first, or a new leader taking over after it. */
  const newSupervisor = () =>
    new Supervisor({
      kubeConfig: new KubeConfig(),
      namespace: NS,
      clusterName: 'minimal',
      clock,
      log: pino({ level: process.env.HARNESS_LOG ?? 'silent' }),
      events,
      metrics: supervisorMetrics(createRegistry('test', false)),
      flinkClient: (url) => {
        flinkUrls.push(url);
        return flink.client;
      },
      pollIntervalMs: POLL_MS,
      resources,
      caches: () => caches,
      objects,
      ...(options.machines ? { machines: options.machines } : {}),
    });
  const supervisor = newSupervisor();
  const leadership = new AbortController();
  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await supervisor.idle();
      await flush();
    }
  };
  const stored = (kind: typeof FLINK_CLUSTER | typeof FLINK_JOB, name: string) =>
    resources.objects.get(`${kind.plural}/${NS}/${name}`);
  const jobStatus = () => stored(FLINK_JOB, 'minimal-wordcount')?.status ?? {};
  const condition = (type: string) =>
    ((jobStatus()['conditions'] ?? []) as Condition[]).find((c) => c.type === type);
  /**
   * A second supervisor on the same world, for a takeover, and what stops both leaders and both
   * supervisors (a test's cleanup).
   */
  const successor = () => {
    const second = { leadership: new AbortController(), supervisor: newSupervisor() };
    const stopBoth = () => {
      leadership.abort();
      second.leadership.abort();
      supervisor.stop();
      second.supervisor.stop();
    };
    return { second, stopBoth };
  };
  return {
    successor,
    clock,
    resources,
    supervisor,
    newSupervisor,
    leadership,
    settle,
    stored,
    jobStatus,
    condition,
    flink,
    flinkUrls,
    events,
    objects,
    caches,
  };
}
