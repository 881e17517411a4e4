// The PodDisruptionBudgets of a cluster's Flink pods (ADR 0021): what a spec asks for, and that the
// sync writes only what differs from the watch cache. The eviction API answering them is tested on
// the real API server (test/integration/disruption-budgets.test.ts).
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/api/names.ts';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import {
  desiredDisruptionBudgets,
  disruptionBudgetName,
  syncDisruptionBudgets,
  type DisruptionBudgetWriter,
} from '../../../src/supervisor/disruption-budgets.ts';

function cluster(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return parseFlinkCluster({
    apiVersion: 'flinkvisor.io/v1',
    kind: 'FlinkCluster',
    metadata: { name: 'fc', namespace: 'ns', uid: 'uid-1', ...metadata },
    spec: {
      runtime: { image: 'flink:1.20' },
      supervisor: { image: 'flinkvisor:0.1.0' },
      storage: { scheme: 'file', baseDir: '/flink-data' },
      ...spec,
    },
  });
}

const minAvailable = (budgets: V1PodDisruptionBudget[]) =>
  Object.fromEntries(budgets.map((b) => [b.metadata?.name, b.spec?.minAvailable]));

class RecordingWriter implements DisruptionBudgetWriter {
  readonly writes: string[] = [];
  replaceAnswer = true;
  async createPodDisruptionBudget(pdb: V1PodDisruptionBudget) {
    this.writes.push(`create ${pdb.metadata?.name} ${String(pdb.spec?.minAvailable)}`);
    return 'created' as const;
  }
  async replacePodDisruptionBudget(pdb: V1PodDisruptionBudget) {
    this.writes.push(
      `replace ${pdb.metadata?.name} ${String(pdb.spec?.minAvailable)} rv=${pdb.metadata?.resourceVersion}`,
    );
    return this.replaceAnswer;
  }
  async deletePodDisruptionBudget(name: string) {
    this.writes.push(`delete ${name}`);
  }
}

/** A budget as the API server returns it: our fields plus what the server adds. */
function stored(pdb: V1PodDisruptionBudget, resourceVersion = '7'): V1PodDisruptionBudget {
  return {
    ...structuredClone(pdb),
    metadata: { ...structuredClone(pdb.metadata), resourceVersion, uid: 'pdb-uid', generation: 1 },
    status: { currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 2 },
  };
}

describe('the disruption budgets a cluster asks for', () => {
  it('by default: the TaskManagers keep all but one of those wanted now; a single JobManager gets none', () => {
    const budgets = desiredDisruptionBudgets(cluster(), 3);
    expect(minAvailable(budgets)).toEqual({ 'taskmanager-fc': 2 });
    const [tm] = budgets;
    expect(tm?.spec?.selector?.matchLabels).toEqual({
      [LABELS.managedBy]: 'flinkvisor',
      [LABELS.cluster]: 'fc',
      [LABELS.role]: 'taskmanager',
    });
    expect(tm?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'FlinkCluster', name: 'fc', uid: 'uid-1', controller: true }),
    ]);
    // Labelled like the other owned objects, so the supervisor's label-selected watch sees it.
    expect(tm?.metadata?.labels?.[LABELS.cluster]).toBe('fc');
  });

  it('with HA: the JobManagers keep all but one, so a standby is left to take over', () => {
    const budgets = desiredDisruptionBudgets(cluster({ jobManager: { replicas: 3 } }), 2);
    expect(minAvailable(budgets)).toEqual({ 'taskmanager-fc': 1, 'jobmanager-fc': 2 });
    expect(budgets[1]?.spec?.selector?.matchLabels?.[LABELS.role]).toBe('jobmanager');
  });

  it('follows the spec: maxUnavailable per role, never below 0, and none when disabled or deleting', () => {
    const spec = {
      jobManager: { replicas: 2 },
      disruptionBudget: { maxUnavailableTaskManagers: 2, maxUnavailableJobManagers: 2 },
    };
    expect(minAvailable(desiredDisruptionBudgets(cluster(spec), 5))).toEqual({
      'taskmanager-fc': 3,
      'jobmanager-fc': 0,
    });
    expect(minAvailable(desiredDisruptionBudgets(cluster(), 1))).toEqual({ 'taskmanager-fc': 0 });
    expect(minAvailable(desiredDisruptionBudgets(cluster(), 0))).toEqual({ 'taskmanager-fc': 0 });
    expect(
      minAvailable(
        desiredDisruptionBudgets(cluster({ disruptionBudget: { maxUnavailableTaskManagers: 0 } }), 2),
      ),
    ).toEqual({ 'taskmanager-fc': 2 });
    expect(desiredDisruptionBudgets(cluster({ disruptionBudget: { enabled: false } }), 4)).toEqual([]);
    expect(desiredDisruptionBudgets(cluster({}, { deletionTimestamp: new Date().toISOString() }), 4)).toEqual(
      [],
    );
  });
});

describe('syncing the budgets with the watch cache', () => {
  it('creates the missing ones, then writes nothing while they are as wanted', async () => {
    const writer = new RecordingWriter();
    const desired = desiredDisruptionBudgets(cluster({ jobManager: { replicas: 2 } }), 2);
    expect(await syncDisruptionBudgets(writer, desired, [], 'fc')).toEqual({
      created: 2,
      replaced: 0,
      deleted: 0,
    });
    expect(writer.writes).toEqual(['create taskmanager-fc 1', 'create jobmanager-fc 1']);
    writer.writes.length = 0;
    const cached = desired.map((pdb) => stored(pdb));
    expect(await syncDisruptionBudgets(writer, desired, cached, 'fc')).toEqual({
      created: 0,
      replaced: 0,
      deleted: 0,
    });
    expect(writer.writes).toEqual([]);
  });

  it('replaces a budget whose minAvailable changed, on the resourceVersion it read', async () => {
    const writer = new RecordingWriter();
    const cached = desiredDisruptionBudgets(cluster(), 2).map((pdb) => stored(pdb, '41'));
    const sync = await syncDisruptionBudgets(writer, desiredDisruptionBudgets(cluster(), 4), cached, 'fc');
    expect(sync.replaced).toBe(1);
    expect(writer.writes).toEqual(['replace taskmanager-fc 3 rv=41']);
    // Another writer came first (409): nothing counted, the next pass decides again.
    writer.replaceAnswer = false;
    expect(
      (await syncDisruptionBudgets(writer, desiredDisruptionBudgets(cluster(), 4), cached, 'fc')).replaced,
    ).toBe(0);
  });

  it("removes budgets no longer wanted (HA off, or disabled), and leaves other clusters' alone", async () => {
    const writer = new RecordingWriter();
    const ha = desiredDisruptionBudgets(cluster({ jobManager: { replicas: 2 } }), 2).map((pdb) =>
      stored(pdb),
    );
    const other = stored({
      metadata: { name: disruptionBudgetName('other', 'taskmanager'), labels: { [LABELS.cluster]: 'other' } },
      spec: { minAvailable: 1 },
    });
    await syncDisruptionBudgets(writer, desiredDisruptionBudgets(cluster(), 2), [...ha, other], 'fc');
    expect(writer.writes).toEqual(['delete jobmanager-fc']);
    writer.writes.length = 0;
    const off = cluster({ disruptionBudget: { enabled: false } });
    await syncDisruptionBudgets(writer, desiredDisruptionBudgets(off, 2), [...ha, other], 'fc');
    expect(writer.writes).toEqual(['delete taskmanager-fc', 'delete jobmanager-fc']);
  });
});
