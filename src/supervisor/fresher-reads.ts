import { FLINK_CLUSTER, FLINK_JOB } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import type { CrKind } from './notices.ts';
import type { AnyHost } from './resource-host.ts';
import type { Cache, JobRaw } from './supervisor-caches.ts';

/**
 * Objects read straight from the API server that are newer than the watch cache (client-go's
 * MutationCache, for reads). A status writer that finds the stored machine snapshot changed behind
 * its back drops its machine, and the next pass restores it from the object as stored; when the
 * watch lags (a broken watch that is re-listing, a slow API server), the cache still holds the old
 * status, and restoring from it was superseded again on the first write, pass after pass: a loop of
 * writes (found by the simulator, seed 100159). The fresh read stands in for the cached object until
 * the cache moves past the version it held when the read was made.
 */
export class FresherReads {
  readonly #fresh = new Map<string, { object: CustomObject; cachedVersion: string | undefined }>();

  /** `object` was read from the API server while the cache held `cached`. */
  remember(key: string, object: CustomObject, cached: CustomObject | undefined): void {
    if (object.metadata.resourceVersion === cached?.metadata.resourceVersion) return;
    this.#fresh.set(key, { object, cachedVersion: cached?.metadata.resourceVersion });
  }

  /** The fresher of the cached object and the one read, forgetting the read once the cache moved. */
  pick<T extends CustomObject>(key: string, cached: T | undefined): T | undefined {
    const fresh = this.#fresh.get(key);
    if (!fresh) return cached;
    if (cached?.metadata.resourceVersion !== fresh.cachedVersion) {
      this.#fresh.delete(key);
      return cached;
    }
    return fresh.object as T;
  }
}

/** What reading the supervised custom resources needs. */
export interface SupervisedObjectsDeps {
  readonly namespace: string;
  readonly resources: CustomResourceClient;
  readonly clusters: Pick<Cache<CustomObject>, 'get'>;
  readonly jobs: Pick<Cache<JobRaw>, 'get' | 'list'>;
}

/**
 * The FlinkCluster and FlinkJobs as one supervisor reads them: the watch cache's copy, or the copy
 * read from the API server since while the cache lags (FresherReads).
 */
export class SupervisedObjects {
  readonly #o: SupervisedObjectsDeps;
  readonly #fresher = new FresherReads();

  constructor(deps: SupervisedObjectsDeps) {
    this.#o = deps;
  }

  /** The object as the watch cache holds it, or as read since when the cache lags. */
  get(kind: CrKind, name: string): CustomObject | undefined {
    return this.#fresher.pick(this.#keyOf(kind, name), this.#cachedOf(kind, name));
  }

  /** The FlinkJobs naming `clusterName` in spec.clusterName, each as `get` reads it. */
  jobsOf(clusterName: string): JobRaw[] {
    return this.#o.jobs
      .list()
      .map((j) => this.#fresher.pick(this.#keyOf(FLINK_JOB, j.metadata.name ?? ''), j) ?? j)
      .filter((j) => j.spec?.clusterName === clusterName);
  }

  /** `object` was read from the API server since (the one a superseded status write found). */
  remember(kind: CrKind, name: string, object: CustomObject): void {
    this.#fresher.remember(this.#keyOf(kind, name), object, this.#cachedOf(kind, name));
  }

  /**
   * The object a machine is restored from: `raw` while its host lives, else the object as stored,
   * read from the API server. The watch cache may lag behind status (a watch re-listing after a
   * partition, a slow API server): a machine restored from an older status decides on a past that
   * is no longer true. A new leader's job machine owned the Flink job of an earlier submission, the
   * cluster machine took the one the last leader had started since for unmanaged and cancelled it,
   * and the job machine wrote its old state over the newer one (the simulator's finding K12). The
   * read stands in for the cached object until the cache moves. A failed read fails the pass:
   * nothing is restored from what may be the past.
   */
  async restoreSource(kind: CrKind, raw: CustomObject, host: AnyHost | undefined): Promise<CustomObject> {
    if (host && host.uid === (raw.metadata.uid ?? '')) return raw;
    const name = raw.metadata.name ?? '';
    const stored = await this.#o.resources.get(kind, this.#o.namespace, name);
    if (!stored || stored.metadata.uid !== raw.metadata.uid) return raw;
    this.remember(kind, name, stored);
    return stored;
  }

  #keyOf(kind: CrKind, name: string): string {
    return `${kind.kind}/${this.#o.namespace}/${name}`;
  }

  #cachedOf(kind: CrKind, name: string): CustomObject | undefined {
    const key = `${this.#o.namespace}/${name}`;
    return kind === FLINK_CLUSTER ? this.#o.clusters.get(key) : this.#o.jobs.get(key);
  }
}
