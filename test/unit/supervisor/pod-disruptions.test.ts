// A pod Kubernetes takes away (ADR 0021): what its DisruptionTarget condition says, remembered
// after the pod is gone; and a whole supervisor pass that records it in the FlinkCluster's status,
// says it once in an Event (not again after the pod went, nor by a new leader), and replaces the pod.
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { FLINK_CLUSTER, LABELS } from '../../../src/api/names.ts';
import { FLINK_JOB, FLINK_SAVEPOINT } from '../../../src/api/names.ts';
import {
  DisruptedPods,
  drainingJobManager,
  podDisruptionOf,
} from '../../../src/supervisor/pod-disruptions.ts';
import { flush } from '../../support/manual-clock.ts';
import { fixture, JOB_ID, NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

const EVICTED_AT = '2026-11-20T10:00:30Z';

function pod(name: string, role: string, conditions: V1Pod['status'] = {}): V1Pod {
  return {
    metadata: { name, namespace: NS, labels: { [LABELS.role]: role } },
    status: { phase: 'Running', ...conditions },
  };
}

/** What the eviction API does to a pod: the DisruptionTarget condition, then the deletion. */
function evicted(p: V1Pod): V1Pod {
  return {
    ...p,
    metadata: { ...p.metadata, deletionTimestamp: new Date(EVICTED_AT) },
    status: {
      ...p.status,
      conditions: [
        ...(p.status?.conditions ?? []),
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
          message: 'Eviction API: evicting',
          lastTransitionTime: new Date(EVICTED_AT),
        },
      ],
    },
  };
}

describe('podDisruptionOf', () => {
  it('reads the DisruptionTarget condition of a JobManager or TaskManager pod', () => {
    expect(podDisruptionOf(evicted(pod('taskmanager-a-1-0', 'taskmanager')))).toEqual({
      pod: 'taskmanager-a-1-0',
      role: 'taskmanager',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      at: Date.parse(EVICTED_AT),
    });
    expect(podDisruptionOf(evicted(pod('jobmanager-a-1-0', 'jobmanager')))?.role).toBe('jobmanager');
  });

  it('finds none on a pod deleted without one (by hand, or by the supervisor), nor on other pods', () => {
    const deleted = pod('taskmanager-a-1-0', 'taskmanager');
    deleted.metadata = { ...deleted.metadata, deletionTimestamp: new Date(EVICTED_AT) };
    expect(podDisruptionOf(deleted)).toBeNull();
    expect(podDisruptionOf(evicted(pod('a-bootstrap-x', 'bootstrap')))).toBeNull();
    const withdrawn = evicted(pod('taskmanager-a-1-0', 'taskmanager'));
    withdrawn.status!.conditions![0]!.status = 'False';
    expect(podDisruptionOf(withdrawn)).toBeNull();
  });
});

describe('DisruptedPods', () => {
  it('reports the pods being disrupted now and, for two minutes, those the watch saw deleted', () => {
    const memory = new DisruptedPods();
    const now = Date.parse(EVICTED_AT);
    const gone = evicted(pod('taskmanager-a-1-1', 'taskmanager'));
    memory.deleted(gone, now);
    memory.deleted(pod('taskmanager-a-1-2', 'taskmanager'), now);
    const terminating = evicted(pod('taskmanager-a-1-0', 'taskmanager'));
    expect(memory.observe([terminating], now + 1000).map((d) => d.pod)).toEqual([
      'taskmanager-a-1-0',
      'taskmanager-a-1-1',
    ]);
    expect(memory.observe([], now + 119_000).map((d) => d.pod)).toEqual(['taskmanager-a-1-1']);
    expect(memory.observe([], now + 120_000)).toEqual([]);
  });
});

