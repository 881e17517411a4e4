// The scale-up effect against an API that keeps what is created and a watch cache that may lag
// behind it: a repeat of the same scale-up (the supervisor observes again the moment the effect
// ends, often before the watch delivers its own pod) must find the pods it made, not double them.
import type { V1Pod } from '@kubernetes/client-node';
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { systemClock } from '../../../src/kube/clock.ts';
import { clusterEffects } from '../../../src/supervisor/machine-effects.ts';
import type { OwnedObjects } from '../../../src/supervisor/owned-objects.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';

const cluster = parseFlinkCluster(
  structuredClone(validFixtures().find((f) => f.file === 'cluster-minimal.yaml')?.resource),
);

/** Pods by name, as the API server keeps them: a second create of one name is AlreadyExists. */
function apiServer() {
  const pods = new Map<string, V1Pod>();
  const objects = {
    createPod: async (pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      if (!name) throw new Error('a pod without a name cannot be created idempotently');
      if (pods.has(name)) return 'exists' as const;
      pods.set(name, pod);
      return 'created' as const;
    },
    deletePod: async (name: string) => {
      const pod = pods.get(name);
      if (pod) pod.metadata = { ...pod.metadata, deletionTimestamp: new Date() };
    },
  } as unknown as OwnedObjects;
  return { pods, objects };
}

async function scaleUp(objects: OwnedObjects, cache: readonly V1Pod[], desired: number, epoch = 1) {
  const effects = clusterEffects({
    clock: systemClock,
    objects,
    flink: () => ({}) as FlinkRestClient,
    cluster: () => cluster,
    pods: () => cache,
    flinkTimeoutMs: 1000,
    log: () => undefined,
  });
  const actor = createActor(effects.scaleTaskManagers, {
    input: { epoch, taskSlots: 2, desired, removeIdleSurplus: false },
  });
  actor.start();
  return toPromise(actor);
}

describe('adding TaskManagers', () => {
  it('creates the missing pods with fixed names, one per index', async () => {
    const api = apiServer();
    expect((await scaleUp(api.objects, [], 2)).created).toBe(2);
    expect([...api.pods.keys()]).toEqual(['taskmanager-minimal-1-0', 'taskmanager-minimal-1-1']);
    const env = api.pods.get('taskmanager-minimal-1-0')?.spec?.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: 'TASK_MANAGER_NUMBER_OF_TASK_SLOTS', value: '2' });
  });

  it('creates nothing more when repeated on a cache that has not seen its pods yet', async () => {
    const api = apiServer();
    await scaleUp(api.objects, [], 2);
    const repeat = await scaleUp(api.objects, [], 2);
    expect(repeat.created).toBe(0);
    expect(api.pods.size).toBe(2);
    // Desired grows while the cache still lags: only the new one is made.
    expect((await scaleUp(api.objects, [], 3)).created).toBe(1);
    expect(api.pods.size).toBe(3);
  });

  it('replaces a terminating pod under a new name, and keeps epochs apart', async () => {
    const api = apiServer();
    await scaleUp(api.objects, [], 2);
    await api.objects.deletePod('taskmanager-minimal-1-0');
    const cache = [...api.pods.values()];
    expect((await scaleUp(api.objects, cache, 2)).created).toBe(1);
    expect(api.pods.has('taskmanager-minimal-1-2')).toBe(true);
    expect((await scaleUp(api.objects, [], 1, 2)).created).toBe(1);
    expect(api.pods.has('taskmanager-minimal-2-0')).toBe(true);
    expect(api.pods.size).toBe(4);
  });
});
