import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { isGone } from './errors.ts';

/**
 * List-then-watch cache of one kind, with label and field selectors (client-node's own informer
 * has no field selector and stops on the first error). Handlers only see changes; the cache is
 * the level everything reads. On 410 Gone it relists at once. Any other failure, an ERROR event
 * of the watch included, is logged and retried by a relist after a backoff: exponential, capped
 * at `maxBackoffMs`, with jitter so a fleet does not retry in step, and reset only once a watch
 * delivered an event (a list that works and a watch that fails at once still back off). A relist
 * re-delivers whatever a lost watch missed: every object whose resourceVersion moved is an
 * 'update' (an action annotation set meanwhile among them), every one gone a 'delete'. Delays go
 * through an injected `delay`, so tests never sleep.
 */
export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (obj: T, old?: T) => void;

export interface ListResult<T> {
  readonly items: T[];
  readonly metadata?: { resourceVersion?: string };
}

export interface InformerOptions<T extends KubernetesObject> {
  readonly kubeConfig: KubeConfig;
  /** Watch path, e.g. `/api/v1/pods` or `/apis/flinkvisor.io/v1/namespaces/ns/flinkjobs`. */
  readonly path: string;
  readonly list: (selectors: { labelSelector?: string; fieldSelector?: string }) => Promise<ListResult<T>>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly onError?: (err: unknown) => void;
  readonly maxBackoffMs?: number;
  /** In [0, 1): the jitter of the backoff. */
  readonly random?: () => number;
  /** Starts a watch; default: client-node's Watch on `kubeConfig` (tests hand in their own). */
  readonly watch?: StartWatch;
}

/** client-node's `Watch.watch` shape: events go to `onEvent`, the end (with its error) to `onDone`. */
export type StartWatch = (
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  onEvent: (phase: string, obj: unknown) => void,
  onDone: (err: unknown) => void,
) => Promise<{ abort(): void }>;

export const INFORMER_BACKOFF = { initialMs: 500, maxMs: 30_000 };

/** A watch ERROR event other than 410 Gone (the API server's Status object). */
export class WatchErrorEvent extends Error {
  readonly code: number | undefined;
  constructor(status: { code?: number; reason?: string; message?: string }) {
    super(`watch error ${status.code ?? ''} ${status.reason ?? ''}: ${status.message ?? ''}`.trim());
    this.code = status.code;
  }
}

function clientNodeWatch(kubeConfig: KubeConfig): StartWatch {
  return (path, params, onEvent, onDone) => {
    const watch = new Watch(kubeConfig);
    // client-node ends a watch that is silent for this long; a quiet resource is normal, so
    // that end is treated like the server's own timeout: resume from the last version seen.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 60_000;
    return watch.watch(path, params, onEvent, onDone);
  };
}

export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

class WatchGoneError extends Error {}

export class Informer<T extends KubernetesObject> {
  readonly #options: InformerOptions<T>;
  readonly #cache = new Map<string, T>();
  readonly #handlers: Record<InformerEvent, InformerHandler<T>[]> = { add: [], update: [], delete: [] };
  readonly #stop = new AbortController();
  #synced: Promise<void> | undefined;
  #watchAbort: { abort(): void } | undefined;
  #hasSynced = false;
  #resourceVersion: string | undefined;

  constructor(options: InformerOptions<T>) {
    this.#options = options;
  }

  on(event: InformerEvent, handler: InformerHandler<T>): this {
    this.#handlers[event].push(handler);
    return this;
  }

  /** Removes a handler `on` added (a shared informer outlives the one who listened). */
  off(event: InformerEvent, handler: InformerHandler<T>): this {
    const handlers = this.#handlers[event];
    const at = handlers.indexOf(handler);
    if (at >= 0) handlers.splice(at, 1);
    return this;
  }