describe('a supervisor whose TaskManager is evicted', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('says which pod went and why once (status and Event), replaces it, and a new leader says nothing again', async () => {
    const t = setup();
    const { second, stopBoth } = t.successor();
    cleanup = stopBoth;
    const clusterStatus = () => t.stored(FLINK_CLUSTER, 'minimal')?.status ?? {};
    const taskManagers = () =>
      t.caches.pods.list().filter((p) => p.metadata?.labels?.[LABELS.role] === 'taskmanager');
    const disrupted = () => t.events.events.filter((e) => e.reason === 'TaskManagerDisrupted');
    const passes = async (supervisor: typeof t.supervisor, n: number) => {
      for (let i = 0; i < n; i++) {
        await t.clock.advance(POLL_MS);
        for (let j = 0; j < 10; j++) {
          await supervisor.idle();
          await flush();
        }
      }
    };
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await passes(t.supervisor, 2);
    const [first] = taskManagers();
    expect(taskManagers()).toHaveLength(1);
    const name = first?.metadata?.name ?? '';

    t.caches.pods.put(evicted(first!));
    await passes(t.supervisor, 2);
    expect(clusterStatus()['lastDisruption']).toEqual({
      pod: name,
      role: 'taskmanager',
      reason: 'EvictionByEvictionAPI',
      message: expect.stringContaining(`TaskManager pod ${name} was evicted through the eviction API`),
      timestamp: '2026-11-20T10:00:30.000Z',
    });
    expect(clusterStatus()['podDisruptions']).toBe(1);
    expect(disrupted()).toHaveLength(1);
    expect(disrupted()[0]?.message).toContain('Eviction API: evicting');
    // The replacement, created while the evicted pod still terminates: a new name.
    const replacements = taskManagers().filter((p) => p.metadata?.name !== name);
    expect(replacements).toHaveLength(1);

    // The pod goes; the remembered disruption is not said again.
    t.caches.pods.remove(`${NS}/${name}`);
    await passes(t.supervisor, 3);
    expect(disrupted()).toHaveLength(1);
    expect(taskManagers().map((p) => p.metadata?.name)).toEqual([replacements[0]?.metadata?.name]);
    // At rest, while the gone pod's disruption is still reported: no write.
    const writes = t.resources.writes.length;
    await passes(t.supervisor, 3);
    expect(t.resources.writes.slice(writes)).toEqual([]);

    // A new leader restores the machine from status: nothing said again, nothing else created.
    const created = t.objects.calls.filter((c) => c.startsWith('create pod')).length;
    t.leadership.abort();
    t.supervisor.stop();
    await second.supervisor.start();
    void second.supervisor.lead(second.leadership.signal);
    await passes(second.supervisor, 3);
    expect(disrupted()).toHaveLength(1);
    expect(t.objects.calls.filter((c) => c.startsWith('create pod'))).toHaveLength(created);
    expect(clusterStatus()['podDisruptions']).toBe(1);
  }, 30_000);
});

/** A JobManager pod as the eviction API leaves it while its preStop hook holds the JVM. */
function drained(p: V1Pod, ip = '10.0.0.7'): V1Pod {
  const e = evicted(p);
  return {
    ...e,
    status: {
      ...e.status,
      phase: 'Running',
      podIP: ip,
      conditions: [
        ...(e.status?.conditions ?? []).filter((c) => c.type !== 'Ready'),
        { type: 'Ready', status: 'False' },
      ],
      containerStatuses: [
        {
          name: 'jobmanager',
          image: 'flink',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { running: {} },
        },
      ],
    },
  };
}

describe('drainingJobManager', () => {
  const jm = drained(pod('jobmanager-a-1', 'jobmanager'));
  it('is the only JobManager pod, evicted, whose JobManager container still runs', () => {
    expect(drainingJobManager([jm, pod('taskmanager-a-1-0', 'taskmanager')], false)?.metadata?.name).toBe(
      'jobmanager-a-1',
    );
  });
  it('is none with HA, beside a live JobManager, once the JVM exited, or for a deletion by hand', () => {
    expect(drainingJobManager([jm], true)).toBeUndefined();
    expect(drainingJobManager([jm, pod('jobmanager-a-2', 'jobmanager')], false)).toBeUndefined();
    const exited = structuredClone(jm);
    exited.status!.containerStatuses![0]!.state = { terminated: { exitCode: 0 } };
    expect(drainingJobManager([exited], false)).toBeUndefined();
    const byHand = structuredClone(jm);
    byHand.status!.conditions = byHand.status!.conditions!.filter((c) => c.type !== 'DisruptionTarget');
    expect(drainingJobManager([byHand], false)).toBeUndefined();
  });
});

