import type { KubernetesObject, V1Job, V1Pod, V1Service } from '@kubernetes/client-node';
import { FLINK_CLUSTER, FLINK_SAVEPOINT, type KindNames } from '../../src/api/names.ts';
import type { CustomObject } from '../../src/kube/custom-resource-client.ts';
import { ConflictError, type LeaseRecord } from '../../src/kube/lease-store.ts';
import { InMemoryCustomResources } from '../support/in-memory-custom-resources.ts';
import type { SimClock } from './sim-clock.ts';

/** The watched streams a supervisor has (supervisor-caches.ts). */
export type Stream = 'clusters' | 'jobs' | 'savepoints' | 'pods' | 'services' | 'batchJobs';
export type CoreStream = 'pods' | 'services' | 'batchJobs';
type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface LogEntry {
  readonly rv: number;
  readonly stream: Stream;
  readonly type: WatchType;
  readonly obj: KubernetesObject;
}

/** One open watch; the connection side (delivery, latency, breaking) is the caller's. */
export interface WatchSink {
  readonly stream: Stream;
  readonly epoch: number;
  push(entry: { type: string; obj: unknown }): void;
  fail(err: Error): void;
}

/** What the world does when the API server stores a change to owned objects (kubelet, Job controller). */
export interface ControllerHooks {
  podCreated(name: string): void;
  podDeleting(name: string): void;
  jobCreated(name: string): void;
  jobDeleting(name: string): void;
}

export const NAMESPACE = 'sim';

/**
 * The API server of a simulated world: the custom resources (with the in-memory client's rules:
 * resourceVersion preconditions, 409, finalizers, generation), the owned pods, Services and batch
 * Jobs, the supervisor's Lease, and a watch log with one resourceVersion counter for all of them.
 * The log is compacted: a watch that resumes from before its start gets 410 Gone and relists. A
 * restart drops every watch and compacts the log to now. How a process reaches it (latency,
 * partitions, fencing) is ApiConnection's.
 */
export class SimApiServer {
  readonly crs = new InMemoryCustomResources();
  readonly core: Record<CoreStream, Map<string, KubernetesObject>> = {
    pods: new Map(),
    services: new Map(),
    batchJobs: new Map(),
  };
  lease: { record: LeaseRecord; resourceVersion: string } | undefined;
  up = true;
  epoch = 0;
  restarts = 0;
  compactedRv = 0;
  hooks: ControllerHooks | undefined;
  /** Every stored change of a custom resource (undefined: removed), for the invariants. */
  onCustomResource: ((kind: KindNames, name: string, obj: CustomObject | undefined) => void) | undefined;
  readonly #clock: SimClock;
  readonly #retain: number;
  #rv = 0;
  #uid = 0;
  #log: LogEntry[] = [];
  readonly #known = new Map<string, CustomObject>();
  readonly watchers = new Set<WatchSink>();

