// The watches the supervisors hosted in one process share (fleet mode): one set per namespace,
// each supervisor seeing only what its own informers would have held.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABELS, MANAGED_BY } from '../../../src/api/names.ts';
import type { CustomObject, CustomResourceClient } from '../../../src/kube/custom-resource-client.ts';
import { NamespaceCaches } from '../../../src/supervisor/namespace-caches.ts';
import type { JobRaw } from '../../../src/supervisor/supervisor-caches.ts';
import { MapCache, type InMemoryCaches } from '../../support/in-memory-caches.ts';

class CountedMapCache<T extends { metadata?: object }> extends MapCache<T & { metadata?: object }> {
  starts = 0;
  stops = 0;
  override async start(): Promise<void> {
    this.starts++;
  }
  override stop(): void {
    this.stops++;
  }
}

function setUp() {
  const created: { namespace: string; caches: InMemoryCaches }[] = [];
  const caches = new NamespaceCaches({
    kubeConfig: undefined as never,
    resources: undefined as unknown as CustomResourceClient,
    onError: () => undefined,
    create: (scope) => {
      const set = {
        clusters: new CountedMapCache<CustomObject>(),
        jobs: new CountedMapCache<JobRaw>(),
        pods: new CountedMapCache<V1Pod>(),
        services: new CountedMapCache(),
        batchJobs: new CountedMapCache(),
        savepoints: new CountedMapCache<CustomObject>(),
      } as unknown as InMemoryCaches;
      created.push({ namespace: scope.namespace, caches: set });
      return set;
    },
  });
  const scope = (namespace: string, clusterName: string) => ({
    namespace,
    clusterName,
    resources: undefined as unknown as CustomResourceClient,
    onError: () => undefined,
  });
  return { caches, created, scope };
}

const cluster = (name: string): CustomObject => ({ metadata: { name, namespace: 'ns' } });
const pod = (name: string, clusterName: string): V1Pod => ({
  metadata: {
    name,
    namespace: 'ns',
    labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.cluster]: clusterName },
  },
});

describe('the watches shared by the supervisors of one namespace', () => {
  it('one set per namespace, whatever the number of clusters', () => {
    const { caches, created, scope } = setUp();
    caches.forCluster(scope('ns', 'a'));
    caches.forCluster(scope('ns', 'b'));
    caches.forCluster(scope('other', 'a'));
    expect(created.map((c) => c.namespace)).toEqual(['ns', 'other']);
    expect(caches.namespaces()).toEqual(['ns', 'other']);
  });

  it('each supervisor sees its own FlinkCluster and its own objects, and every FlinkJob', () => {
    const { caches, created, scope } = setUp();
    const a = caches.forCluster(scope('ns', 'a'));
    const b = caches.forCluster(scope('ns', 'b'));
    const shared = created[0]?.caches as InMemoryCaches;
    shared.clusters.put(cluster('a'));
    shared.clusters.put(cluster('b'));
    shared.pods.put(pod('jobmanager-a', 'a'));
    shared.pods.put(pod('jobmanager-b', 'b'));
    shared.jobs.put({ metadata: { name: 'j', namespace: 'ns' }, spec: { clusterName: 'b' } });

    expect(a.clusters.list().map((c) => c.metadata.name)).toEqual(['a']);
    expect(a.clusters.get('ns/b')).toBeUndefined();
    expect(b.clusters.get('ns/b')?.metadata.name).toBe('b');
    expect(a.pods.list().map((p) => p.metadata?.name)).toEqual(['jobmanager-a']);
    expect(b.pods.get('ns/jobmanager-a')).toBeUndefined();
    expect(a.jobs.list()).toHaveLength(1);
    expect(b.jobs.list()).toHaveLength(1);
  });

  it('a supervisor hears of changes to its objects only, and no longer once it stopped', () => {
    const { caches, created, scope } = setUp();
    const a = caches.forCluster(scope('ns', 'a'));
    const b = caches.forCluster(scope('ns', 'b'));
    const heard: string[] = [];
    a.pods.on('add', (p) => heard.push(`a ${p.metadata?.name}`));
    b.pods.on('add', (p) => heard.push(`b ${p.metadata?.name}`));
    const shared = created[0]?.caches as InMemoryCaches;
    shared.pods.put(pod('jobmanager-a', 'a'));
    shared.pods.put(pod('jobmanager-b', 'b'));
    for (const c of Object.values(a)) c.stop();
    shared.pods.put(pod('taskmanager-a', 'a'));
    shared.pods.put(pod('taskmanager-b', 'b'));
    expect(heard).toEqual(['a jobmanager-a', 'b jobmanager-b', 'b taskmanager-b']);
  });

  it('the set stops with its last supervisor; a later one gets a new set', async () => {
    const { caches, created, scope } = setUp();
    const a = caches.forCluster(scope('ns', 'a'));
    const b = caches.forCluster(scope('ns', 'b'));
    await Promise.all([...Object.values(a), ...Object.values(b)].map((c) => c.start()));
    const first = created[0]?.caches.pods as unknown as CountedMapCache<V1Pod>;
    for (const c of Object.values(a)) c.stop();
    for (const c of Object.values(a)) c.stop(); // stopping twice counts once
    expect(first.stops).toBe(0);
    for (const c of Object.values(b)) c.stop();
    expect(first.stops).toBe(1);
    expect(caches.namespaces()).toEqual([]);
    caches.forCluster(scope('ns', 'c'));
    expect(created).toHaveLength(2);
  });
});