describe('a supervisor whose single JobManager is drained (ADR 0021)', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('reads Flink through the pod IP, stops the job with a savepoint (a stop record first), then restarts the cluster and the job from it', async () => {
    const job = fixture('job-minimal.yaml');
    job.spec = {
      ...job.spec,
      savepoint: { savepointMode: 'Automatic', savepointTargetPath: 'file:///savepoints' },
    };
    const t = setup(job);
    cleanup = () => {
      t.leadership.abort();
      t.supervisor.stop();
    };
    const passes = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await t.clock.advance(POLL_MS);
        await t.settle();
      }
    };
    const clusterStatus = () => t.stored(FLINK_CLUSTER, 'minimal')?.status ?? {};
    const jobManagers = () =>
      t.caches.pods.list().filter((p) => p.metadata?.labels?.[LABELS.role] === 'jobmanager');
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await passes(2);
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Started', jobStatus: 'RUNNING' });
    const [jm] = jobManagers();
    const name = jm?.metadata?.name ?? '';
    expect(t.flinkUrls).toEqual(['http://jobmanager-minimal.flink:8081']);

    // The eviction: the pod carries DisruptionTarget, is deleting, and its hook holds the JVM.
    t.caches.pods.put(drained(jm!));
    // Flink's stop-with-savepoint as the fake does it; what the supervisor wrote before it is checked.
    let triggerIdInStatus: unknown;
    let recordBefore: unknown;
    const client = t.flink.client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const stop = client['stopJobWithSavepoint']!;
    client['stopJobWithSavepoint'] = async (...args: unknown[]) => {
      triggerIdInStatus = (t.jobStatus()['machine'] as { context?: { stop?: { triggerId?: unknown } } })
        ?.context?.stop?.triggerId;
      recordBefore = [...t.resources.objects.keys()].find((k) => k.startsWith(`${FLINK_SAVEPOINT.plural}/`));
      return stop(...args);
    };
    await passes(3);
    expect(t.flinkUrls).toContain('http://10.0.0.7:8081');
    expect(t.flink.calls).toEqual([`stop ${JOB_ID}`]);
    // Write-ahead: the trigger id in the FlinkJob's status and the stop record, before Flink is asked.
    expect(triggerIdInStatus).toEqual(expect.any(String));
    expect(recordBefore).toBeDefined();
    const records = [...t.resources.objects.entries()]
      .filter(([key]) => key.startsWith(`${FLINK_SAVEPOINT.plural}/`))
      .map(([, o]) => o);
    expect(records).toHaveLength(1);
    expect(records[0]?.spec?.['kind']).toBe('stop');
    expect(clusterStatus()['lastDisruption']).toMatchObject({ pod: name, reason: 'EvictionByEvictionAPI' });
    expect(t.events.events.filter((e) => e.reason === 'JobManagerDrained')).toHaveLength(1);
    expect(t.jobStatus()['savepointPath']).toBe('file:///savepoints/sp-1');

    // The hook saw no running job and returned, the JVM exited and the pod went; the Service the
    // stop deleted goes too (the in-memory writer leaves the cache to the test): the next epoch.
    t.caches.pods.remove(`${NS}/${name}`);
    await passes(2);
    expect(t.objects.calls).toContain('delete service jobmanager-minimal');
    const service = t.caches.services.get(`${NS}/jobmanager-minimal`);
    t.caches.services.remove(`${NS}/jobmanager-minimal`);
    await passes(2);
    expect(t.objects.calls).toContain('create pod jobmanager-minimal-2');
    // The Service the next epoch creates (the in-memory writer does not add it to the cache).
    t.caches.services.put(service!);
    await passes(6);
    expect(jobManagers().map((p) => p.metadata?.name)).toEqual(['jobmanager-minimal-2']);
    expect(t.flinkUrls.at(-1)).toBe('http://jobmanager-minimal.flink:8081');
    expect(clusterStatus()['supervisorStatus']).toBe('Started');
    // The job starts again from the drain's savepoint.
    const bootstrap = t.objects.jobs.at(-1);
    expect(JSON.stringify(bootstrap)).toContain('file:///savepoints/sp-1');
    expect(t.stored(FLINK_JOB, 'minimal-wordcount')?.status?.['supervisorStatus']).toBe('Starting');
  }, 30_000);
});