  constructor(clock: SimClock, retainEvents: number) {
    this.#clock = clock;
    this.#retain = retainEvents;
    this.crs.recordWrites = false;
    this.crs.now = () => new Date(clock.now());
    this.crs.nextVersion = () => ++this.#rv;
    this.crs.onChange = (kind, _namespace, name, obj) => {
      const stream: Stream =
        kind === FLINK_CLUSTER ? 'clusters' : kind === FLINK_SAVEPOINT ? 'savepoints' : 'jobs';
      const key = `${stream}/${name}`;
      const previous = this.#known.get(key);
      if (obj) {
        // `obj` is the store's own copy for this change, never changed after: the watch log and the
        // watchers share it (a third copy per write cost a tenth of a run).
        this.#known.set(key, obj);
        this.#emit(stream, previous ? 'MODIFIED' : 'ADDED', obj, true);
      } else if (previous) {
        this.#known.delete(key);
        const gone = structuredClone(previous);
        gone.metadata.resourceVersion = String(++this.#rv);
        this.#emit(stream, 'DELETED', gone, true);
      }
      this.onCustomResource?.(kind, name, obj);
    };
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /** `owned`: `obj` is a copy no one changes (else the event gets its own). */
  #emit(stream: Stream, type: WatchType, obj: KubernetesObject, owned = false): void {
    const entry: LogEntry = {
      rv: Number(obj.metadata?.resourceVersion),
      stream,
      type,
      obj: owned ? obj : structuredClone(obj),
    };
    this.#log.push(entry);
    if (this.#log.length > this.#retain) {
      const dropped = this.#log.splice(0, this.#log.length - this.#retain);
      this.compactedRv = Math.max(this.compactedRv, (dropped.at(-1) as LogEntry).rv);
    }
    // Watchers share the event's object, as informers of one process share what the server sent.
    for (const w of this.watchers) if (w.stream === stream) w.push({ type, obj: entry.obj });
  }

  /** The API server goes away: every watch breaks, and its watch cache starts again from now. */
  crash(): void {
    this.up = false;
    this.epoch++;
    this.restarts++;
    this.compactedRv = this.#rv;
    this.#log = [];
    for (const w of [...this.watchers]) w.fail(new Error('watch connection reset (API server restart)'));
    this.watchers.clear();
  }

  recover(): void {
    this.up = true;
  }

  /** Starts a watch from `from`: 410 when that is compacted away, else the missed events, then live ones. */
  connect(sink: WatchSink, from: number): void {
    if (from < this.compactedRv) {
      sink.push({ type: 'ERROR', obj: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } });
      return;
    }
    for (const e of this.#log)
      if (e.rv > from && e.stream === sink.stream) sink.push({ type: e.type, obj: e.obj });
    this.watchers.add(sink);
  }

  list(
    stream: Stream,
    clusterName: string,
  ): { items: KubernetesObject[]; metadata: { resourceVersion: string } } {
    let items: KubernetesObject[];
    if (stream === 'clusters' || stream === 'jobs' || stream === 'savepoints') {
      items = [...this.#known.entries()]
        .filter(([key]) => key.startsWith(`${stream}/`))
        .map(([, obj]) => obj)
        .filter((obj) => stream !== 'clusters' || obj.metadata.name === clusterName);
    } else items = [...this.core[stream].values()];
    return { items: items.map((o) => structuredClone(o)), metadata: { resourceVersion: String(this.#rv) } };
  }

  // ------------------------------------------------------------ owned objects

  #storeCore(stream: CoreStream, obj: KubernetesObject, type: WatchType): void {
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.#rv) };
    this.core[stream].set(obj.metadata.name ?? '', obj);
    this.#emit(stream, type, obj);
  }

  createCore(stream: CoreStream, obj: KubernetesObject): 'created' | 'exists' {
    const name = obj.metadata?.name ?? '';
    if (this.core[stream].has(name)) return 'exists';
    const stored = structuredClone(obj);
    stored.metadata = {
      ...stored.metadata,
      namespace: NAMESPACE,
      uid: `core-${++this.#uid}`,
      creationTimestamp: new Date(this.#clock.now()),
    };
    this.#storeCore(stream, stored, 'ADDED');
    if (stream === 'pods') this.hooks?.podCreated(name);
    if (stream === 'batchJobs') this.hooks?.jobCreated(name);
    return 'created';
  }

  /** Changes a stored owned object (the kubelet's status, the Job controller's). */
  updateCore(stream: CoreStream, name: string, change: (obj: KubernetesObject) => void): void {
    const current = this.core[stream].get(name);
    if (!current) return;
    const next = structuredClone(current);
    change(next);
    this.#storeCore(stream, next, 'MODIFIED');
  }

  removeCore(stream: CoreStream, name: string): void {
    const current = this.core[stream].get(name);
    if (!current) return;
    this.core[stream].delete(name);
    const gone = structuredClone(current);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.#rv) };
    this.#emit(stream, 'DELETED', gone);
  }

  /** Pods and batch Jobs are deleted gracefully (the world removes them later); Services at once. */
  deleteCore(stream: CoreStream, name: string): void {
    const current = this.core[stream].get(name);
    if (!current) return;
    if (stream === 'services') {
      this.removeCore(stream, name);
      return;
    }
    if (current.metadata?.deletionTimestamp) return;
    this.updateCore(stream, name, (o) => {
      o.metadata = { ...o.metadata, deletionTimestamp: new Date(this.#clock.now()) };
    });
    if (stream === 'pods') this.hooks?.podDeleting(name);
    else this.hooks?.jobDeleting(name);
  }

  pods(): V1Pod[] {
    return [...this.core.pods.values()] as V1Pod[];
  }
  services(): V1Service[] {
    return [...this.core.services.values()] as V1Service[];
  }
  batchJobs(): V1Job[] {
    return [...this.core.batchJobs.values()] as V1Job[];
  }

  // ------------------------------------------------------------ the Lease

  leaseGet(): { record: LeaseRecord; resourceVersion: string } | undefined {
    return this.lease && structuredClone(this.lease);
  }

  leaseCreate(record: LeaseRecord): string {
    if (this.lease) throw new ConflictError('lease already exists');
    this.lease = { record: { ...record }, resourceVersion: String(++this.#rv) };
    return this.lease.resourceVersion;
  }

  leaseUpdate(record: LeaseRecord, resourceVersion: string): string {
    if (!this.lease || this.lease.resourceVersion !== resourceVersion)
      throw new ConflictError('lease changed since read');
    this.lease = { record: { ...record }, resourceVersion: String(++this.#rv) };
    return this.lease.resourceVersion;
  }
}
