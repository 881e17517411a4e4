import {
  KubeConfig,
  type KubernetesObject,
  type V1Job,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import type { KindNames } from '../../src/api/names.ts';
import type { CustomObject, CustomResourceClient } from '../../src/kube/custom-resource-client.ts';
import { Informer, type StartWatch } from '../../src/kube/informer.ts';
import type { LeaseStore } from '../../src/kube/lease-store.ts';
import type { OwnedObjectWriter } from '../../src/supervisor/owned-objects.ts';
import type { CacheScope, JobRaw, SupervisorCaches } from '../../src/supervisor/supervisor-caches.ts';
import type { SimApiServer, Stream, WatchSink } from './apiserver.ts';
import { never, pause, type ProcessLink, type Weather } from './links.ts';
import type { Prng } from './prng.ts';

/** The bound of every API request (request-bounds.ts). */
const REQUEST_TIMEOUT_MS = 10_000;

function networkError(message: string): Error {
  // No status code: errors.ts takes it for a transient network failure, as it does fetch's.
  return Object.assign(new Error(message), { name: 'FetchError' });
}

function abortError(): Error {
  return Object.assign(new Error('the operation was aborted (leadership ended)'), { name: 'AbortError' });
}

interface RequestOptions {
  /** The leader's requests: cancelled when its leadership ends (request-bounds.ts's cancelWhen). */
  readonly fenced: boolean;
  readonly lease?: boolean;
}

/**
 * One process's connection to the API server. Each request travels half its latency, acts on the
 * server (a write lands there even if its answer is lost afterwards), and travels back. A partition,
 * a server that is down, a hang (answered by the 10 s bound) and the end of leadership each fail it
 * the way the real client would see it. A dead process's requests never answer.
 */
export class ApiConnection {
  readonly #server: SimApiServer;
  readonly #link: ProcessLink;
  readonly #weather: Weather;
  readonly #prng: Prng;

  constructor(server: SimApiServer, link: ProcessLink, weather: Weather, prng: Prng) {
    this.#server = server;
    this.#link = link;
    this.#weather = weather;
    this.#prng = prng;
  }

  #reachable(lease: boolean): boolean {
    return this.#server.up && !this.#link.apiPartitioned && !(lease && this.#link.leaseBlocked);
  }

  async #travel(ms: number, cancel: AbortSignal | undefined): Promise<void> {
    try {
      await pause(this.#link, ms, cancel);
    } catch {
      throw abortError();
    }
  }

  async request<T>(options: RequestOptions, act: () => T | Promise<T>): Promise<T> {
    const link = this.#link;
    if (link.clock.dead) return never();
    const cancel = options.fenced ? link.leadership() : undefined;
    if (cancel?.aborted) throw abortError();
    const w = this.#weather;
    const half = 1 + w.prng.int(0, 15) + (w.apiSlowMs > 0 ? w.prng.int(0, w.apiSlowMs) : 0);
    const hangs = w.apiHangChance > 0 && w.prng.chance(w.apiHangChance);
    await this.#travel(half, cancel);
    if (link.clock.dead) return never();
    if (!this.#reachable(options.lease ?? false)) throw networkError('connect ECONNREFUSED (simulated)');
    if (hangs) {
      await this.#travel(REQUEST_TIMEOUT_MS - half, cancel);
      throw Object.assign(new Error('request timed out (simulated)'), { name: 'TimeoutError' });
    }
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await act() };
    } catch (error) {
      outcome = { error };
    }
    await this.#travel(half, cancel);
    if (link.clock.dead) return never();
    if (!this.#reachable(false)) throw networkError('connection reset (simulated)');
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** The custom resources as the leader writes them (fenced). */
  resources(): CustomResourceClient {
    const crs = this.#server.crs;
    const r = <T>(act: () => Promise<T>) => this.request({ fenced: true }, act);
    return {
      get: (kind: KindNames, ns: string, name: string) => r(() => crs.get(kind, ns, name)),
      list: (kind: KindNames, ns: string | undefined) => r(() => crs.list(kind, ns)),
      create: (kind: KindNames, ns: string, obj: CustomObject) => r(() => crs.create(kind, ns, obj)),
      patch: (kind: KindNames, ns: string, name: string, patch: Record<string, unknown>) =>
        r(() => crs.patch(kind, ns, name, patch)),
      jsonPatch: (kind: KindNames, ns: string, name: string, ops: object[]) =>
        r(() => crs.jsonPatch(kind, ns, name, ops)),
      patchStatus: (kind, ns, name, patch) => r(() => crs.patchStatus(kind, ns, name, patch)),
      replaceStatus: (kind, ns, name, rv, status) => r(() => crs.replaceStatus(kind, ns, name, rv, status)),
      delete: (kind: KindNames, ns: string, name: string) => r(() => crs.delete(kind, ns, name)),
      scale: (kind: KindNames, ns: string, name: string, n: number) => r(() => crs.scale(kind, ns, name, n)),
    };
  }

  /** The pods, Services and batch Jobs as the leader's effects create and delete them (fenced). */
  objects(): OwnedObjectWriter {
    const s = this.#server;
    const r = <T>(act: () => T) => this.request({ fenced: true }, act);
    return {
      createPod: (pod: V1Pod) => r(() => s.createCore('pods', pod)),
      deletePod: (name: string) => r(() => s.deleteCore('pods', name)),
      createService: (svc: V1Service) => r(() => s.createCore('services', svc)),
      deleteService: (name: string) => r(() => s.deleteCore('services', name)),
      readJob: (name: string) => r(() => structuredClone(s.core.batchJobs.get(name)) as V1Job | undefined),
      createJob: (job: V1Job) => r(() => s.createCore('batchJobs', job)),
      deleteJob: (name: string) => r(() => s.deleteCore('batchJobs', name)),
    };
  }

  /** The Lease, through the bounded view only (never cancelled with leadership). */
  leaseStore(): LeaseStore {
    const s = this.#server;
    const r = <T>(act: () => T) => this.request({ fenced: false, lease: true }, act);
    return {
      get: () => r(() => s.leaseGet()),
      create: (record) => r(() => s.leaseCreate(record)),
      update: (record, rv) => r(() => s.leaseUpdate(record, rv)),
    };
  }

  /** The real informers, listing and watching this server through this connection. */
  caches(scope: CacheScope): SupervisorCaches {
    const make = <T extends KubernetesObject>(stream: Stream) =>
      new Informer<T>({
        kubeConfig: new KubeConfig(),
        path: stream,
        list: () =>
          this.request({ fenced: false }, () => this.#server.list(stream, scope.clusterName)) as Promise<{
            items: T[];
            metadata: { resourceVersion: string };
          }>,
        delay: (ms, signal) => pause(this.#link, ms, signal),
        random: () => this.#prng.next(),
        onError: scope.onError,
        watch: this.#watch(stream),
      });
    return {
      clusters: make<CustomObject>('clusters'),
      jobs: make<JobRaw>('jobs'),
      savepoints: make<CustomObject>('savepoints'),
      pods: make<V1Pod>('pods'),
      services: make<V1Service>('services'),
      batchJobs: make<V1Job>('batchJobs'),
    };
  }

  /** Breaks this process's open watches (a partition: the connections reset). */
  dropWatches(): void {
    for (const w of [...this.#server.watchers])
      if ((w as OwnWatch).link === this.#link) w.fail(networkError('watch connection reset (partition)'));
  }

  #watch(stream: Stream): StartWatch {
    return async (_path, params, onEvent, onDone) => {
      const link = this.#link;
      if (link.clock.dead) return never();
      const watch = new OwnWatch(this.#server, link, stream, this.#prng, onEvent, onDone);
      const from = Number(params['resourceVersion'] ?? 0);
      link.clock.setTimeout(
        () => {
          if (!this.#reachable(false)) watch.fail(networkError('watch connect failed (simulated)'));
          else this.#server.connect(watch, from);
        },
        1 + this.#prng.int(0, 15),
      );
      return { abort: () => watch.close() };
    };
  }
}

/** One watch connection: events arrive in order, each after a small delay, while the path holds. */
class OwnWatch implements WatchSink {
  readonly epoch: number;
  readonly server: SimApiServer;
  readonly link: ProcessLink;
  readonly stream: Stream;
  readonly #prng: Prng;
  readonly #onEvent: (phase: string, obj: unknown) => void;
  readonly #onDone: (err: unknown) => void;
  #closed = false;
  #lastAt = 0;

  constructor(
    server: SimApiServer,
    link: ProcessLink,
    stream: Stream,
    prng: Prng,
    onEvent: (phase: string, obj: unknown) => void,
    onDone: (err: unknown) => void,
  ) {
    this.server = server;
    this.link = link;
    this.stream = stream;
    this.#prng = prng;
    this.#onEvent = onEvent;
    this.#onDone = onDone;
    this.epoch = server.epoch;
  }

  push(entry: { type: string; obj: unknown }): void {
    if (this.#closed) return;
    const now = this.link.clock.monotonic();
    this.#lastAt = Math.max(this.#lastAt, now + 1 + this.#prng.int(0, 30));
    this.link.clock.setTimeout(() => {
      if (this.#closed) return;
      if (this.link.apiPartitioned || this.epoch !== this.server.epoch) {
        this.fail(networkError('watch connection reset'));
        return;
      }
      this.#onEvent(entry.type, entry.obj);
    }, this.#lastAt - now);
  }

  fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.server.watchers.delete(this);
    this.#onDone(err);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.server.watchers.delete(this);
    this.#onDone(Object.assign(new Error('watch aborted'), { name: 'AbortError' }));
  }
}
