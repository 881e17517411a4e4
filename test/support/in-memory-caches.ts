import type { KubernetesObject, V1Job, V1Pod, V1Service } from '@kubernetes/client-node';
import { FLINK_CLUSTER, FLINK_JOB, FLINK_SAVEPOINT } from '../../src/api/names.ts';
import type { CustomObject } from '../../src/kube/custom-resource-client.ts';
import { objectKey, type InformerEvent, type InformerHandler } from '../../src/kube/informer.ts';
import type { Cache, JobRaw, SupervisorCaches } from '../../src/supervisor/supervisor-caches.ts';
import type { InMemoryCustomResources } from './in-memory-custom-resources.ts';

/** A watch cache in memory: `put` and `remove` change it and call the handlers, as a watch would. */
export class MapCache<T extends KubernetesObject> implements Cache<T> {
  readonly #items = new Map<string, T>();
  readonly #handlers: Record<InformerEvent, InformerHandler<T>[]> = { add: [], update: [], delete: [] };

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  on(event: InformerEvent, handler: InformerHandler<T>): this {
    this.#handlers[event].push(handler);
    return this;
  }

  off(event: InformerEvent, handler: InformerHandler<T>): this {
    this.#handlers[event] = this.#handlers[event].filter((h) => h !== handler);
    return this;
  }

  async start(): Promise<void> {}

  stop(): void {}

  put(obj: T): void {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    for (const h of this.#handlers[old ? 'update' : 'add']) h(obj, old);
  }

  remove(key: string): void {
    const old = this.#items.get(key);
    if (!old) return;
    this.#items.delete(key);
    for (const h of this.#handlers.delete) h(old);
  }
}

export interface InMemoryCaches extends SupervisorCaches {
  readonly clusters: MapCache<CustomObject>;
  readonly jobs: MapCache<JobRaw>;
  readonly pods: MapCache<V1Pod>;
  readonly services: MapCache<V1Service>;
  readonly batchJobs: MapCache<V1Job>;
  readonly savepoints: MapCache<CustomObject>;
}

/**
 * The supervisor's caches in memory. The FlinkCluster, FlinkJob and FlinkSavepoint caches follow `resources` (every
 * stored change reaches them at once, like a watch without lag); pods, Services and batch Jobs are
 * what the test puts in.
 */
export function inMemoryCaches(resources: InMemoryCustomResources): InMemoryCaches {
  const caches: InMemoryCaches = {
    clusters: new MapCache<CustomObject>(),
    jobs: new MapCache<JobRaw>(),
    pods: new MapCache<V1Pod>(),
    services: new MapCache<V1Service>(),
    batchJobs: new MapCache<V1Job>(),
    savepoints: new MapCache<CustomObject>(),
  };
  const cacheOf = (kind: string) =>
    kind === FLINK_CLUSTER.plural
      ? caches.clusters
      : kind === FLINK_JOB.plural
        ? caches.jobs
        : kind === FLINK_SAVEPOINT.plural
          ? caches.savepoints
          : undefined;
  for (const [key, obj] of resources.objects) {
    cacheOf(key.split('/')[0] ?? '')?.put(structuredClone(obj));
  }
  const previous = resources.onChange;
  resources.onChange = (kind, namespace, name, obj) => {
    previous?.(kind, namespace, name, obj);
    const target = cacheOf(kind.plural);
    if (!target) return;
    if (obj) target.put(obj);
    else target.remove(`${namespace}/${name}`);
  };
  return caches;
}