  get hasSynced(): boolean {
    return this.#hasSynced;
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  /** Starts the loop; resolves once the first list has filled the cache. */
  start(): Promise<void> {
    this.#synced ??= new Promise<void>((resolve) => {
      void this.#run(resolve);
    });
    return this.#synced;
  }

  stop(): void {
    this.#stop.abort();
    this.#watchAbort?.abort();
  }

  #emit(event: InformerEvent, obj: T, old?: T): void {
    for (const h of this.#handlers[event]) {
      try {
        h(obj, old);
      } catch (err) {
        this.#options.onError?.(err);
      }
    }
  }

  #apply(phase: string, obj: T): void {
    // managedFields (server-side apply's record of who set what) are about as large as the fields
    // they describe and nothing here reads them: the cache holds objects without them, as
    // controller-runtime's caches do. An update sent from a cached object that lacks them leaves
    // the server's record as it is.
    if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
    const key = objectKey(obj);
    const old = this.#cache.get(key);
    if (phase === 'DELETED') {
      this.#cache.delete(key);
      this.#emit('delete', obj);
    } else if (old) {
      this.#cache.set(key, obj);
      if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#emit('update', obj, old);
    } else {
      this.#cache.set(key, obj);
      this.#emit('add', obj);
    }
  }

  #replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      this.#apply('ADDED', item);
    }
    for (const [key, obj] of [...this.#cache]) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit('delete', obj);
      }
    }
  }

  async #run(synced: () => void): Promise<void> {
    const signal = this.#stop.signal;
    const delay = this.#options.delay ?? ((ms, s) => sleep(ms, undefined, { signal: s }));
    const random = this.#options.random ?? Math.random;
    const maxBackoffMs = this.#options.maxBackoffMs ?? INFORMER_BACKOFF.maxMs;
    let backoff = INFORMER_BACKOFF.initialMs;
    while (!signal.aborted) {
      try {
        const selectors = {
          ...(this.#options.labelSelector ? { labelSelector: this.#options.labelSelector } : {}),
          ...(this.#options.fieldSelector ? { fieldSelector: this.#options.fieldSelector } : {}),
        };
        const listed = await this.#options.list(selectors);
        this.#replace(listed.items);
        if (!this.#hasSynced) {
          this.#hasSynced = true;
          synced();
        }
        this.#resourceVersion = listed.metadata?.resourceVersion;
        // A watch the server ends normally (its timeout) resumes from the last version seen;
        // only 410 Gone or a failure goes back to listing.
        while (!signal.aborted) {
          if (await this.#watch(this.#resourceVersion, selectors)) backoff = INFORMER_BACKOFF.initialMs;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof WatchGoneError) && !isGone(err)) {
          this.#options.onError?.(err);
          // Jitter in [0.5, 1.0] of the step: never above the cap, never zero.
          const wait = Math.min(backoff, maxBackoffMs) * (0.5 + 0.5 * random());
          await delay(Math.round(wait), signal).catch(() => undefined);
          backoff = Math.min(backoff * 2, maxBackoffMs);
        }
      }
    }
  }

  /**
   * Watches from `resourceVersion` until the server ends the watch (normal) or it fails; resolves
   * whether it delivered any event (a healthy watch resets the backoff).
   */
  #watch(resourceVersion: string | undefined, selectors: Record<string, string>): Promise<boolean> {
    const start = this.#options.watch ?? clientNodeWatch(this.#options.kubeConfig);
    return new Promise<boolean>((resolve, reject) => {
      let failure: Error | undefined;
      let delivered = false;
      start(
        this.#options.path,
        {
          ...selectors,
          allowWatchBookmarks: true,
          timeoutSeconds: 300,
          ...(resourceVersion ? { resourceVersion } : {}),
        },
        (phase, received) => {
          const obj = received as T & { code?: number; reason?: string; message?: string };
          const rv = obj.metadata?.resourceVersion;
          if (phase === 'BOOKMARK') {
            if (rv) this.#resourceVersion = rv;
            return;
          }
          if (phase === 'ERROR') {
            failure ??=
              obj.code === 410 ? new WatchGoneError('watch expired (410)') : new WatchErrorEvent(obj);
            this.#watchAbort?.abort();
            return;
          }
          delivered = true;
          this.#apply(phase, obj);
          if (rv) this.#resourceVersion = rv;
        },
        (err: unknown) => {
          if (failure) reject(failure);
          else if (
            err &&
            !this.#stop.signal.aborted &&
            !['AbortError', 'TimeoutError'].includes((err as Error).name)
          )
            reject(err);
          else resolve(delivered);
        },
      ).then((abort) => {
        this.#watchAbort = abort;
        if (this.#stop.signal.aborted || failure) abort.abort();
      }, reject);
    });
  }
}
