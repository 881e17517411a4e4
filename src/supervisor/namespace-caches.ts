import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { LABELS } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import type { InformerEvent, InformerHandler } from '../kube/informer.ts';
import { informerCaches, type Cache, type CacheScope, type SupervisorCaches } from './supervisor-caches.ts';

/** A watched kind shared by several supervisors: it stops once the last one let go. */
interface SharedCache<T> {
  readonly cache: Cache<T>;
  users: number;
}

type SharedSet = {
  [K in keyof SupervisorCaches]: SharedCache<CacheItem<NonNullable<SupervisorCaches[K]>>>;
};
type CacheItem<C> = C extends Cache<infer T> ? T : never;

export interface NamespaceCachesOptions {
  readonly kubeConfig: KubeConfig;
  /** Lists the custom resources. */
  readonly resources: CustomResourceClient;
  readonly onError: (err: unknown) => void;
  /** The informers of one namespace; default: on the API server (supervisor-caches.ts), namespace-wide. */
  readonly create?: (scope: Omit<CacheScope, 'clusterName'>) => SupervisorCaches;
}

/**
 * The watches of the supervisors one process hosts (fleet mode), one set per namespace instead of
 * one per cluster: the FlinkClusters, FlinkJobs and FlinkSavepoints of the namespace, and the pods,
 * Services and batch Jobs flinkvisor manages there. Each supervisor gets a view that shows only
 * what its own informers would have held (its FlinkCluster by name, its objects by the cluster
 * label); FlinkJobs and FlinkSavepoints are namespace-wide for a supervisor anyway, so sharing them
 * stores each object once instead of once per cluster. A set starts with its first supervisor and
 * stops with its last.
 */
export class NamespaceCaches {
  readonly #o: NamespaceCachesOptions;
  readonly #sets = new Map<string, SharedSet>();

  constructor(options: NamespaceCachesOptions) {
    this.#o = options;
  }

  /** The caches of one supervisor (`SupervisorOptions.caches`). */
  forCluster(scope: CacheScope): SupervisorCaches {
    const set = this.#acquire(scope.namespace);
    const cluster = scope.clusterName;
    const owned = (o: KubernetesObject) => o.metadata?.labels?.[LABELS.cluster] === cluster;
    const release = () => {
      if (Object.values(set).every((s) => s.users === 0)) {
        if (this.#sets.get(scope.namespace) === set) this.#sets.delete(scope.namespace);
      }
    };
    return {
      clusters: view(set.clusters, (c: CustomObject) => c.metadata.name === cluster, release),
      jobs: view(set.jobs, () => true, release),
      pods: view(set.pods, owned, release),
      services: view(set.services, owned, release),
      batchJobs: view(set.batchJobs, owned, release),
      savepoints: view(set.savepoints, () => true, release),
      ...(set.disruptionBudgets ? { disruptionBudgets: view(set.disruptionBudgets, owned, release) } : {}),
    };
  }

  /** Namespaces with a running set (tests). */
  namespaces(): string[] {
    return [...this.#sets.keys()];
  }

  #acquire(namespace: string): SharedSet {
    let set = this.#sets.get(namespace);
    if (!set) {
      const scope = { namespace, resources: this.#o.resources, onError: this.#o.onError };
      const caches = this.#o.create
        ? this.#o.create(scope)
        : informerCaches(this.#o.kubeConfig, { ...scope, clusterName: undefined });
      const shared = <T>(cache: Cache<T>): SharedCache<T> => ({ cache, users: 0 });
      set = {
        clusters: shared(caches.clusters),
        jobs: shared(caches.jobs),
        pods: shared(caches.pods),
        services: shared(caches.services),
        batchJobs: shared(caches.batchJobs),
        savepoints: shared(caches.savepoints),
        ...(caches.disruptionBudgets ? { disruptionBudgets: shared(caches.disruptionBudgets) } : {}),
      } as SharedSet;
      this.#sets.set(namespace, set);
    }
    for (const s of Object.values(set)) s.users++;
    return set;
  }
}

/** One supervisor's view of a shared cache: its objects only, its handlers only. */
function view<T>(shared: SharedCache<T>, mine: (o: T) => boolean, released: () => void): Cache<T> {
  const handlers: { event: InformerEvent; handler: InformerHandler<T>; filtered: InformerHandler<T> }[] = [];
  let stopped = false;
  const cache: Cache<T> = {
    get: (key) => {
      const o = shared.cache.get(key);
      return o !== undefined && mine(o) ? o : undefined;
    },
    list: () => shared.cache.list().filter(mine),
    on(event, handler) {
      const filtered: InformerHandler<T> = (o, old) => {
        if (mine(o) || (old !== undefined && mine(old))) handler(o, old);
      };
      handlers.push({ event, handler, filtered });
      shared.cache.on(event, filtered);
      return cache;
    },
    off(event, handler) {
      for (const h of handlers.filter((x) => x.event === event && x.handler === handler)) {
        shared.cache.off(event, h.filtered);
        handlers.splice(handlers.indexOf(h), 1);
      }
      return cache;
    },
    start: () => shared.cache.start(),
    stop() {
      if (stopped) return;
      stopped = true;
      for (const { event, filtered } of handlers.splice(0)) shared.cache.off(event, filtered);
      shared.users--;
      if (shared.users === 0) shared.cache.stop();
      released();
    },
  };
  return cache;
}
