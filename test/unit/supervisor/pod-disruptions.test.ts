// A pod Kubernetes takes away (ADR 0021): what its DisruptionTarget condition says, remembered
// after the pod is gone; and a whole supervisor pass that records it in the FlinkCluster's status,
// says it once in an Event (not again after the pod went, nor by a new leader), and replaces the pod.
import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { FLINK_CLUSTER, LABELS } from '../../../src/api/names.ts';
import { DisruptedPods, podDisruptionOf } from '../../../src/supervisor/pod-disruptions.ts';
import { flush } from '../../support/manual-clock.ts';
import { NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

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
