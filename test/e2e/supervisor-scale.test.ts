// TaskManagers under rescalePolicy None (toolbox checklist items 9 and 23): the count is the user's
// (or an autoscaler's, through the scale subresource), clamped to its bounds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTERS,
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  kubectl,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';

let s: SupervisedEnvironment;
const ns = 'e2e-scale';
const cluster = 'sc';
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(
    s.kc,
    flinkClusterManifest(ns, cluster, { rescalePolicy: 'None', taskManagers: 2, taskSlots: 3 }),
  );
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  await s?.stop();
});

describe(`a cluster whose TaskManagers are set by hand (Flink ${flinkUnderTest.version})`, () => {
  it('9: runs exactly spec.taskManagers TaskManagers', async () => {
    const fc = await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      '2 TaskManagers',
      (st) =>
        st['supervisorStatus'] === 'Started' &&
        st['taskManagerReplicas'] === 2 &&
        st['resourceStatus'] === 'Updated',
    );
    expect(fc.status?.['taskManagers']).toBe(2);
    expect(fc.status?.['totalTaskSlots']).toBe(6);
    const tms = await clusterPods(s.kc, ns, cluster, 'taskmanager');
    // Fixed names, one per index, so a repeated scale-up could not have made a third.
    expect(tms.map((p) => p.metadata?.name?.replace(/-\d+-(\d+)$/, '-<epoch>-$1')).sort()).toEqual([
      `taskmanager-${cluster}-<epoch>-0`,
      `taskmanager-${cluster}-<epoch>-1`,
    ]);
  });

  it('23: kubectl scale --replicas=0 removes every TaskManager; the cluster is Updating, then Updated', async () => {
    await kubectl(s, ['scale', 'flinkcluster', cluster, '-n', ns, '--replicas=0']);
    const scaled = await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'no TaskManager',
      (st) => st['taskManagerReplicas'] === 0 && st['resourceStatus'] === 'Updated',
      180_000,
    );
    expect(scaled.status?.['taskManagers']).toBe(0);
    expect(scaled.status?.['supervisorStatus']).toBe('Started');
    expect(await clusterPods(s.kc, ns, cluster, 'taskmanager')).toHaveLength(0);
    await kubectl(s, ['scale', 'flinkcluster', cluster, '-n', ns, '--replicas=1']);
    await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'one TaskManager again',
      (st) => st['taskManagerReplicas'] === 1 && st['resourceStatus'] === 'Updated',
      180_000,
    );
  });
});
