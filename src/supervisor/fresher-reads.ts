import type { CustomObject } from '../kube/custom-resource-client.ts';

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
